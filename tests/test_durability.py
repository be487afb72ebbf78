"""A journal that survives kills, timers that survive restarts, broken state set aside."""

from __future__ import annotations

import json
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from voice_assistant.content import load_content
from voice_assistant.dialog import Dialog
from voice_assistant.events import Say
from voice_assistant.journal import TimerStore, read_records, recent_sessions
from voice_assistant.timers import TimerState

SESSION = ["my back is spasming", "no", "no", "maybe", "no", "no", "no", "no", "start the ice timer",
           "next", "start", "/wait 30", "skip", "how much time is left", "/wait 900", "stop"]


def comparable(record: dict) -> tuple:
    return tuple(sorted((k, json.dumps(v, sort_keys=True)) for k, v in record.items() if k != "wall"))


def run_script(tmp_path: Path, lines: list[str], journal: Path, log: Path | None = None) -> subprocess.Popen:
    script = tmp_path / "script.txt"
    script.write_text("\n".join(lines) + "\n")
    args = [sys.executable, "-m", "voice_assistant", "run", "--script", str(script), "--journal", str(journal)]
    if log:
        args += ["--log", str(log)]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def journal_records(journal: Path) -> list[dict]:
    files = sorted(journal.glob("session-*.jsonl"))
    assert len(files) <= 1
    if not files:
        return []
    lines = files[0].read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]  # every line must parse


def test_sigkill_at_random_points_leaves_a_whole_journal(tmp_path):
    lines = SESSION * 40
    reference_dir = tmp_path / "reference"
    assert run_script(tmp_path, lines, reference_dir).wait(timeout=300) == 0
    reference = [comparable(r) for r in journal_records(reference_dir)]
    rng = random.Random(7)
    lengths = []
    for attempt in range(12):
        journal = tmp_path / f"killed-{attempt}"
        process = run_script(tmp_path, lines, journal)
        # From the first record on, not from the start: on a busy machine starting up alone
        # took longer than the old 0.3-2 s, and every kill landed before the session began.
        began = time.monotonic()
        while (not any(f.stat().st_size for f in journal.glob("session-*.jsonl")) and process.poll() is None
               and time.monotonic() - began < 120):
            time.sleep(0.01)
        time.sleep(rng.uniform(0.0, 0.5))
        process.send_signal(signal.SIGKILL)
        process.wait()
        records = [comparable(r) for r in journal_records(journal)]
        assert records == reference[: len(records)], "the journal is an exact prefix of the full run"
        lengths.append(len(records))
    assert any(0 < n < len(reference) for n in lengths), "some kills landed mid-session"


def test_a_restart_resumes_a_running_timer_with_the_right_time_left(tmp_path):
    journal = tmp_path / "journal"
    first = run_script(tmp_path, ["my back is spasming", *["no"] * 6, "start the ice timer", "/wait 60"], journal)
    assert first.wait(timeout=60) == 0
    first_done = time.monotonic()
    saved = json.loads((journal / "timers.json").read_text())
    assert [t["name"] for t in saved["timers"]] == ["ice"]
    log = tmp_path / "second.jsonl"
    second = run_script(tmp_path, ["/wait 600"], journal, log)
    assert second.wait(timeout=60) == 0
    records = [json.loads(line) for line in log.read_text().splitlines()]
    says = [r["text"] for r in records if r["type"] == "say"]
    assert any("still running" in text and "14 minutes" in text for text in says), says[:3]
    assert not [r for r in records if r["type"] == "timer_expired"]
    third_log = tmp_path / "third.jsonl"
    # 900 s in all: 60 in the first run, 600 in the second, so 240 left (virtual time is
    # saved as it stood when each run closed; wall time between runs is counted too, and
    # on a loaded machine starting each run can take a second or two of it).
    assert run_script(tmp_path, ["/wait 400"], journal, third_log).wait(timeout=60) == 0
    wall_between = time.monotonic() - first_done
    records = [json.loads(line) for line in third_log.read_text().splitlines()]
    expired = [r for r in records if r["type"] == "timer_expired"]
    assert len(expired) == 1 and 240 - wall_between - 0.5 < expired[0]["t"] < 240 + 0.5
    warnings = [r for r in records if r["type"] == "timer_warning"]
    assert [w["warning"] for w in warnings] == ["one_minute_left"], "reminders are not repeated"


def test_a_timer_that_ran_out_while_down_is_announced(tmp_path):
    content = load_content()
    wall = [1_000.0]
    store = TimerStore(tmp_path, wall=lambda: wall[0])
    store.save([TimerState("heat", 1200, started_at=0, due_at=1200)], now=0)
    wall[0] += 3600
    timers, warning = store.load(now=0)
    assert warning is None and timers[0].due_at <= 0
    actions = Dialog(content).restore_timers(timers, now=0)
    says = [a.text for a in actions if isinstance(a, Say)]
    assert says == [content.timers.lines["expired_while_down"].format(label="heat")]


def test_corrupt_or_foreign_state_file_is_set_aside(tmp_path):
    for junk in ("{not json", json.dumps({"format": 99}), json.dumps({"format": 1, "timers": [{"name": "x"}]}),
                 "\x00\x01"):
        (tmp_path / "timers.json").write_text(junk)
        timers, warning = TimerStore(tmp_path).load(now=0)
        assert timers == [] and "unreadable" in warning
        assert not (tmp_path / "timers.json").exists()
    assert len(list(tmp_path.glob("timers.json.unreadable-*"))) >= 1


def test_journal_reads_back_in_plain_words(tmp_path):
    journal = tmp_path / "journal"
    assert run_script(tmp_path, ["my back is spasming", "yes"], journal).wait(timeout=60) == 0
    assert len(recent_sessions(journal, 5)) == 1
    result = subprocess.run([sys.executable, "-m", "voice_assistant", "journal", "--journal", str(journal),
                             "--json"], capture_output=True, text=True, check=True)
    assert all(json.loads(line) for line in result.stdout.splitlines())


def test_torn_last_line_is_skipped_not_fatal(tmp_path):
    path = tmp_path / "session-x.jsonl"
    path.write_text('{"type": "session_started", "t": 0}\n{"type": "say", "te')
    assert [r["type"] for r in read_records(path)] == ["session_started"]
