"""Fit pocketsphinx's confidence on the tuning voices and rooms; check it on the held-out ones.

    .venv/bin/python benchmarks/recognition.py --jsonl results.jsonl   # decode the corpus once
    .venv/bin/python benchmarks/calibrate.py results.jsonl [more.jsonl]

Each grammar hypothesis has evidence (``last_scores``: its gap to a phone loop, its score per
frame, agreement with a free decode in words and in phones, its length, its fit against the
free decode's words, how many of its phones the free decode heard), heard at the warp the
speaker's pitch chose. A logistic model turns that evidence into the chance that the hypothesis
means what was said; it is fitted only on the voices and rooms marked "tuned" in
tests/speechgen.py. A result is accepted when its confidence reaches ``ACCEPT_CONFIDENCE``
(``ACCEPT_CONFIDENCE_ONE_WORD`` for one word). The script prints the fitted weights; what each
pair of acceptance levels does to a tuning voice when the weights are fitted on the other
tuning voices (leave one voice out); then, on the tuning data, what other least confidences
for each cautious intent would do (hazards, and how many of that intent's real requests still
get through); and last what the engine's current constants do per held-out voice and room
(beside how often the grammar's own answer was right, taken or not: what a perfect judgement
would reach), with how well the confidence matches the share of results that were right.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from speech_corpus import DOUBTED_NO, Utterance, hazard, sentence_intent  # noqa: E402
from speechgen import TUNING_ROOMS, VOICES  # noqa: E402

from voice_assistant.asr import judgement  # noqa: E402
from voice_assistant.grammar import load_grammar  # noqa: E402


def load(paths: list[Path]) -> list[dict]:
    grammar = load_grammar()
    records = []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            scores = record.get("scores") or {}
            hypothesis = scores.get("hypothesis") or ""
            record["meaning"] = sentence_intent(grammar, hypothesis, record["context"])
            try:
                record["features"] = judgement.confidence_features(scores) if hypothesis else None
            except KeyError as missing:
                raise SystemExit(f"calibrate.py: {path} lacks the evidence {missing}: it was written by an older "
                                 "engine; run benchmarks/recognition.py --jsonl again") from None
            record["least"] = grammar.phrases(record["context"]).cautious.get(record["meaning"], 0.0)
            record["tuning"] = VOICES[record["voice"]].tuned and record["room"] in TUNING_ROOMS
            records.append(record)
    return records


def fit(features: np.ndarray, labels: np.ndarray, l2: float = 1.0) -> np.ndarray:
    """Logistic regression (Newton's method, a little L2); the last weight is the bias."""
    x = np.hstack([features, np.ones((len(features), 1))])
    w = np.zeros(x.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (p - labels) + l2 * np.r_[w[:-1], 0]
        hessian = (x * (p * (1 - p))[:, None]).T @ x + l2 * np.diag(np.r_[np.ones(len(w) - 1), 0])
        w -= np.linalg.solve(hessian, gradient)
    return w


def probability(weights: np.ndarray, features: list[float]) -> float:
    return 1 / (1 + math.exp(-(float(np.dot(weights[:-1], features)) + weights[-1])))


def decide(record: dict, caution: tuple[str, str, float] | None = None) -> str | None:
    """What the engine hears: its own acceptance rule, or with ``caution`` (context, intent,
    least confidence) in place of the grammar's for that one intent."""
    if record["features"] is None or record["meaning"] is None:
        return None
    least = record["least"]
    if caution is not None and (record["context"], record["meaning"]) == caution[:2]:
        least = caution[2]
    return record["meaning"] if judgement.accepts(record["scores"], least) else None


def fit_records(records: list[dict]) -> np.ndarray:
    """Confidence weights fitted on the records that have a grammar result with a meaning."""
    fitted = [r for r in records if r["features"] is not None and r["meaning"] is not None]
    return fit(np.array([r["features"] for r in fitted]), np.array([float(r["meaning"] == r["intent"]) for r in fitted]))


def leave_one_voice_out(tuning: list[dict], accept: float, accept_one_word: float) -> list[str | None]:
    """Each tuning voice heard with weights fitted on the others, accepting at ``accept``
    (``accept_one_word`` for a one-word result): how the rule does on a voice it was not
    fitted on, without touching the held-out voices."""
    decisions: dict[int, str | None] = {}
    for voice in {r["voice"] for r in tuning}:
        weights = fit_records([r for r in tuning if r["voice"] != voice])
        for index, record in enumerate(tuning):
            if record["voice"] != voice:
                continue
            decisions[index] = None
            if record["features"] is not None and record["meaning"] is not None:
                needed = judgement.acceptance_level(record["scores"]["hypothesis"], record["least"], (accept, accept_one_word))
                if probability(weights, record["features"]) >= needed:
                    decisions[index] = record["meaning"]
    return [decisions[index] for index in range(len(tuning))]


def is_hazard(record: dict, heard: str | None) -> bool:
    """A hazard the dialog acts on at once (a doubtful "no" is asked again, not counted)."""
    item = Utterance(record["context"], record["text"], record["intent"], record["single_word"])
    confidence = judgement.confidence(record["scores"]) if record["features"] is not None else None
    return hazard(item, heard, confidence) not in (None, DOUBTED_NO)


def score(records: list[dict], decisions: list[str | None]) -> dict:
    inside = [(r, d) for r, d in zip(records, decisions) if r["intent"] is not None]
    outside = [(r, d) for r, d in zip(records, decisions) if r["intent"] is None]
    single = [(r, d) for r, d in inside if r["single_word"]]
    return {
        "accuracy": sum(d == r["intent"] for r, d in inside) / max(1, len(inside)),
        "grammar_right": sum(r["meaning"] == r["intent"] for r, _ in inside) / max(1, len(inside)),
        "single": sum(d == r["intent"] for r, d in single) / max(1, len(single)),
        "false_accepts": sum(d is not None for _, d in outside) / max(1, len(outside)),
        "hazards": sum(is_hazard(r, d) for r, d in zip(records, decisions)),
        "wrong": sum(d is not None and d != r["intent"] for r, d in zip(records, decisions)),
        "n": len(records),
    }


def line(name: str, result: dict, grammar_right: bool = False) -> str:
    """One result on one line; with ``grammar_right``, also how often the grammar's own answer
    meant what was said, taken or not: what a perfect judgement of the evidence would reach."""
    searched = f"grammar's answer right {result['grammar_right']:6.1%}  " if grammar_right else ""
    return (f"{name:36} accuracy {result['accuracy']:6.1%}  {searched}single words {result['single']:6.1%}  "
            f"false accepts {result['false_accepts']:5.1%}  hazards {result['hazards']}  wrong {result['wrong']}  "
            f"(n={result['n']})")


def results_paths(description: str) -> tuple[argparse.ArgumentParser, list[Path]]:
    """The results files named on the command line (``benchmarks/recognition.py --jsonl``),
    each there, and the parser, to report other bad input with."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("results", nargs="+", type=Path, help="--jsonl files written by benchmarks/recognition.py")
    paths = parser.parse_args().results
    missing = [str(path) for path in paths if not path.is_file()]
    if missing:
        parser.error(f"no such results file: {', '.join(missing)}")
    return parser, paths


def main() -> None:
    _, paths = results_paths("Fit the confidence on the tuning voices; report the held-out ones.")
    records = load(paths)
    tuning = [r for r in records if r["tuning"]]
    weights = fit_records(tuning)
    print(f"fitted on the tuning results: CONFIDENCE_WEIGHTS = "
          f"{tuple(round(float(w), 4) for w in weights[:-1])}, CONFIDENCE_BIAS = {round(float(weights[-1]), 4)}")
    print(f"\nACCEPT_CONFIDENCE (now {judgement.ACCEPT_CONFIDENCE}) and ACCEPT_CONFIDENCE_ONE_WORD (now "
          f"{judgement.ACCEPT_CONFIDENCE_ONE_WORD}), each tuning voice heard with weights fitted on the others:")
    for accept in (0.7, 0.8, 0.85, 0.9):
        for accept_one_word in sorted({0.4, 0.5, 0.6, 0.7, accept}):
            print(line(f"  accept at {accept}, one word {accept_one_word}",
                       score(tuning, leave_one_voice_out(tuning, accept, accept_one_word))))
    for context, cautious in load_grammar().cautious.items():
        for intent, least in cautious.items():
            print(f"\n{intent} in {context} (now at {least}), on the tuning data:")
            for threshold in (0.0, 0.8, 0.9, 0.95, 0.98):
                decisions = [decide(r, (context, intent, threshold)) for r in tuning]
                real = [d == intent for r, d in zip(tuning, decisions) if r["context"] == context and r["intent"] == intent]
                print(line(f"  least {threshold}", score(tuning, decisions)),
                      f" real '{intent}' accepted {sum(real)} of {len(real)}")
    print("\nthe engine now, on what it was not tuned on:")
    groups: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        if record["tuning"]:
            continue
        tag = "held-out voice" if not VOICES[record["voice"]].tuned else "tuned voice, held-out room"
        groups[f"{record['voice']} ({tag})"].append(record)
        groups[f"  room {record['room']}"].append(record)
    for name in sorted(groups, key=lambda n: (n.startswith("  "), n)):
        print(line(name, score(groups[name], [decide(r) for r in groups[name]]), grammar_right=True))
    held_out = [r for r in records if not VOICES[r["voice"]].tuned]
    decisions = [decide(r) for r in held_out]
    print(line("ALL held-out voices", score(held_out, decisions), grammar_right=True))
    for record, decision in zip(held_out, decisions):
        if is_hazard(record, decision):
            print(f"    hazard: '{record['text']}' ({record['voice']}, {record['room']}) heard as {decision}")
    bins: dict[float, list[bool]] = defaultdict(list)
    for record, decision in zip(held_out, decisions):
        if decision is not None:
            bins[min(0.9, math.floor(judgement.confidence(record["scores"]) * 10) / 10)].append(decision == record["intent"])
    print("confidence on held-out voices (accepted results by confidence: share right, count):")
    for low in sorted(bins):
        print(f"  {low:.1f}-{low + 0.1:.1f}: {sum(bins[low]) / len(bins[low]):.0%} of {len(bins[low])}")


if __name__ == "__main__":
    main()
