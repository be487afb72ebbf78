"""The speaker's voice pitch, and the frequency warp it calls for.

pocketsphinx's US-English model hears a high voice (a shorter vocal tract: most women's) less
well than the voices it was trained on. Stretching the frequency axis (pocketsphinx's
inverse-linear warp) makes such a voice sound as the model expects. Which warp suits a speaker
is told by their pitch: men speak at about 85-155 Hz, women at about 165-255 Hz. So each
utterance is heard at ``HIGH_VOICE_WARP`` when the speaker's pitch is at least
``HIGH_VOICE_PITCH``, and as the model was trained otherwise. The speaker's pitch is the median
of the utterances understood lately, so one odd utterance (a cough, a word over the television)
cannot move it; until one is understood, the utterance's own opening says.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from voice_assistant.audio.wav import SAMPLE_RATE

HIGH_VOICE_PITCH = 160.0
"""Hz: a speaker at or above it is heard at ``HIGH_VOICE_WARP`` (between the usual ranges of
men's and women's voices; every man's tuning voice measures 116 Hz or under, every
woman's 200 Hz or over)."""
HIGH_VOICE_WARP = 1.3
"""The warp a high voice is heard at (1.0 is the model's own): of 1.2-1.5, 1.3 got the most
right for the tuning voices made women (joe and kal at a woman's pitch and formants)."""
MODEL_WARP = 1.0
"""The model's own warp: the frequencies as they are."""
PITCH_RANGE = (70.0, 350.0)
"""Hz: the pitches looked for."""
LOUDEST_DB = 7.0
"""dB: only frames this close to an utterance's loudest give its pitch, so that the speaker's
voice does and a television behind it does not (a woman's voice on a television 12 dB under a
man's gave all his utterances her pitch when frames within 20 dB counted)."""
SETTLED_UTTERANCES = 5
"""How many of the latest understood utterances the speaker's pitch is the median of."""
_FRAME = int(0.04 * SAMPLE_RATE)
_HOP = int(0.01 * SAMPLE_RATE)
_VOICED = 0.4
"""How periodic a frame must be (its autocorrelation's peak) to count as voiced."""
_LEAST_VOICED_FRAMES = 5
_SHORTEST, _LONGEST = int(SAMPLE_RATE / PITCH_RANGE[1]), int(SAMPLE_RATE / PITCH_RANGE[0])
"""The lags, in samples, of the highest and lowest pitch looked for."""
_WINDOW = np.hanning(_FRAME)
_WINDOW_CORRELATION = np.correlate(_WINDOW, _WINDOW, "full")[_FRAME - 1:] / np.sum(_WINDOW ** 2)
"""The window's own autocorrelation, which each frame's is divided by: the window alone makes
a long period look less periodic than a short one (Boersma's correction)."""
_FREQUENCIES = np.fft.rfftfreq(2 * _FRAME, 1 / SAMPLE_RATE)
_OUTSIDE_VOICE_BAND = (_FREQUENCIES < 50) | (_FREQUENCIES > 1500)
"""The spectrum left out of a frame's autocorrelation: below the lowest voice, and the upper
harmonics, which carry more noise than pitch."""


def _measure(frames: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each frame's energy, pitch, and whether it is voiced.

    A frame's autocorrelation is taken from its magnitude spectrum (not the power, so a fan's
    rumble cannot outweigh the voice) between 50 and 1500 Hz, divided by the window's own; its
    pitch is the lag of its highest value in ``PITCH_RANGE``, voiced if that is high enough.
    """
    energy = np.mean(frames ** 2, axis=1)
    frames = (frames - frames.mean(axis=1, keepdims=True)) * _WINDOW
    spectrum = np.abs(np.fft.rfft(frames, 2 * _FRAME, axis=1))
    spectrum[:, _OUTSIDE_VOICE_BAND] = 0
    correlation = np.fft.irfft(spectrum, axis=1)
    lags = slice(_SHORTEST, _LONGEST + 1)
    periodicity = correlation[:, lags] / (np.maximum(correlation[:, :1], 1e-9) * _WINDOW_CORRELATION[lags])
    lag = np.argmax(periodicity, axis=1)
    voiced = periodicity[np.arange(len(lag)), lag] > _VOICED
    return energy, SAMPLE_RATE / (lag + _SHORTEST), voiced


class PitchTrack:
    """The pitch of one utterance, measured frame by frame while it streams in, so that
    little is left to do when it ends."""

    def __init__(self) -> None:
        self._pending = np.zeros(0)
        self._energy: list[np.ndarray] = []
        self._pitch: list[np.ndarray] = []
        self._voiced: list[np.ndarray] = []

    def push(self, audio: np.ndarray) -> None:
        samples = np.concatenate([self._pending, np.asarray(audio, dtype=np.float64)])
        count = (len(samples) - _FRAME) // _HOP + 1 if len(samples) >= _FRAME else 0
        if count:
            frames = np.lib.stride_tricks.sliding_window_view(samples, _FRAME)[::_HOP][:count]
            for measured, store in zip(_measure(frames), (self._energy, self._pitch, self._voiced)):
                store.append(measured)
        self._pending = samples[count * _HOP:]

    def pitch(self) -> float | None:
        """The median pitch of the voiced frames among the loudest (within ``LOUDEST_DB`` of
        the loudest), or None if fewer than a few are voiced."""
        if not self._energy:
            return None
        energy = np.concatenate(self._energy)
        counted = np.concatenate(self._voiced) & (energy > 10 ** (-LOUDEST_DB / 10) * energy.max())
        if counted.sum() < _LEAST_VOICED_FRAMES:
            return None
        return float(np.median(np.concatenate(self._pitch)[counted]))


def voice_pitch(audio: np.ndarray) -> float | None:
    """The median pitch of the voiced frames of ``audio`` (16 kHz samples), as ``PitchTrack``
    measures it."""
    track = PitchTrack()
    track.push(audio)
    return track.pitch()


def warp_for(pitch: float | None) -> float:
    """The warp to hear a speaker of ``pitch`` at (the model's own when it is unknown)."""
    return HIGH_VOICE_WARP if pitch is not None and pitch >= HIGH_VOICE_PITCH else MODEL_WARP


class SpeakerPitch:
    """The pitch of the speaker of one session, from the utterances understood."""

    def __init__(self) -> None:
        self._latest: deque[float] = deque(maxlen=SETTLED_UTTERANCES)

    def for_utterance(self, opening: np.ndarray) -> float | None:
        """The speaker's pitch to hear an utterance with: that of the latest understood, or
        until there are any, that of the utterance's ``opening`` (its first samples)."""
        return float(np.median(self._latest)) if self._latest else voice_pitch(opening)

    def understood(self, pitch: float | None) -> None:
        """An utterance of ``pitch`` was understood: it joins the speaker's latest."""
        if pitch is not None:
            self._latest.append(pitch)
