"""From sound to utterances: the microphone, and the listener that cuts its frames into
utterances for a recognizer and stays deaf while the assistant talks."""

from __future__ import annotations

import queue
import time
from typing import Any, Iterator, Protocol

import numpy as np

from voice_assistant.asr.base import Recognizer
from voice_assistant.audio.endpoint import FRAME_SAMPLES, Endpointer, Segment
from voice_assistant.audio.wav import SAMPLE_RATE
from voice_assistant.clock import Clock
from voice_assistant.errors import UserFacingError
from voice_assistant.grammar import ContextPhrases


ECHO_TAIL_SECONDS = 0.2
"""After the assistant stops talking, the room still echoes it for a moment."""


class Listening(Protocol):
    """What a listener needs from whoever it listens for (the ``Assistant``)."""

    clock: Clock
    context: str
    """The grammar context the next utterance is heard in."""

    @property
    def speaking_until(self) -> float:
        """Session time at which everything said so far will have been played."""

    def phrases(self, context: str) -> ContextPhrases: ...

    def hear_utterance(self, text: str, confidence: float | None) -> None: ...


class Listener:
    """Endpointer + recognizer feeding the assistant, one 30 ms frame at a time.

    While the assistant talks, and until its voice has died away (the room's echo tail and,
    live, the sound card's latency both ways), the microphone is not listened to: no
    utterance can start, and one in progress is ended where the talking begins, so a
    "stop" said in the gap between two countdown numbers still counts.
    """

    def __init__(self, host: Listening, recognizer: Recognizer, deaf_after_speech: float = ECHO_TAIL_SECONDS) -> None:
        self.host = host
        self.recognizer = recognizer
        self.deaf_after_speech = deaf_after_speech
        """How long after its last sentence ends the assistant keeps not listening."""
        self.endpointer = Endpointer()
        self.recognizer.set_context(host.context)
        self._listening_in = host.context
        self._phrases: dict[str, ContextPhrases] = {}

    def feed(self, frame: np.ndarray, arrived: float | None = None) -> None:
        """One frame, which arrived at session time ``arrived`` (by default: now)."""
        frame_start = (self.host.clock.now() if arrived is None else arrived) - len(frame) / SAMPLE_RATE
        if frame_start < self.host.speaking_until + self.deaf_after_speech:
            if self.endpointer.in_speech:
                self._handle(self.endpointer.cut())
        else:
            segment = self.endpointer.feed(frame)
            self._handle(segment)
            if segment.kind == "speech" and self._heard_a_whole_sentence():
                self._handle(self.endpointer.cut())

    def finish(self) -> None:
        """The input has ended: an utterance still going is heard as it is."""
        if self.endpointer.in_speech:
            self._handle(self.endpointer.cut())

    def _heard_a_whole_sentence(self) -> bool:
        """Quiet long enough after a sentence of the context that is already whole."""
        quiet = self.endpointer.silent_seconds
        settings = self.endpointer.settings
        if quiet < min(settings.closed_silence_seconds, settings.complete_silence_seconds):
            return False
        context = self._listening_in
        if context not in self._phrases:
            self._phrases[context] = self.host.phrases(context)
        phrases, words = self._phrases[context], self.recognizer.partial()
        if words in phrases.closed:
            return quiet >= settings.closed_silence_seconds
        return words in phrases.meanings and quiet >= settings.complete_silence_seconds

    def _handle(self, segment: Segment) -> None:
        if segment.kind == "start":
            self._listening_in = self.host.context
            self.recognizer.set_context(self._listening_in)  # only between utterances
            self.recognizer.begin()
        if segment.kind in ("start", "speech", "end") and len(segment.audio):
            self.recognizer.accept(segment.audio)
        if segment.kind == "end":
            transcript = self.recognizer.end()
            self.host.hear_utterance(transcript.text, transcript.confidence)
        elif segment.kind == "discard":
            self.recognizer.end()


class Microphone:
    """30 ms int16 frames from the microphone until interrupted, each with the time.monotonic()
    at which it arrived: a frame can wait in the queue while a decode runs."""

    def __init__(self, device: str | None) -> None:
        from voice_assistant.audio.devices import find_input_device, sounddevice_module

        index = find_input_device(device)
        sd = sounddevice_module()
        self._chunks: queue.Queue[tuple[float, np.ndarray]] = queue.Queue()
        try:
            self._stream = sd.RawInputStream(samplerate=SAMPLE_RATE, blocksize=FRAME_SAMPLES, device=index,
                                             channels=1, dtype="int16", callback=self._arrived)
        except Exception as error:  # noqa: BLE001 - PortAudio errors vary
            raise UserFacingError(f"cannot open the microphone ({error}); use --text or --input FILE.wav") from None
        self.latency = float(self._stream.latency)
        """Seconds from sound reaching the microphone to its frame arriving (as PortAudio reports)."""

    def _arrived(self, data: Any, count: int, time_info: Any, status: Any) -> None:
        self._chunks.put((time.monotonic(), np.frombuffer(bytes(data), dtype=np.int16).copy()))

    def frames(self) -> Iterator[tuple[float, np.ndarray]]:
        with self._stream:
            while True:
                yield self._chunks.get()
