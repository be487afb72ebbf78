"""The cepstral mean an utterance's searches start from: its own opening and the speaker's
settled mean.

An utterance's first moments alone are a poor mean when the word opens on a hiss ("stop"
starts with an /s/: heard live as "the", and rejected), and a mean carried along by
pocketsphinx itself takes in whatever it heard before, even the room before the first
word, which made a live session mishear its start phrase. So the mean is half the opening
and half a settled mean of the utterances understood so far in this session (each whole
utterance's mean, weighted towards the latest). Until something has been understood, the
opening is all there is. Both weights were chosen on the tuning voices and rooms only.
"""

from __future__ import annotations

import numpy as np

OPENING_WEIGHT = 0.5
"""The share of an utterance's mean that comes from its own opening."""
LATEST_WEIGHT = 0.5
"""The share of the settled mean that the latest understood utterance replaces."""
WHOLE_RECORDING_WEIGHT = 0.25
"""The share of an opening's mean that comes from the whole recording, when the recording is
known whole before it is heard (a file heard as a new speaker's). Not tuned: a session's
settled mean, with every utterance alike, settles at about three quarters openings and a
quarter whole utterances, and this gives a single file about that."""


def parse(mean: str) -> np.ndarray:
    """pocketsphinx's comma-separated mean as numbers."""
    return np.array([float(value) for value in mean.split(",")])


def render(mean: np.ndarray) -> str:
    """Numbers as the comma-separated mean pocketsphinx takes."""
    return ",".join(f"{value:.3f}" for value in mean)


def with_whole_recording(opening: np.ndarray, whole: np.ndarray) -> np.ndarray:
    """An opening's mean given its share of the whole recording's (``WHOLE_RECORDING_WEIGHT``)."""
    return (1 - WHOLE_RECORDING_WEIGHT) * opening + WHOLE_RECORDING_WEIGHT * whole


class SessionMean:
    """The settled mean of the utterances understood in one session."""

    def __init__(self) -> None:
        self.settled: np.ndarray | None = None

    def for_utterance(self, opening: np.ndarray) -> np.ndarray:
        """The mean to search an utterance with, given the mean of its opening."""
        if self.settled is None:
            return opening
        return OPENING_WEIGHT * opening + (1 - OPENING_WEIGHT) * self.settled

    def understood(self, whole: np.ndarray) -> None:
        """An utterance was understood: its whole mean moves the settled one."""
        self.settled = whole if self.settled is None else LATEST_WEIGHT * whole + (1 - LATEST_WEIGHT) * self.settled
