"""A steady noise floor under an utterance, a fixed distance below its loudest sound.

pocketsphinx's acoustic model was trained on recordings with a room's noise in them. Audio
that is much cleaner than that (a synthesiser's digital silence, a close microphone with
noise suppression) leaves near-empty spectral bands whose log energies the model has never
seen, and short words fall apart: a clean "stop" was heard as "got it", a clean "help" as
"nope". Adding quiet noise, ``FLOOR_DB`` below the loudest 10 ms of the utterance, brings
such audio back into the range the model knows and changes little where a real room's noise
is already louder. Audio is held back until ``LOOKAHEAD`` of speech has been heard, so the
silence before a word gets the floor the word will need; after that it streams (the floor
only rises), so nothing is left to decode once the utterance ends. The noise is seeded per
utterance: the same recording always gives the same result.
"""

from __future__ import annotations

import numpy as np

FLOOR_DB = 40.0
"""How far below the utterance's loudest 10 ms the noise floor sits."""
LOOKAHEAD = 4800
"""Samples (0.3 s at 16 kHz) of speech heard before the floor is fixed and audio goes on."""
ONSET_RMS = 100.0
"""A 10 ms block this loud (about -50 dBFS) is taken as speech having begun."""
LEVEL_BLOCK = 160
"""Samples (10 ms) over which loudness is measured."""
MIN_NOISE = 1.0
"""The quietest floor, in int16 steps: about the rounding noise of any real recording."""


class NoiseFloor:
    """Holds an utterance back until its level is known, then hands on audio with the floor added."""

    def __init__(self) -> None:
        self.begin()

    def begin(self) -> None:
        """A new utterance: forget the last one's level and restart the seeded noise."""
        self._held = np.zeros(0, dtype=np.float64)
        self._partial = np.zeros(0, dtype=np.float64)
        self._loudest = 0.0
        self._since_onset: int | None = None
        self._measured = 0
        self.onset: int | None = None
        """Where speech began, in samples from the utterance's start (None until heard)."""
        self._noise = np.random.default_rng(0)

    def push(self, audio: np.ndarray) -> np.ndarray:
        """Take new int16 samples; return those that can go on now, with the floor added."""
        samples = np.asarray(audio, dtype=np.float64)
        self._measure(samples)
        self._held = np.concatenate([self._held, samples])
        if self._since_onset is None or self._since_onset < LOOKAHEAD:
            return np.zeros(0, dtype=np.int16)
        return self._release()

    def flush(self) -> np.ndarray:
        """The utterance has ended: the samples still held, with the floor added."""
        if len(self._partial):
            self._loudest = max(self._loudest, _rms(self._partial))
            self._partial = self._partial[:0]
        return self._release()

    def _release(self) -> np.ndarray:
        out, self._held = self._held, self._held[:0]
        return self._with_floor(out)

    def _measure(self, samples: np.ndarray) -> None:
        joined = np.concatenate([self._partial, samples])
        whole = len(joined) - len(joined) % LEVEL_BLOCK
        if whole:
            blocks = joined[:whole].reshape(-1, LEVEL_BLOCK)
            levels = np.sqrt(np.mean(blocks ** 2, axis=1))
            self._loudest = max(self._loudest, float(levels.max()))
            if self._since_onset is None and self._loudest >= ONSET_RMS:
                first = int(np.argmax(levels >= ONSET_RMS))
                self.onset = self._measured + first * LEVEL_BLOCK
                self._since_onset = (len(levels) - first) * LEVEL_BLOCK
            elif self._since_onset is not None:
                self._since_onset += whole
            self._measured += whole
        self._partial = joined[whole:]

    def _with_floor(self, samples: np.ndarray) -> np.ndarray:
        scale = max(MIN_NOISE, self._loudest * 10 ** (-FLOOR_DB / 20))
        noisy = samples + self._noise.normal(scale=scale, size=len(samples))
        return np.clip(np.round(noisy), -32768, 32767).astype(np.int16)


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples ** 2))) if len(samples) else 0.0
