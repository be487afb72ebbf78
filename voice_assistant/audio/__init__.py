"""Audio sources (microphone, WAV files) and endpointing."""
