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

    While the assistant talks (and for a short echo tail) the microphone is not listened
    to: no utterance can start, and one in progress is ended where the talking begins,
    so a "stop" said in the gap between two countdown numbers still counts.
    """

    def __init__(self, assistant: Assistant, recognizer: Recognizer) -> None:
        self.assistant = assistant
        self.recognizer = recognizer
        self.endpointer = Endpointer()
        self.recognizer.set_context(assistant.context)
        self._listening_in = assistant.context
        self._phrases: dict[str, ContextPhrases] = {}

    def feed(self, frame: np.ndarray) -> None:
        frame_start = self.assistant.clock.now() - len(frame) / SAMPLE_RATE
        if frame_start < self.assistant.speaking_until + ECHO_TAIL_SECONDS:
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


def microphone_frames(device: str | None) -> Iterator[np.ndarray]:
    """30 ms int16 frames from the microphone until interrupted."""
    from voice_assistant.audio.devices import find_input_device, sounddevice_module

    index = find_input_device(device)
    sd = sounddevice_module()
    chunks: queue.Queue[np.ndarray] = queue.Queue()

    def callback(data: Any, count: int, time_info: Any, status: Any) -> None:
        chunks.put(np.frombuffer(bytes(data), dtype=np.int16).copy())

    try:
        stream = sd.RawInputStream(samplerate=SAMPLE_RATE, blocksize=FRAME_SAMPLES, device=index,
                                   channels=1, dtype="int16", callback=callback)
    except Exception as error:  # noqa: BLE001 - PortAudio errors vary
        raise UserFacingError(f"cannot open the microphone ({error}); use --text or --input FILE.wav") from None
    with stream:
        while True:
            yield chunks.get()


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
    listener = Listener(assistant, recognizer)
    assistant.start(greet=recording is None)
    if recording is not None:
        clock = assistant.clock
        assert isinstance(clock, AudioClock), "a recording runs on its own audio clock"
        for frame in recording_frames(recording):
            clock.add_samples(len(frame))
            listener.feed(frame)
        listener.finish()
    else:
        for frame in microphone_frames(device):
            listener.feed(frame)
