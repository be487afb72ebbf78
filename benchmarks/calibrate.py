"""Fit pocketsphinx's confidence on the tuning voices and rooms; check it on the held-out ones.

    .venv/bin/python benchmarks/recognition.py --jsonl results.jsonl   # decode the corpus once
    .venv/bin/python benchmarks/calibrate.py results.jsonl [more.jsonl]

Each grammar hypothesis has evidence (``last_scores``: its gap to a phone loop, its score per
frame, agreement with a free decode). A logistic model turns that evidence into the chance
that the hypothesis means what was said; it is fitted only on the voices and rooms marked
"tuned" in tests/speechgen.py. Two thresholds are then chosen on the same tuning data: one for
ordinary intents, a stricter one for the cautious ones (grammars/contexts.yaml), the
strictest that keeps false accepts and hazards at zero there. Everything printed for the
held-out voices and rooms is what the chosen constants do on speech they never saw; the
constants to copy into ``asr/pocketsphinx_engine.py`` are printed last.
"""

from __future__ import annotations

import json
import math
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from speech_corpus import MOVES_ON  # noqa: E402
from speechgen import TUNING_ROOMS, VOICES  # noqa: E402

from voice_assistant.asr.pocketsphinx_engine import confidence_features  # noqa: E402
from voice_assistant.grammar import load_grammar  # noqa: E402


def load(paths: list[str]) -> list[dict]:
    grammar = load_grammar()
    records = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            scores = record.get("scores") or {}
            hypothesis = scores.get("hypothesis") or ""
            match = grammar.match(hypothesis, record["context"]) if hypothesis else None
            record["meaning"] = match.intent if match else None
            record["features"] = confidence_features(scores) if hypothesis else None
            record["cautious"] = record["meaning"] in grammar.phrases(record["context"]).cautious
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


def decide(record: dict, weights: np.ndarray, threshold: float, cautious_threshold: float) -> str | None:
    if record["features"] is None or record["meaning"] is None:
        return None
    p = probability(weights, record["features"])
    return record["meaning"] if p >= (cautious_threshold if record["cautious"] else threshold) else None


def is_hazard(record: dict, heard: str | None) -> bool:
    return (record["context"] == "yes_no" and heard == "no" and record["intent"] != "no") or (
        record["intent"] == "stop" and heard in MOVES_ON) or (
        record["context"] == "idle" and heard == "start_guidance" and record["intent"] != "start_guidance")


def score(records: list[dict], decisions: list[str | None]) -> dict:
    inside = [(r, d) for r, d in zip(records, decisions) if r["intent"] is not None]
    outside = [(r, d) for r, d in zip(records, decisions) if r["intent"] is None]
    single = [(r, d) for r, d in inside if r["single_word"]]
    return {
        "accuracy": sum(d == r["intent"] for r, d in inside) / max(1, len(inside)),
        "single": sum(d == r["intent"] for r, d in single) / max(1, len(single)),
        "false_accepts": sum(d is not None for _, d in outside) / max(1, len(outside)),
        "hazards": sum(is_hazard(r, d) for r, d in zip(records, decisions)),
        "wrong": sum(d is not None and d != r["intent"] for r, d in zip(records, decisions)),
        "n": len(records),
    }


def line(name: str, result: dict) -> str:
    return (f"{name:28} accuracy {result['accuracy']:6.1%}  single words {result['single']:6.1%}  "
            f"false accepts {result['false_accepts']:5.1%}  hazards {result['hazards']}  wrong {result['wrong']}  "
            f"(n={result['n']})")


def main() -> None:
    records = load(sys.argv[1:])
    tuning = [r for r in records if r["tuning"] and r["features"] is not None and r["meaning"] is not None]
    x = np.array([r["features"] for r in tuning])
    y = np.array([float(r["meaning"] == r["intent"]) for r in tuning])
    weights = fit(x, y)
    tuning_all = [r for r in records if r["tuning"]]
    candidates = [round(t, 2) for t in np.arange(0.05, 0.99, 0.01)]

    def tuning_result(t: float, tc: float) -> dict:
        return score(tuning_all, [decide(r, weights, t, tc) for r in tuning_all])

    cautious_threshold = next(
        (tc for tc in candidates if tuning_result(0.5, tc)["hazards"] == 0), candidates[-1])
    best = max(candidates, key=lambda t: (tuning_result(t, max(t, cautious_threshold))["false_accepts"] <= 0.02,
                                          tuning_result(t, max(t, cautious_threshold))["accuracy"]))
    threshold, cautious_threshold = best, max(best, cautious_threshold)
    print(line("tuning voices, tuning rooms", tuning_result(threshold, cautious_threshold)))
    groups: dict[str, list[dict]] = defaultdict(list)
    for record in records:
        if record["tuning"]:
            continue
        tag = "held-out" if not VOICES[record["voice"]].tuned else "tuned voice"
        groups[f"{record['voice']} ({tag})"].append(record)
        groups[f"  room {record['room']}"].append(record)
    for name in sorted(groups, key=lambda n: (n.startswith("  "), n)):
        group = groups[name]
        print(line(name, score(group, [decide(r, weights, threshold, cautious_threshold) for r in group])))
    held_out = [r for r in records if not VOICES[r["voice"]].tuned]
    decisions = [decide(r, weights, threshold, cautious_threshold) for r in held_out]
    print(line("ALL held-out voices", score(held_out, decisions)))
    for record, decision in zip(held_out, decisions):
        if is_hazard(record, decision):
            print(f"    hazard: '{record['text']}' ({record['voice']}, {record['room']}) heard as {decision}")
    bins: dict[float, list[bool]] = defaultdict(list)
    for record, decision in zip(held_out, decisions):
        if decision is not None:
            p = probability(weights, record["features"])
            bins[min(0.9, math.floor(p * 10) / 10)].append(decision == record["intent"])
    print("calibration on held-out voices (confidence bin: share right, count):")
    for low in sorted(bins):
        print(f"  {low:.1f}-{low + 0.1:.1f}: {sum(bins[low]) / len(bins[low]):.0%} of {len(bins[low])}")
    print("\nconstants for asr/pocketsphinx_engine.py:")
    print(f"CONFIDENCE_WEIGHTS = {tuple(round(float(w), 4) for w in weights[:-1])}")
    print(f"CONFIDENCE_BIAS = {round(float(weights[-1]), 4)}")
    print(f"ACCEPT_CONFIDENCE = {threshold}")
    print(f"ACCEPT_CAUTIOUS_CONFIDENCE = {cautious_threshold}")


if __name__ == "__main__":
    main()
