"""Endpointing: split a stream of 16 kHz audio into utterances by energy.

The noise floor adapts to the room, so a fan or traffic does not count as speech.
An utterance ends after about half a second of trailing silence, or at a length cap; the
listener ends it sooner (``cut``) when what was heard is already a whole sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import numpy as np

FRAME_SAMPLES = 480  # 30 ms at 16 kHz


@dataclass(frozen=True)
class EndpointSettings:
    """When speech starts and stops."""

    trailing_silence_seconds: float = 0.5
    """Silence after speech that ends an utterance while it could still go on ("set a timer for")."""
    complete_silence_seconds: float = 0.3
    """Silence that ends it once what was heard is a whole sentence that others go on from ("no")."""
    closed_silence_seconds: float = 0.2
    """Silence that ends it once what was heard is a whole sentence nothing goes on from ("stop")."""
    max_utterance_seconds: float = 8.0
    """Longest utterance; longer speech is cut here."""
    min_speech_seconds: float = 0.15
    """Shorter bursts (a cough, a click) are ignored."""
    preroll_seconds: float = 0.3
    """Audio kept from just before speech starts, so the first sound is not lost."""
    threshold_over_noise: float = 3.5
    """Speech is this many times louder (RMS) than the noise floor."""
    min_speech_rms: float = 150.0
    """Never call anything quieter than this speech (int16 RMS)."""


@dataclass(frozen=True)
class Segment:
    """What the endpointer says about one frame."""

    kind: str  # "start" (with preroll audio), "speech", "end", or "silence"
    audio: np.ndarray
    frame_end_sample: int


class Endpointer:
    """Feed 30 ms frames; it tells when an utterance starts, continues and ends."""

    def __init__(self, settings: EndpointSettings = EndpointSettings()) -> None:
        self.settings = settings
        self.noise_rms = 100.0
        self.in_speech = False
        self._samples = 0
        self._preroll: list[np.ndarray] = []
        self._silent_frames = 0
        self._speech_frames = 0
        self._utterance_frames = 0
        self._frame_seconds = FRAME_SAMPLES / 16_000

    @property
    def silent_seconds(self) -> float:
        """How long the utterance in progress has been quiet."""
        return self._silent_frames * self._frame_seconds

    def reset(self) -> None:
        self.in_speech = False
        self._preroll.clear()
        self._silent_frames = self._speech_frames = self._utterance_frames = 0

    def _is_loud(self, frame: np.ndarray) -> bool:
        rms = float(np.sqrt(np.mean(frame.astype(np.float32) ** 2))) if len(frame) else 0.0
        loud = rms > max(self.settings.min_speech_rms, self.noise_rms * self.settings.threshold_over_noise)
        # The floor follows quiet frames quickly and creeps up under loud ones, so a
        # steady noise (a fan, traffic) is learnt within seconds while speech is not.
        if rms < self.noise_rms:
            self.noise_rms = 0.9 * self.noise_rms + 0.1 * max(rms, 1.0)
        else:
            self.noise_rms = min(rms, self.noise_rms * 1.02)
        return loud

    def feed(self, frame: np.ndarray) -> Segment:
        self._samples += len(frame)
        loud = self._is_loud(frame)
        s = self.settings
        if not self.in_speech:
            self._preroll.append(frame)
            keep = max(1, int(s.preroll_seconds / self._frame_seconds))
            del self._preroll[:-keep]
            if loud:
                self.in_speech = True
                self._speech_frames = 1
                self._silent_frames = 0
                self._utterance_frames = len(self._preroll)
                audio = np.concatenate(self._preroll)
                self._preroll.clear()
                return Segment("start", audio, self._samples)
            return Segment("silence", frame, self._samples)
        self._utterance_frames += 1
        if loud:
            self._speech_frames += 1
            self._silent_frames = 0
        else:
            self._silent_frames += 1
        ended = self._silent_frames * self._frame_seconds >= s.trailing_silence_seconds
        capped = self._utterance_frames * self._frame_seconds >= s.max_utterance_seconds
        if ended or capped:
            return self._close(frame)
        return Segment("speech", frame, self._samples)

    def cut(self) -> Segment:
        """End the utterance in progress now (the assistant is about to talk over it)."""
        return self._close(np.zeros(0, dtype=np.int16))

    def _close(self, frame: np.ndarray) -> Segment:
        enough = self._speech_frames * self._frame_seconds >= self.settings.min_speech_seconds
        self.reset()
        return Segment("end" if enough else "discard", frame, self._samples)


def frames(samples: np.ndarray) -> Iterator[np.ndarray]:
    """Split int16 samples into endpointer frames (the last one zero-padded)."""
    for start in range(0, len(samples), FRAME_SAMPLES):
        frame = samples[start:start + FRAME_SAMPLES]
        if len(frame) < FRAME_SAMPLES:
            frame = np.pad(frame, (0, FRAME_SAMPLES - len(frame)))
        yield frame
