"""Soak run: two hours of session clock with repeated sessions, timers and countdowns.

    .venv/bin/python benchmarks/soak.py [--hours 2]

Plays a generated script on the virtual clock through the real assistant, journal included,
and prints memory at the start and end, the worst timer error, and the journal's size.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from voice_assistant.app import Assistant  # noqa: E402
from voice_assistant.runners import advance  # noqa: E402
from voice_assistant.clock import VirtualClock  # noqa: E402
from voice_assistant.content import load_content  # noqa: E402
from voice_assistant.dialog import Dialog  # noqa: E402
from voice_assistant.grammar import load_grammar  # noqa: E402
from voice_assistant.journal import Journal, TimerStore, read_records  # noqa: E402
from voice_assistant.speech import Spoken  # noqa: E402

ROUND = ["my back is spasming", "no", "nope", "not really", "no", "no", "no", "start the ice timer",
         "next", "start", "/wait 40", "skip", "start", "/wait 60", "set a timer for three minutes",
         "how much time is left", "/wait 900", "stop", "/wait 30"]


class Quiet:
    """A speaker that says nothing and takes no time."""

    delay = 0.0

    def say(self, text: str, kind: str) -> Spoken:
        return Spoken(0.0)

    def unplayed_seconds(self) -> float:
        return 0.0

    def close(self, drain: bool = True) -> None:
        pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        journal = Journal(Path(folder))
        clock = VirtualClock()
        assistant = Assistant(Dialog(load_content()), load_grammar(), Quiet(), clock, [journal], TimerStore(Path(folder)))
        assistant.start()
        tracemalloc.start()
        memory, rounds, began = [], 0, time.perf_counter()
        while clock.now() < args.hours * 3600:
            for line in ROUND:
                if line.startswith("/wait"):
                    advance(assistant, clock, clock.now() + float(line.split()[1]))
                else:
                    assistant.hear_text(line)
            rounds += 1
            memory.append(tracemalloc.get_traced_memory()[0])
        assistant.close()
        journal.close()
        elapsed = time.perf_counter() - began
        records = read_records(journal.path)
    started = {}
    errors = []
    for record in records:
        if record["type"] == "timer_started":
            started[record["name"]] = record
        elif record["type"] == "timer_expired":
            begin = started.pop(record["name"])
            errors.append(abs(record["t"] - begin["t"] - record["seconds"]))
    print(f"session clock {clock.now() / 3600:.2f} h in {elapsed:.1f} s wall ({clock.now() / elapsed:.0f}x real time)")
    print(f"rounds {rounds}, journal records {len(records)}, "
          f"sessions {sum(r['type'] == 'session_started' for r in records)}")
    print(f"traced memory after first round {memory[0] / 1024:.0f} KiB, after last {memory[-1] / 1024:.0f} KiB")
    print(f"timers expired {len(errors)}, worst timer error {max(errors):.6f} s")
    print("journal complete:", all(json.dumps(r) for r in records) and records[-1]["type"] == "stopped")


if __name__ == "__main__":
    main()
