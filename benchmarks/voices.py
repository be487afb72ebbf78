"""Render time of the first sentence of each reply, per voice: what it adds to turn latency.

    .venv/bin/python benchmarks/voices.py [--rounds N]

The loudspeaker starts playing as soon as a reply's first sentence is rendered (the rest
render while it plays), so that sentence's render time is what a voice adds to the turn.
Prints the median and p95 over the first sentences of every turn in a scripted self-care
session, and the ratio of audio length to render time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from voice_assistant.content import load_content  # noqa: E402
from voice_assistant.dialog import Dialog  # noqa: E402
from voice_assistant.events import Heard, Say  # noqa: E402
from voice_assistant.grammar import load_grammar  # noqa: E402
from voice_assistant.speech.voice import PIPER, VoiceSettings, open_voice, piper_installed  # noqa: E402

SESSION = ["my back is spasming", *["no"] * 6, "start the ice timer", "next", "how much time is left",
           "why does this happen", "goodbye"]


def first_sentences() -> list[str]:
    """The first sentence the assistant says in each turn of a scripted session."""
    grammar, dialog = load_grammar(), Dialog(load_content())
    firsts = []
    for now, text in enumerate(SESSION):
        match = grammar.match(text, dialog.context.value)
        said = [a.text for a in dialog.handle(Heard(text, match.intent, dict(match.slots)), float(now * 60))
                if isinstance(a, Say)]
        firsts += said[:1]
    return firsts


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sentences = first_sentences()
    voices = ["en-us", *([PIPER] if piper_installed() else [])]
    print(f"{len(sentences)} first sentences, {args.rounds} rounds each")
    for name in voices:
        began = time.perf_counter()
        voice = open_voice(VoiceSettings(voice=name))
        load_ms = (time.perf_counter() - began) * 1000
        times, audio_seconds = [], 0.0
        for _ in range(args.rounds):
            for text in sentences:
                began = time.perf_counter()
                audio = voice.render(text)
                times.append((time.perf_counter() - began) * 1000)
                audio_seconds += audio.seconds
        voice.close()
        ordered = sorted(times)
        print(f"{name:6} load {load_ms:5.0f} ms  first sentence median {statistics.median(times):4.0f} ms "
              f"p95 {ordered[int(0.95 * len(ordered))]:4.0f} ms  {audio_seconds / (sum(times) / 1000):4.1f}x real time")


if __name__ == "__main__":
    main()
