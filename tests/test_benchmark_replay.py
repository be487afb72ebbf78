"""benchmarks/second_chance.py replays logged evidence: a results file it cannot replay gets a
one-line error and a non-zero exit, not a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPLAY = Path(__file__).resolve().parents[1] / "benchmarks" / "second_chance.py"
RESULT = {"voice": "piper-joe", "room": "clean", "context": "countdown", "text": "stop it", "intent": "stop",
          "single_word": False, "heard": "stop", "scores": {"hypothesis": "stop it"}}


@pytest.mark.parametrize("line, problem", [
    ("not json", "not a JSON line"),
    (json.dumps({"voice": "piper-joe"}), "not a result with its evidence"),
    (json.dumps({**RESULT, "voice": "nobody"}), "voice 'nobody' or context 'countdown' is not one this checkout knows"),
    # Written with a grammar that had a sentence this one no longer has.
    (json.dumps({**RESULT, "scores": {"hypothesis": "i'll stop there"}}),
     "the grammar's answer 'i'll stop there' is no sentence of 'countdown' in this checkout's grammar"),
])
def test_results_it_cannot_replay_get_a_one_line_error(tmp_path, line, problem):
    results = tmp_path / "results.jsonl"
    results.write_text(line + "\n", encoding="utf-8")
    run = subprocess.run([sys.executable, str(REPLAY), str(results)], capture_output=True, text=True)
    assert run.returncode == 2
    assert f"{results}:1: " in run.stderr and problem in run.stderr
    assert "Traceback" not in run.stderr and run.stderr.strip().splitlines()[-1].count(problem) == 1
