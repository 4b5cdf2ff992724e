"""skillcard: an open platform for construction-industry skills card schemes."""

__version__ = "0.1.0"
