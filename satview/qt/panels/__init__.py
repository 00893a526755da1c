"""Dock panels of the main window: files, bands, projection and AOIs."""
