"""Recognition benchmark, per voice and per room, with the tuning voices and rooms marked.

    .venv/bin/python benchmarks/recognition.py [--engine pocketsphinx] [--voices a,b] [--rooms a,b]
        [--every N] [--phrasings FOLDER] [--per-phrasing] [--each-file-alone] [--jsonl FILE]

Speech is synthesised offline (tests/speechgen.py) from the development corpus
(tests/speech_corpus.py). Thresholds are tuned on the voices and rooms marked "tuned"; the
figures that count are the held-out ones. For each voice and room: intent accuracy on
in-grammar speech, how often the grammar's own answer meant what was said, taken or not (what
the search heard, before its evidence was judged), single-word accuracy, false accepts on
out-of-grammar speech, hazards (a not-"no" heard as "no" in the safety questions, "stop" heard
as moving on, a start from chatter, a timer cancelled by mistake; a doubtful "no", which the
dialog asks again, is counted apart), how many second chances were taken (and right), how many
results were turned away because more was said than the sentence (and how many of those were
out-of-grammar speech, which is what it is for), and decode time after the end of speech
(median, p95). How well ``confidence`` matches the share of accepted results that were right is
reported by benchmarks/calibrate.py from the results ``--jsonl`` writes. ``--per-phrasing``
adds, for each phrasing, how often it was right on the tuning voices and rooms and on the
others (with ``--phrasings benchmarks/offered_phrasings``: which words a prompt should offer).
``--phrasings benchmarks/start_stop_phrasings`` measures the start heard as a stop (a timer
cancelled by mistake) on every voice in a few minutes. The utterances of a run are heard as one
session (the speaker's pitch, the settled means and the room's noise carry from one to the
next), unless ``--each-file-alone``: then each is heard as a new speaker, as ``transcribe``
hears each of the files it is given.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from speech_corpus import DOUBTED_NO, corpus, hazard, phrasings, sentence_intent  # noqa: E402
from speechgen import ROOMS, TUNING_ROOMS, VOICES, speech  # noqa: E402

from voice_assistant.asr.select import make_recognizer  # noqa: E402
from voice_assistant.audio.wav import read_wav  # noqa: E402
from voice_assistant.grammar import load_grammar  # noqa: E402
from voice_assistant.transcribe import recognise  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def turned_away(results: list[dict], reason: str) -> str:
    """How many results the engine turned away for ``reason`` (a flag in its logged evidence:
    ``said_more``, ``stop_heard``), and how many of those were out-of-grammar speech."""
    away = [r for r in results if (r.get("scores") or {}).get(reason)]
    return f"{len(away)} ({sum(r['intent'] is None for r in away)} out of the grammar)"


def summary(results: list[dict]) -> str:
    inside = [r for r in results if r["intent"] is not None]
    single = [r for r in inside if r["single_word"]]
    outside = [r for r in results if r["intent"] is None]
    right = sum(r["heard"] == r["intent"] for r in inside)
    searched_right = sum(r["grammar_meant"] == r["intent"] for r in inside)
    searched = (f"grammar's answer right {searched_right / max(1, len(inside)):6.1%}  "
                if any(r["scores"] for r in results) else "")  # an engine that logs its evidence
    single_right = sum(r["heard"] == r["intent"] for r in single)
    accepted = sum(r["heard"] is not None for r in outside)
    hazards = [r for r in results if r["hazard"] and r["hazard"] != DOUBTED_NO]
    doubted = [r for r in results if r["hazard"] == DOUBTED_NO]
    decode = [r["decode_ms"] for r in results]
    second = [r for r in results if "second_chance" in (r.get("scores") or {})]
    second_right = sum(r["heard"] == r["intent"] for r in second)
    return (f"accuracy {right / max(1, len(inside)):6.1%} ({right}/{len(inside)})  "
            f"{searched}"
            f"single words {single_right / max(1, len(single)):6.1%}  "
            f"false accepts {accepted / max(1, len(outside)):5.1%} ({accepted}/{len(outside)})  "
            f"hazards {len(hazards)} (+{len(doubted)} asked again)  second chances {second_right}/{len(second)} right  "
            f"more said {turned_away(results, 'said_more')}  stop heard {turned_away(results, 'stop_heard')}  decode median {statistics.median(decode):.0f} ms p95 {percentile(decode, 0.95):.0f} ms")


def per_phrasing(results: list[dict]) -> list[str]:
    """One line a phrasing (context and words): right of heard on the tuning voices and rooms,
    then on the others, and how many were taken for something else."""
    tallies: dict[tuple[str, str], list[int]] = {}
    for r in results:
        tally = tallies.setdefault((r["context"], r["text"]), [0, 0, 0, 0, 0])
        part = 0 if VOICES[r["voice"]].tuned and r["room"] in TUNING_ROOMS else 2
        tally[part] += r["heard"] == r["intent"]
        tally[part + 1] += 1
        tally[4] += r["heard"] not in (None, r["intent"])
    return [f"{context:10} {text:40} tuning {t[0]}/{t[1]}  held out {t[2]}/{t[3]}  wrong {t[4]}"
            for (context, text), t in tallies.items()]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engine", default="pocketsphinx")
    parser.add_argument("--voices", default=",".join(VOICES))
    parser.add_argument("--rooms", default=",".join(ROOMS))
    parser.add_argument("--every", type=int, default=3, help="take every N-th phrasing of grammars/phrases.yaml")
    parser.add_argument("--phrasings", type=Path,
                        help="a folder whose phrases.yaml replaces the corpus (benchmarks/held_out_phrasings, "
                             "benchmarks/tuning_phrasings, benchmarks/offered_phrasings, "
                             "benchmarks/start_stop_phrasings)")
    parser.add_argument("--per-phrasing", action="store_true", help="also print how each phrasing did")
    parser.add_argument("--each-file-alone", action="store_true",
                        help="hear each utterance as a new speaker, as transcribe hears each file")
    parser.add_argument("--jsonl", type=Path, help="write every result here")
    args = parser.parse_args()
    grammar = load_grammar()
    began = time.perf_counter()
    recognizer, note = make_recognizer(args.engine, None, grammar)
    for context in grammar.contexts:
        recognizer.set_context(context)
    load_s = time.perf_counter() - began
    print(f"{note}; model load and grammar compile {load_s:.2f} s")
    items = corpus(args.every) if args.phrasings is None else phrasings(args.phrasings)
    meant = f"phrasings of {args.phrasings}" if args.phrasings else "in-grammar utterances"  # not all in the grammar
    print(f"corpus: {sum(i.intent is not None for i in items)} {meant} "
          f"({sum(i.single_word for i in items)} single words), {sum(i.intent is None for i in items)} out-of-grammar")
    out = open(args.jsonl, "w", encoding="utf-8") if args.jsonl else None
    held_out: list[dict] = []
    everything: list[dict] = []
    for voice_name in args.voices.split(","):
        voice = VOICES[voice_name]
        for room in args.rooms.split(","):
            results = []
            for item in items:
                samples = read_wav(speech(item.text, voice_name, room))
                if args.each_file_alone:
                    recognizer.new_speaker(samples)
                result = recognise(recognizer, grammar, item.context, samples)
                scores = getattr(recognizer, "last_scores", None)
                grammar_meant = sentence_intent(grammar, (scores or {}).get("hypothesis", ""), item.context)
                record = {"voice": voice_name, "room": room, "context": item.context, "text": item.text,
                          "intent": item.intent, "single_word": item.single_word, "heard": result["intent"],
                          "said": result["text"], "confidence": result["confidence"],
                          "decode_ms": result["decode_ms"], "hazard": hazard(item, result["intent"], result["confidence"]),
                          "scores": scores, "grammar_meant": grammar_meant}
                results.append(record)
                if out:
                    out.write(json.dumps(record) + "\n")
            tuned = voice.tuned and room in TUNING_ROOMS
            mark = "tuned   " if tuned else "held-out"
            print(f"{voice_name:13} {voice.kind:8} {room:11} {mark}  {summary(results)}", flush=True)
            for record in results:
                if record["hazard"]:
                    print(f"    hazard: {record['hazard']}: '{record['text']}' in {record['context']} "
                          f"heard as '{record['said']}'")
            everything += results
            if not voice.tuned:
                held_out += results
    if held_out:
        print(f"\nheld-out voices, all rooms: {summary(held_out)}")
    print(f"all: {summary(everything)}")
    if args.per_phrasing:
        print("\nper phrasing:", *per_phrasing(everything), sep="\n")
    print(f"peak memory (max RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
