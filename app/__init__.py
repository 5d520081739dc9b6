"""The application layer: the CLI, the process hosting both services, the demo film, the
plugin installers and the training command. The one place that wires bridge and engine together.
"""
