"""Audio-driven runs: a recording (time follows the samples) or the live microphone."""

from __future__ import annotations

import argparse
import queue
import sys
from typing import Any, Iterable, Iterator

import numpy as np

from voice_assistant.app import Assistant, RecordSink
from voice_assistant.asr.base import Recognizer
from voice_assistant.audio.endpoint import FRAME_SAMPLES, Endpointer, frames
from voice_assistant.audio.wav import SAMPLE_RATE
from voice_assistant.clock import AudioClock, WallClock
from voice_assistant.content import Content
from voice_assistant.dialog import Dialog
from voice_assistant.errors import UserFacingError
from voice_assistant.events import Heard
from voice_assistant.grammar import Grammar
from voice_assistant.journal import TimerStore
from voice_assistant.speech import TextSpeaker


class Listener:
    """Endpointer + recognizer feeding the assistant, one 30 ms frame at a time."""

    def __init__(self, assistant: Assistant, recognizer: Recognizer) -> None:
        self.assistant = assistant
        self.recognizer = recognizer
        self.endpointer = Endpointer()
        self.recognizer.set_context(assistant.context)

    def feed(self, frame: np.ndarray) -> None:
        segment = self.endpointer.feed(frame)
        if segment.kind == "start":
            self.recognizer.set_context(self.assistant.context)  # only between utterances
            self.recognizer.begin()
            self.recognizer.accept(segment.audio)
        elif segment.kind == "speech":
            self.recognizer.accept(segment.audio)
        elif segment.kind == "end":
            self.recognizer.accept(segment.audio)
            transcript = self.recognizer.end()
            if transcript.text:
                self.assistant.hear_text(transcript.text, transcript.confidence)
            else:
                self.assistant.hear(Heard("", None, {}, transcript.confidence))
        elif segment.kind == "discard":
            self.recognizer.end()
        deadline = self.assistant.dialog.next_deadline()
        if deadline is not None and deadline <= self.assistant.clock.now():
            self.assistant.tick()


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


def run_audio(args: argparse.Namespace, samples: np.ndarray | None, content: Content, grammar: Grammar,
              sinks: Iterable[RecordSink], timer_store: TimerStore) -> int:
    """A recording's samples (time follows them), or the live microphone when None."""
    from voice_assistant.asr.select import make_recognizer

    if samples is None:
        from voice_assistant.audio.devices import find_input_device

        find_input_device(args.device)  # fail early, in one line, without a microphone
    recognizer, note = make_recognizer(args.engine, args.model, grammar)
    print(f"voice-assistant: {note}", file=sys.stderr)
    clock = AudioClock(SAMPLE_RATE) if samples is not None else WallClock()
    assistant = Assistant(Dialog(content), grammar, TextSpeaker(), clock, list(sinks), timer_store)
    listener = Listener(assistant, recognizer)
    assistant.start()
    try:
        if samples is not None:
            for frame in frames(samples):
                clock.add_samples(len(frame))
                listener.feed(frame)
        else:
            for frame in microphone_frames(args.device):
                listener.feed(frame)
    finally:
        assistant.close()
    return 0
