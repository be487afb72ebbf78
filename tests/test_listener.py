"""The listener between microphone and dialog, with a fake recognizer at the edge: when an
utterance ends, deafness while the assistant talks, and the context each utterance is heard in."""

from __future__ import annotations

import numpy as np
import pytest

from voice_assistant.app import Assistant
from voice_assistant.asr.base import Transcript
from voice_assistant.audio.endpoint import FRAME_SAMPLES, EndpointSettings
from voice_assistant.audio.wav import SAMPLE_RATE
from voice_assistant.clock import AudioClock, WallClock
from voice_assistant.content import load_content
from voice_assistant.dialog import Dialog
from voice_assistant import runners
from voice_assistant.listener import ECHO_TAIL_SECONDS, Listener
from voice_assistant.speech import Spoken

FRAME_SECONDS = FRAME_SAMPLES / SAMPLE_RATE


class FakeRecognizer:
    """Hears whatever it is told to; remembers the context of each utterance."""

    engine = "fake"

    def __init__(self, words: str) -> None:
        self.words = words
        self.context = ""
        self.utterances: list[str] = []
        self.samples = 0

    def set_context(self, context: str) -> None:
        self.context = context

    def begin(self) -> None:
        self.utterances.append(self.context)
        self.samples = 0

    def accept(self, audio: np.ndarray) -> None:
        self.samples += len(audio)

    def partial(self) -> str:
        return self.words if self.samples else ""

    def end(self) -> Transcript:
        return Transcript(self.words, 0.95)

    def new_speaker(self, recording: np.ndarray | None = None) -> None:
        """Nothing learnt to forget."""


class TimedSpeaker:
    """Every sentence takes two seconds, and starts ``delay`` seconds after it is queued."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay

    def unplayed_seconds(self) -> float:
        return 0.0

    def say(self, text: str, kind: str) -> Spoken:
        return Spoken(2.0)

    def close(self, drain: bool = True) -> None:
        """Nothing to close."""


def session(grammar, setup: list[str] = ()) -> Assistant:
    clock = AudioClock(SAMPLE_RATE)
    assistant = Assistant(Dialog(load_content()), grammar, TimedSpeaker(), clock)
    assistant.start()
    for text in setup:
        assistant.hear_text(text)
    clock.add_samples(int((assistant.speaking_until + 1.0) * SAMPLE_RATE))
    return assistant


def speak_then_quiet(listener: Listener, clock: AudioClock, speech_seconds: float, quiet_seconds: float) -> float | None:
    """Feed a loud burst then quiet; the seconds of quiet after which the utterance was heard."""
    records = listener.host.sinks[0].records
    heard_before = sum(r["type"] == "heard" for r in records)
    rng = np.random.default_rng(0)
    loud = (rng.normal(scale=3000, size=FRAME_SAMPLES)).astype(np.int16)
    quiet = np.zeros(FRAME_SAMPLES, dtype=np.int16)
    for _ in range(int(speech_seconds / FRAME_SECONDS)):
        clock.add_samples(FRAME_SAMPLES)
        listener.feed(loud)
    for index in range(int(quiet_seconds / FRAME_SECONDS)):
        clock.add_samples(FRAME_SAMPLES)
        listener.feed(quiet)
        if sum(r["type"] == "heard" for r in records) > heard_before:
            return (index + 1) * FRAME_SECONDS
    return None


class Records:
    def __init__(self) -> None:
        self.records: list[dict] = []

    def write(self, record: dict) -> None:
        self.records.append(record)


@pytest.fixture
def listen(grammar):
    def make(words: str, setup: list[str] = ()) -> tuple[Listener, AudioClock]:
        assistant = session(grammar, setup)
        assistant.sinks.append(Records())
        return Listener(assistant, FakeRecognizer(words)), assistant.clock

    return make


@pytest.mark.parametrize("words, setup, waited", [
    ("next step", ["my back is spasming", *["no"] * 6], EndpointSettings().closed_silence_seconds),
    ("no", ["my back is spasming"], EndpointSettings().complete_silence_seconds),  # "no I haven't" goes on
    ("set a timer for", ["my back is spasming"], EndpointSettings().trailing_silence_seconds),
])
def test_an_utterance_ends_as_soon_as_it_is_a_whole_sentence(listen, words, setup, waited):
    listener, clock = listen(words, setup)
    quiet = speak_then_quiet(listener, clock, speech_seconds=0.6, quiet_seconds=1.0)
    assert quiet == pytest.approx(waited, abs=FRAME_SECONDS + 1e-9)


def test_nothing_is_heard_while_the_assistant_talks_and_the_context_is_the_one_asked_in(listen):
    listener, clock = listen("no")
    listener.host.hear_text("my back is spasming")  # it talks for several sentences now
    recognizer = listener.recognizer
    assert speak_then_quiet(listener, clock, 1.0, 1.0) is None and recognizer.utterances == []
    clock.add_samples(int((listener.host.speaking_until - clock.now() + 0.5) * SAMPLE_RATE))
    assert speak_then_quiet(listener, clock, 0.6, 1.0) is not None
    assert recognizer.utterances == ["yes_no"]


class SteppedClock(WallClock):
    """The wall clock at the edge: it moves only when the fake microphone moves it."""

    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def at(self, monotonic: float) -> float:
        return monotonic


class FakeMicrophone:
    """The microphone at the edge: its latency, and frames that arrive every 30 ms. Each is
    handed on ``backlog`` seconds after it arrived, as when a decode holds the loop up."""

    def __init__(self, clock: SteppedClock, latency: float, sound: list[tuple[float, float]], seconds: float,
                 backlog: float) -> None:
        self.clock, self.latency, self.sound, self.seconds, self.backlog = clock, latency, sound, seconds, backlog

    def frames(self):
        rng = np.random.default_rng(1)
        arrived = 0.0
        while arrived < self.seconds:
            arrived += FRAME_SECONDS
            self.clock.t = arrived + self.backlog
            loud = any(start <= arrived < end for start, end in self.sound)
            yield arrived, (rng.normal(scale=3000 if loud else 0, size=FRAME_SAMPLES)).astype(np.int16)


@pytest.mark.parametrize("backlog", [0.0, 0.3])
def test_live_the_assistant_stays_deaf_to_its_own_voice_for_the_latencies_of_the_sound_card(grammar, monkeypatch,
                                                                                          backlog):
    speaker_delay, microphone_latency = 0.15, 0.1
    clock, content = SteppedClock(), load_content()
    records = Records()
    assistant = Assistant(Dialog(content), grammar, TimedSpeaker(speaker_delay), clock, [records])
    welcome_ends = len(content.session["live_welcome"]) * 2.0  # 2 s a sentence
    # Its own last words come back through the sound card after the plain echo tail; the user then answers.
    echo = (welcome_ends + ECHO_TAIL_SECONDS + 0.02, welcome_ends + ECHO_TAIL_SECONDS + 0.22)
    answer = (welcome_ends + 1.5, welcome_ends + 2.1)
    microphone = FakeMicrophone(clock, microphone_latency, [echo, answer], welcome_ends + 4.0, backlog)
    monkeypatch.setattr(runners, "Microphone", lambda device: microphone)
    recognizer = FakeRecognizer("my back is spasming")
    runners.run_audio(assistant, recognizer, None, None)
    heard = [r["t"] for r in records.records if r["type"] == "heard"]
    assert len(heard) == 1 and heard[0] > answer[1], "the echo is not heard, the answer is"
