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

Two onsets are found: where the sound first reached ``ONSET_RMS`` (``onset``, which the audio
is held back for, and where the cepstral mean starts from), and where it stood clear of the
room (``clear_onset``, see ``clear_of_the_room``). A fan or a hiss is louder than
``ONSET_RMS`` from the first sample: there the first onset is the room's, and the opening
after it can be the room alone, with no voice to tell the speaker's pitch by; the recognizer
then waits for the second.
"""

from __future__ import annotations

import numpy as np

FLOOR_DB = 40.0
"""How far below the utterance's loudest 10 ms the noise floor sits."""
LOOKAHEAD = 4800
"""Samples (0.3 s at 16 kHz) of speech heard before the floor is fixed and audio goes on."""
ONSET_RMS = 100.0
"""A 10 ms block this loud (about -50 dBFS) is taken as sound having begun."""
LEVEL_BLOCK = 160
"""Samples (10 ms) over which loudness is measured."""
ROOM_BLOCKS = 10
"""The first blocks (100 ms) of an utterance, whose median level is taken as the room's."""
ABOVE_ROOM = 4.0
"""Speech stands clear of the room at the first block this many times (12 dB) louder than the
room's level (and at least ``ONSET_RMS``): the corpus's fan gusts to 2-3 times its median, and
speech over the fan and the hiss peaks 7-12 times over theirs."""
LONGEST_WAIT = 16000
"""Samples (1 s) after the first block at ``ONSET_RMS``: if none has stood ``ABOVE_ROOM`` over
the room by then (speech from the very first sample, or a room nearly as loud as the voice),
it is taken to have stood clear at that first block."""
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
        self._levels: list[float] = []
        """Each block's level, until speech stands clear of the room."""
        self._measured = 0
        self.onset: int | None = None
        """Where the sound first reached ``ONSET_RMS``, in samples from the utterance's start
        (None until it has)."""
        self.clear_onset: int | None = None
        """Where speech first stood clear of the room, in samples (None until it has)."""
        self._noise = np.random.default_rng(0)

    def push(self, audio: np.ndarray) -> np.ndarray:
        """Take new int16 samples; return those that can go on now, with the floor added."""
        samples = np.asarray(audio, dtype=np.float64)
        self._measure(samples)
        self._held = np.concatenate([self._held, samples])
        if self.onset is None or self._measured - self.onset < LOOKAHEAD:
            return np.zeros(0, dtype=np.int16)
        return self._release()

    def flush(self) -> np.ndarray:
        """The utterance has ended: the samples still held, with the floor added."""
        if len(self._partial):
            self._loudest = max(self._loudest, _rms(self._partial))
            self._partial = self._partial[:0]
        if self.clear_onset is None:
            self.clear_onset = clear_of_the_room(self._levels, ended=True)
        return self._release()

    def _release(self) -> np.ndarray:
        out, self._held = self._held, self._held[:0]
        return self._with_floor(out)

    def _measure(self, samples: np.ndarray) -> None:
        joined = np.concatenate([self._partial, samples])
        whole = len(joined) - len(joined) % LEVEL_BLOCK
        if whole:
            levels = block_levels(joined[:whole])
            self._loudest = max(self._loudest, float(levels.max()))
            self._measured += whole
            if self.clear_onset is None:
                self._levels += levels.tolist()
                self.clear_onset = clear_of_the_room(self._levels)
            if self.onset is None and self._loudest >= ONSET_RMS:
                self.onset = self._measured - whole + int(np.argmax(levels >= ONSET_RMS)) * LEVEL_BLOCK
        self._partial = joined[whole:]

    def _with_floor(self, samples: np.ndarray) -> np.ndarray:
        scale = max(MIN_NOISE, self._loudest * 10 ** (-FLOOR_DB / 20))
        noisy = samples + self._noise.normal(scale=scale, size=len(samples))
        return np.clip(np.round(noisy), -32768, 32767).astype(np.int16)


def clear_of_the_room(levels: list[float], ended: bool = False) -> int | None:
    """Where speech first stood clear of the room (in samples), from the levels of an
    utterance's blocks so far; None if it has not yet (or, once the utterance has ``ended``,
    never reached ``ONSET_RMS``)."""
    loud = next((index for index, level in enumerate(levels) if level >= ONSET_RMS), None)
    if loud is None or (len(levels) < ROOM_BLOCKS and not ended):
        return None
    room = float(np.median(levels[:ROOM_BLOCKS]))
    clear = next((index for index in range(loud, len(levels)) if levels[index] >= ABOVE_ROOM * room), None)
    if clear is not None:
        return clear * LEVEL_BLOCK
    if ended or (len(levels) - loud) * LEVEL_BLOCK >= LONGEST_WAIT:
        return loud * LEVEL_BLOCK
    return None


def block_levels(samples: np.ndarray) -> np.ndarray:
    """The RMS level of each whole ``LEVEL_BLOCK`` of ``samples`` (a part block at the end is left out)."""
    whole = len(samples) - len(samples) % LEVEL_BLOCK
    blocks = np.asarray(samples[:whole], dtype=np.float64).reshape(-1, LEVEL_BLOCK)
    return np.sqrt(np.mean(blocks ** 2, axis=1))


def _rms(samples: np.ndarray) -> float:
    return float(np.sqrt(np.mean(samples ** 2))) if len(samples) else 0.0
