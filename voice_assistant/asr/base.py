"""The small interface every speech engine implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np


@dataclass(frozen=True)
class Transcript:
    """What an engine heard in one utterance. ``text`` is empty when it rejected it."""

    text: str
    confidence: float


class Recognizer(Protocol):
    """Streams one utterance at a time through the current context's grammar."""

    engine: str

    def set_context(self, context: str) -> None:
        """Use this context's grammar from the next utterance on."""

    def begin(self) -> None:
        """Start an utterance."""

    def accept(self, audio: np.ndarray) -> None:
        """Feed int16 16 kHz mono samples of the current utterance."""

    def partial(self) -> str:
        """The words heard so far in this utterance (a first guess; may be empty)."""

    def end(self) -> Transcript:
        """Finish the utterance and return what was heard."""

    def new_speaker(self, recording: np.ndarray | None = None) -> None:
        """Forget what earlier utterances taught about the speaker: the next one may be
        someone else (another recording). What an engine follows of the room's steady noise
        may stay. ``recording`` is the next utterance whole, when it is known before it is
        heard (a file): an engine may measure over all of it."""
