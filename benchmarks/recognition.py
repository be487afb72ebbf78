"""Recognition benchmark: accuracy by condition, false accepts, decode time, load time, memory.

    .venv/bin/python benchmarks/recognition.py [--engine pocketsphinx]

Speech is synthesised offline (tests/speechgen.py). Prints medians and 95th percentiles.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from speech_corpus import IN_GRAMMAR, OUT_OF_GRAMMAR  # noqa: E402
from speechgen import CONDITIONS, speech  # noqa: E402

from voice_assistant.asr.select import make_recognizer  # noqa: E402
from voice_assistant.audio.wav import read_wav  # noqa: E402
from voice_assistant.grammar import load_grammar  # noqa: E402
from voice_assistant.transcribe import recognise  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="pocketsphinx")
    args = parser.parse_args()
    grammar = load_grammar()
    began = time.perf_counter()
    recognizer, note = make_recognizer(args.engine, None, grammar)
    for context in grammar.contexts:
        recognizer.set_context(context)
    load_s = time.perf_counter() - began
    decode_ms, audio_s, busy_s = [], 0.0, 0.0
    print(note)
    for condition in CONDITIONS:
        right = 0
        for context, text, intent in IN_GRAMMAR:
            samples = read_wav(speech(text, condition))
            started = time.perf_counter()
            result = recognise(recognizer, grammar, context, samples)
            busy_s += time.perf_counter() - started
            audio_s += len(samples) / 16000
            decode_ms.append(result["decode_ms"])
            right += result["intent"] == intent
        accepted = sum(recognise(recognizer, grammar, context, read_wav(speech(text, condition)))["intent"] is not None
                       for context, text in OUT_OF_GRAMMAR)
        print(f"{condition:8} intent accuracy {right}/{len(IN_GRAMMAR)} = {right / len(IN_GRAMMAR):.0%}   "
              f"false accepts {accepted}/{len(OUT_OF_GRAMMAR)} = {accepted / len(OUT_OF_GRAMMAR):.0%}")
    print(f"decode after end of speech: median {statistics.median(decode_ms):.0f} ms, "
          f"p95 {percentile(decode_ms, 0.95):.0f} ms")
    print(f"real-time factor (whole utterance): {busy_s / audio_s:.2f}")
    print(f"model load and grammar compile: {load_s:.2f} s")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
