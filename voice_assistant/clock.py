"""The session clock: seconds since the session began, from one of three sources."""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the session time in seconds."""

    def now(self) -> float: ...


class WallClock:
    """Real time, for live sessions."""

    def __init__(self) -> None:
        self._start = time.monotonic()

    def now(self) -> float:
        return time.monotonic() - self._start

    def at(self, monotonic: float) -> float:
        """The session time of a time.monotonic() reading."""
        return monotonic - self._start


class VirtualClock:
    """Time that only moves when told to: scripted sessions and tests."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start

    def now(self) -> float:
        return self._now

    def advance_to(self, t: float) -> None:
        self._now = max(self._now, t)


class AudioClock:
    """Time that follows the samples of an audio input."""

    def __init__(self, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.samples = 0

    def now(self) -> float:
        return self.samples / self.sample_rate

    def add_samples(self, count: int) -> None:
        self.samples += count
