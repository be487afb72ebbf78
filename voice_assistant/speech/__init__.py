"""Speakers: where the assistant's sentences go (text, WAV files, or a live voice)."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO


class Speaker(Protocol):
    """Says one sentence and tells how long saying it took, in seconds of audio."""

    def say(self, text: str, kind: str) -> float: ...

    def close(self) -> None: ...


class TextSpeaker:
    """Prints what would be said."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    def say(self, text: str, kind: str) -> float:
        self.stream.write(f"assistant: {text}\n")
        self.stream.flush()
        return 0.0

    def close(self) -> None:
        self.stream.flush()
