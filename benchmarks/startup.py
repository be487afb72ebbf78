"""Start-up and memory, live on the virtual sound card (tests/sound_card.py), and memory over a
whole session.

    .venv/bin/python benchmarks/startup.py [RUNS]

Launches `voice-assistant run --engine pocketsphinx --plain` RUNS times (default 5) and prints
medians of: the time from launch to the spoken welcome being queued (the first `say` record:
by then the recognizer is loaded, and the welcome plays from then on), and the peak resident
memory of the process (VmHWM, read after it has listened for a second, just before it is
stopped). Then it runs the recorded self-care session of tests/test_conversation.py (the start
phrase, six answers, guidance, an ice timer run out) through `run --input` and prints that
process's peak memory: every dialog context is heard in it.
"""

from __future__ import annotations

import json
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests")]

from sound_card import virtual_sound_card  # noqa: E402
from test_conversation import SELF_CARE, recording  # noqa: E402

from voice_assistant.audio.wav import write_wav  # noqa: E402


def peak_memory_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0  # a process that has just ended has no memory figures left


def one_start(env: dict, folder: Path) -> tuple[float, float]:
    """Seconds from launch to the welcome being queued, and the peak memory in MB."""
    log = folder / "log.jsonl"
    log.unlink(missing_ok=True)
    launched = time.monotonic()
    process = subprocess.Popen([sys.executable, "-m", "voice_assistant", "run", "--engine", "pocketsphinx",
                                "--plain", "--log", str(log), "--journal", str(folder / "journal")],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not (log.exists() and '"say"' in log.read_text()):
            if process.poll() is not None or time.monotonic() - launched > 30:
                raise SystemExit("the assistant did not start")
            time.sleep(0.005)
        welcome = time.monotonic() - launched
        say = next(json.loads(line) for line in log.read_text().splitlines() if '"say"' in line)
        time.sleep(say["seconds"] + 1.0)  # let it listen, so the recognizer's memory is counted
        return welcome, peak_memory_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)


def whole_session_peak_memory_mb(folder: Path) -> float:
    """Peak memory of `run --input` over a whole recorded session."""
    wav = folder / "session.wav"
    write_wav(wav, recording(SELF_CARE, tail_seconds=16 * 60))
    process = subprocess.Popen([sys.executable, "-m", "voice_assistant", "run", "--input", str(wav), "--engine",
                                "pocketsphinx", "--plain", "--log", str(folder / "session.jsonl")],
                               cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0.0  # VmHWM only grows: the last reading before the process ends is its peak (a zombie has none)
    while process.poll() is None:
        try:
            peak = max(peak, peak_memory_mb(process.pid))
        except (FileNotFoundError, ProcessLookupError):
            break
        time.sleep(0.01)
    if process.wait() != 0:
        raise SystemExit(f"the recorded session failed (exit {process.returncode})")
    records = [json.loads(line) for line in (folder / "session.jsonl").read_text().splitlines()]
    outcome = [r["disposition"] for r in records if r["type"] == "triage"]
    expired = [r["name"] for r in records if r["type"] == "timer_expired"]
    print(f"recorded session: outcome {outcome}, timers run out {expired}")
    return peak


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as folder, virtual_sound_card(Path(folder)) as env:
        results = [one_start(env, Path(folder)) for _ in range(runs)]
        print("each start: " + ", ".join(f"{welcome:.2f} s" for welcome, _ in results))
    welcomes = [welcome for welcome, _ in results]
    memories = [memory for _, memory in results]
    print(f"welcome queued after launch: median {statistics.median(welcomes):.2f} s "
          f"(min {min(welcomes):.2f}, max {max(welcomes):.2f}) over {runs} starts")
    print(f"peak memory: median {statistics.median(memories):.0f} MB (max {max(memories):.0f})")
    with tempfile.TemporaryDirectory() as folder:
        print(f"peak memory over a whole recorded session: {whole_session_peak_memory_mb(Path(folder)):.0f} MB")


if __name__ == "__main__":
    main()
