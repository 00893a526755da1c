"""satview: look at and cut up downloaded satellite scenes."""

__version__ = "0.1.0"
