"""Speakers: where the assistant's sentences go (text, WAV files, or the loudspeaker)."""

from __future__ import annotations

import re
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TextIO

import numpy as np

from voice_assistant.audio.wav import to_int16, write_wav
from voice_assistant.errors import UserFacingError
from voice_assistant.events import ALERT
from voice_assistant.speech.voice import SYNTH_RATE, Audio, Voice, VoiceSettings, chime, open_voice

WAV_NAME = re.compile(r"^\d{5}-[a-z]+\.wav$")
RENDER_TRIES = 2


@dataclass(frozen=True)
class Spoken:
    """What saying one sentence took: its length in seconds, and its file if one was written."""

    seconds: float
    file: str | None = None


class Speaker(Protocol):
    """Says one sentence; tells how long it lasts."""

    @property
    def delay(self) -> float:
        """Seconds from a sentence being queued to its first sound (the loudspeaker's latency)."""

    def say(self, text: str, kind: str) -> Spoken: ...

    def unplayed_seconds(self) -> float:
        """Speech queued and not yet played: 0 unless it plays in real time."""

    def close(self, drain: bool = True) -> None:
        """Stop; with ``drain``, first let what is queued be heard."""


class TextSpeaker:
    """Prints what would be said; takes no time."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream

    delay = 0.0

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stdout

    def say(self, text: str, kind: str) -> Spoken:
        self.stream.write(f"assistant: {text}\n")
        self.stream.flush()
        return Spoken(0.0)

    def unplayed_seconds(self) -> float:
        return 0.0

    def close(self, drain: bool = True) -> None:
        self.stream.flush()


class AudioOutput(Protocol):
    """Where rendered sentences go: a folder of WAV files or the loudspeaker."""

    @property
    def delay(self) -> float:
        """Seconds from a sentence being put to its first sound."""

    def put(self, audio: Audio, kind: str) -> str | None: ...

    def unplayed_seconds(self) -> float: ...

    def close(self, drain: bool = True) -> None: ...


class VoiceSpeaker:
    """Renders each sentence with a voice, then plays it, files it, or only times it."""

    def __init__(self, voice: Voice, output: AudioOutput | None = None, echo: TextIO | None = None) -> None:
        self.voice = voice
        self.output = output
        self.echo = echo

    @property
    def delay(self) -> float:
        return self.output.delay if self.output is not None else 0.0

    def say(self, text: str, kind: str) -> Spoken:
        audio = self._render(text)
        if audio is None:  # never end the guidance over one sentence: show it instead
            print(f"assistant: {text}", file=sys.stderr)
            return Spoken(0.0)
        if kind == ALERT:
            gap = np.zeros(int(audio.rate * 0.15), dtype=np.int16)
            audio = Audio(np.concatenate([chime(audio.rate), gap, audio.samples]), audio.rate)
        file = self.output.put(audio, kind) if self.output is not None else None
        if self.echo is not None:
            self.echo.write(f"assistant: {text}\n")
            self.echo.flush()
        return Spoken(audio.seconds, file)

    def unplayed_seconds(self) -> float:
        return self.output.unplayed_seconds() if self.output is not None else 0.0

    def close(self, drain: bool = True) -> None:
        if self.output is not None:
            self.output.close(drain)
        self.voice.close()


    def _render(self, text: str) -> Audio | None:
        """The sentence's audio; one retry, then None (a passing synthesizer failure)."""
        for attempt in range(RENDER_TRIES):
            try:
                return self.voice.render(text)
            except UserFacingError as error:
                if attempt == RENDER_TRIES - 1:
                    print(f"voice-assistant: warning: {error}", file=sys.stderr)
        return None


class WavFolder:
    """Each sentence as its own WAV file, numbered in the order spoken (00001-speech.wav ...)."""

    delay = 0.0

    def __init__(self, folder: Path) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
            # Nothing here is deleted: this run numbers its files after any already there.
            numbers = [int(path.name[:5]) for path in folder.iterdir() if WAV_NAME.match(path.name)]
        except OSError as error:
            raise UserFacingError(f"{folder}: cannot write speech files there ({error.strerror})") from None
        self.folder = folder
        self.count = max(numbers, default=0)

    def put(self, audio: Audio, kind: str) -> str:
        self.count += 1
        path = self.folder / f"{self.count:05d}-{kind}.wav"
        try:
            write_wav(path, audio.samples, audio.rate)
        except OSError as error:
            raise UserFacingError(f"{path}: cannot write ({error.strerror})") from None
        return path.name

    def unplayed_seconds(self) -> float:
        return 0.0

    def close(self, drain: bool = True) -> None:
        """Nothing is held open between files."""


class Loudspeaker:
    """Plays sentences one after another through sounddevice, without blocking the caller."""

    def __init__(self, rate: int, device: str | int | None = None) -> None:
        from voice_assistant.audio.devices import sounddevice_module

        sd = sounddevice_module()
        self.rate = rate
        self._pending: list[np.ndarray] = []
        self._lock = threading.Lock()
        self.underflows = 0
        """Callbacks that came starved (and so played silence instead of speech)."""
        try:
            self._stream = sd.OutputStream(samplerate=rate, channels=1, dtype="int16", device=device,
                                           callback=self._fill, latency="high")
            self._stream.start()
        except Exception as error:  # noqa: BLE001 - PortAudio errors vary by system
            raise UserFacingError(f"cannot play sound ({error}); use --text, or --speak-to DIR "
                                  "to write the speech as WAV files") from None
        self.delay = float(self._stream.latency)
        """Seconds from a sentence being put to its first sound (as PortAudio reports)."""

    def _fill(self, out: Any, frames: int, time_info: Any, status: Any) -> None:
        out.fill(0)
        if status is not None and getattr(status, "output_underflow", False):
            # A starved stream calls back in a rush to catch up, and those buffers are not all
            # heard: play silence and keep the speech where it was, rather than lose it.
            self.underflows += 1
            return
        written = 0
        with self._lock:
            while written < frames and self._pending:
                chunk = self._pending[0]
                take = min(frames - written, len(chunk))
                out[written:written + take, 0] = chunk[:take]
                written += take
                if take == len(chunk):
                    self._pending.pop(0)
                else:
                    self._pending[0] = chunk[take:]

    def put(self, audio: Audio, kind: str) -> None:
        samples = audio.samples
        if audio.rate != self.rate:
            samples = to_int16(samples.astype(np.float32) / 32768.0, audio.rate, self.rate)
        with self._lock:
            self._pending.append(samples)
        return None

    def unplayed_seconds(self) -> float:
        with self._lock:
            return sum(len(chunk) for chunk in self._pending) / self.rate

    def close(self, drain: bool = True) -> None:
        """Let what is queued be heard (a goodbye should be), unless told to stop at once."""
        deadline = time.monotonic() + min(self.unplayed_seconds(), 30.0) + 0.2
        while drain and self.unplayed_seconds() > 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stream.stop()
        self._stream.close()


def build_speaker(mode: str, settings: VoiceSettings, speak_to: Path | None = None,
                  echo: TextIO | None = None) -> Speaker:
    """The speaker for a run: ``mode`` is "text", "timed" (a recording) or "live".

    With ``speak_to`` every sentence becomes a numbered WAV file. A recording's run renders
    each sentence even without it, to know how long the assistant talks on the audio clock.
    """
    if speak_to is None and mode == "text":
        return TextSpeaker(echo)
    voice = open_voice(settings)
    try:
        if speak_to is not None:
            output: AudioOutput | None = WavFolder(speak_to)
        elif mode == "live":
            output = Loudspeaker(SYNTH_RATE)
        else:
            output = None
    except UserFacingError:
        voice.close()
        raise
    return VoiceSpeaker(voice, output, echo or sys.stdout)
