"""Rotation on a phone without signal: the installable app's manifest, its service worker and the offline page."""
