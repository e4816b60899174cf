"""Hearth: an open-source remote-therapy platform."""

__version__ = "0.1.0"
