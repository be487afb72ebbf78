"""Audio-driven runs: a recording (time follows the samples) or the live microphone."""

from __future__ import annotations

import queue
from typing import Any, Iterator

import numpy as np

from voice_assistant.app import Assistant
from voice_assistant.asr.base import Recognizer
from voice_assistant.audio.endpoint import FRAME_SAMPLES, Endpointer, Segment, frames
from voice_assistant.audio.wav import SAMPLE_RATE, WavReader
from voice_assistant.clock import AudioClock
from voice_assistant.errors import UserFacingError
from voice_assistant.events import Heard
from voice_assistant.grammar import ContextPhrases


ECHO_TAIL_SECONDS = 0.2
"""After the assistant stops talking, the room still echoes it for a moment."""


class Listener:
    """Endpointer + recognizer feeding the assistant, one 30 ms frame at a time.

    While the assistant talks, and until its voice has died away (the room's echo tail and,
    live, the sound card's latency both ways), the microphone is not listened to: no
    utterance can start, and one in progress is ended where the talking begins, so a
    "stop" said in the gap between two countdown numbers still counts.
    """

    def __init__(self, assistant: Assistant, recognizer: Recognizer,
                 deaf_after_speech: float = ECHO_TAIL_SECONDS) -> None:
        self.assistant = assistant
        self.recognizer = recognizer
        self.deaf_after_speech = deaf_after_speech
        """How long after its last sentence ends the assistant keeps not listening."""
        self.endpointer = Endpointer()
        self.recognizer.set_context(assistant.context)
        self._listening_in = assistant.context
        self._phrases: dict[str, ContextPhrases] = {}

    def feed(self, frame: np.ndarray) -> None:
        frame_start = self.assistant.clock.now() - len(frame) / SAMPLE_RATE
        if frame_start < self.assistant.speaking_until + self.deaf_after_speech:
            if self.endpointer.in_speech:
                self._handle(self.endpointer.cut())
        else:
            segment = self.endpointer.feed(frame)
            self._handle(segment)
            if segment.kind == "speech" and self._heard_a_whole_sentence():
                self._handle(self.endpointer.cut())
        deadline = self.assistant.dialog.next_deadline()
        if deadline is not None and deadline <= self.assistant.clock.now():
            self.assistant.tick()

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
            self._phrases[context] = self.assistant.grammar.phrases(context)
        phrases, words = self._phrases[context], self.recognizer.partial()
        if words in phrases.closed:
            return quiet >= settings.closed_silence_seconds
        return words in phrases.meanings and quiet >= settings.complete_silence_seconds

    def _handle(self, segment: Segment) -> None:
        if segment.kind == "start":
            self._listening_in = self.assistant.context
            self.recognizer.set_context(self._listening_in)  # only between utterances
            self.recognizer.begin()
        if segment.kind in ("start", "speech", "end") and len(segment.audio):
            self.recognizer.accept(segment.audio)
        if segment.kind == "end":
            transcript = self.recognizer.end()
            if transcript.text:
                self.assistant.hear_text(transcript.text, transcript.confidence)
            else:
                self.assistant.hear(Heard("", None, {}, transcript.confidence))
        elif segment.kind == "discard":
            self.recognizer.end()


class Microphone:
    """30 ms int16 frames from the microphone until interrupted, and how late they arrive."""

    def __init__(self, device: str | None) -> None:
        from voice_assistant.audio.devices import find_input_device, sounddevice_module

        index = find_input_device(device)
        sd = sounddevice_module()
        self._chunks: queue.Queue[np.ndarray] = queue.Queue()
        try:
            self._stream = sd.RawInputStream(samplerate=SAMPLE_RATE, blocksize=FRAME_SAMPLES, device=index,
                                             channels=1, dtype="int16", callback=self._arrived)
        except Exception as error:  # noqa: BLE001 - PortAudio errors vary
            raise UserFacingError(f"cannot open the microphone ({error}); use --text or --input FILE.wav") from None
        self.latency = float(self._stream.latency)
        """Seconds from sound reaching the microphone to its frame arriving (as PortAudio reports)."""

    def _arrived(self, data: Any, count: int, time_info: Any, status: Any) -> None:
        self._chunks.put(np.frombuffer(bytes(data), dtype=np.int16).copy())

    def frames(self) -> Iterator[np.ndarray]:
        with self._stream:
            while True:
                yield self._chunks.get()


def recording_frames(recording: WavReader) -> Iterator[np.ndarray]:
    """A recording's frames, read block by block (the last frame zero-padded)."""
    pending = np.zeros(0, dtype=np.int16)
    for block in recording.blocks():
        pending = np.concatenate([pending, block])
        whole = len(pending) - len(pending) % FRAME_SAMPLES
        yield from frames(pending[:whole])
        pending = pending[whole:]
    yield from frames(pending)


def run_audio(assistant: Assistant, recognizer: Recognizer, recording: WavReader | None,
              device: str | None) -> None:
    """Feed a recording (its clock must be an AudioClock) or, when None, the live microphone."""
    if recording is not None:
        clock = assistant.clock
        assert isinstance(clock, AudioClock), "a recording runs on its own audio clock"
        listener = Listener(assistant, recognizer)
        assistant.start()
        for frame in recording_frames(recording):
            clock.add_samples(len(frame))
            listener.feed(frame)
        listener.finish()
        return
    microphone = Microphone(device)
    # Live, the assistant's own voice comes back late by the loudspeaker's and the
    # microphone's latency, on top of the room's echo.
    own_voice_late = assistant.speaker.delay + microphone.latency
    listener = Listener(assistant, recognizer, ECHO_TAIL_SECONDS + own_voice_late)
    assistant.start(greet=True)
    for frame in microphone.frames():
        listener.feed(frame)
