"""MusicGen (transformers) with the OSSL video adapter: the flagship model, its checkpoints
and adapter training."""
