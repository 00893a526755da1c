"""Dialogs of the desktop app: clip export and error details."""
