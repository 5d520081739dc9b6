"""The offline default model: a symbolic film composer rendered through a SoundFont."""
