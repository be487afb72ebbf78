"""Offline, hands-free voice assistant for a back spasm."""

__version__ = "0.1.0"
