"""A bad day on the machine: clock jumps, full disks, two copies, corrupt state, odd inputs."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from voice_assistant.content import load_content
from voice_assistant.journal import InstanceLock, JsonLines, TimerStore, recent_sessions
from voice_assistant.summary import as_text
from voice_assistant.timers import TimerState

SESSION = ["my back is spasming", *["no"] * 6, "start the ice timer", "/wait 60"]


def cli(*args: str, cwd: Path | None = None, env: dict | None = None, timeout: float = 120,
        stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "voice_assistant", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=cwd, env={**os.environ, **(env or {})}, input=stdin)


def one_clear_line(result: subprocess.CompletedProcess) -> str:
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr and "internal error" not in result.stderr, lines
    return lines[0]


def script(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "script.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- 1. the wall clock jumps
class Wall:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def ice(left: float, now: float = 0.0) -> TimerState:
    return TimerState("ice", 900, started_at=now + left - 900, due_at=now + left)


@pytest.mark.parametrize("jump", [-3600, -10 ** 7, -86400 * 400])
def test_a_clock_stepped_back_never_gives_a_timer_more_than_it_had(tmp_path, jump):
    wall = Wall(1_700_000_000.0)
    store = TimerStore(tmp_path, wall=wall)
    store.save([ice(left=840)], now=0)
    wall.now += jump
    timers, warning = store.load(now=0)
    assert warning is None
    assert 0 < timers[0].left(0) <= 840


def test_a_clock_stepped_forward_means_the_timer_ran_out(tmp_path):
    wall = Wall(1_700_000_000.0)
    store = TimerStore(tmp_path, wall=wall)
    store.save([ice(left=840)], now=0)
    wall.now += 10 ** 9
    timers, _ = store.load(now=0)
    assert timers[0].left(0) == 0


def test_a_hand_written_timer_starting_in_the_future_claims_no_more_than_its_length(tmp_path):
    wall = Wall(1_700_000_000.0)
    (tmp_path / "timers.json").write_text(json.dumps({"format": 1, "timers": [
        {"name": "ice", "seconds": 900, "started_at": wall.now + 3600, "due_at": wall.now + 4500}]}))
    timers, warning = TimerStore(tmp_path, wall=wall).load(now=0)
    assert warning is None and timers[0].left(0) <= 900


# ---------------------------------------------------------------- 4. corrupt state that parses
@pytest.mark.parametrize("field, value", [("seconds", "NaN"), ("due_at", "Infinity"), ("seconds", "-5"),
                                          ("paused_left", "1e308"), ("seconds", "1e308"), ("due_at", "-Infinity")])
def test_impossible_numbers_set_the_file_aside_and_keep_a_copy(tmp_path, field, value):
    item = {"name": "ice", "seconds": 900, "started_at": 0, "due_at": 900, "paused_left": 100}
    text = json.dumps({"format": 1, "timers": [item]}).replace(f'"{field}": {item[field]}', f'"{field}": {value}')
    (tmp_path / "timers.json").write_text(text)
    timers, warning = TimerStore(tmp_path).load(now=0)
    assert timers == [] and "unreadable" in warning
    kept = list(tmp_path.glob("timers.json.unreadable-*"))
    assert len(kept) == 1 and kept[0].read_text() == text


def test_a_corrupt_timer_file_does_not_stop_the_session(tmp_path):
    journal = tmp_path / "journal"
    journal.mkdir()
    (journal / "timers.json").write_text('{"format": 1, "timers": [{"name": "ice", "seconds": NaN}]}')
    log = tmp_path / "log.jsonl"
    result = cli("run", "--script", str(script(tmp_path, SESSION)), "--journal", str(journal), "--log", str(log))
    assert result.returncode == 0, result.stderr
    assert "unreadable" in result.stderr
    assert list(journal.glob("timers.json.unreadable-*"))


# ---------------------------------------------------------------- 2. a full disk
def test_a_failed_journal_write_warns_once_and_goes_on(capsys):
    sink = JsonLines(Path("/dev/full"))  # every write fails with "no space left"
    for n in range(3):
        sink.write({"n": n})
    sink.close()
    warnings = capsys.readouterr().err.strip().splitlines()
    assert len(warnings) == 1 and "carrying on" in warnings[0]


@pytest.fixture
def small_disk(tmp_path):
    """A 256 KiB tmpfs, nearly full (needs root and mount; skipped otherwise)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                      capture_output=True).returncode != 0:
        pytest.skip("this machine does not allow mounting a tmpfs")
    try:
        (mount / "journal").mkdir()
        with open(mount / "filler", "wb", buffering=0) as filler:
            try:
                while True:
                    filler.write(b"x" * 4096)
            except OSError:
                pass
        full = (mount / "filler").stat().st_size
        os.truncate(mount / "filler", full - 12 * 1024)  # a few KiB left: the session starts, then runs out
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], capture_output=True)


def test_a_full_disk_keeps_the_guidance_going_and_tears_no_line(tmp_path, small_disk):
    log = tmp_path / "log.jsonl"
    lines = SESSION + ["next", "start", "/wait 200", "how much time is left", "/wait 900"]
    result = cli("run", "--script", str(script(tmp_path, lines)), "--journal", str(small_disk / "journal"),
                 "--log", str(log))
    assert result.returncode == 0, result.stderr
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert "warning" in result.stderr
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert [r for r in records if r["type"] == "timer_expired"], "the guidance went on to the end"
    for path in (small_disk / "journal").glob("session-*.jsonl"):
        for line in path.read_text().splitlines():
            json.loads(line)  # every line written is whole


# ---------------------------------------------------------------- 3. two copies on one folder
def test_a_second_copy_on_the_same_journal_is_refused_in_one_line(tmp_path):
    journal = tmp_path / "journal"
    lock = InstanceLock(journal)
    try:
        line = one_clear_line(cli("run", "--script", str(script(tmp_path, SESSION)), "--journal", str(journal)))
        assert "already running" in line
        assert not list(journal.glob("session-*.jsonl"))
    finally:
        lock.release()
    assert cli("run", "--script", str(script(tmp_path, SESSION)), "--journal", str(journal)).returncode == 0


# ---------------------------------------------------------------- 5. scripts leave the person's timers alone
def test_a_script_without_a_journal_folder_touches_no_live_state(tmp_path):
    data = tmp_path / "data"
    journal = data / "voice-assistant" / "journal"
    journal.mkdir(parents=True)
    live = json.dumps({"format": 1, "timers": [{"name": "heat", "seconds": 1200, "started_at": 4e9,
                                                 "due_at": 4e9 + 1200}]})
    (journal / "timers.json").write_text(live)
    result = cli("run", "--script", str(script(tmp_path, SESSION + ["/wait 2000"])),
                 env={"XDG_DATA_HOME": str(data)})
    assert result.returncode == 0, result.stderr
    assert (journal / "timers.json").read_text() == live
    assert sorted(p.name for p in journal.iterdir()) == ["timers.json"]


# ---------------------------------------------------------------- 6. devices and pipes as inputs
@pytest.fixture
def fifo(tmp_path):
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


@pytest.mark.parametrize("kind", ["device", "fifo"])
@pytest.mark.parametrize("option", ["--script", "--input"])
def test_devices_and_pipes_as_inputs_are_one_line_not_a_hang(tmp_path, fifo, kind, option):
    source = "/dev/zero" if kind == "device" else str(fifo)
    line = one_clear_line(cli("run", option, source, "--journal", str(tmp_path / "j"), timeout=30))
    assert "not a regular file" in line


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_a_device_or_pipe_in_the_content_folder_is_one_line(data_copy, fifo, kind):
    content_dir, _ = data_copy
    (content_dir / "timers.yaml").unlink()
    if kind == "device":
        (content_dir / "timers.yaml").symlink_to("/dev/zero")
    else:
        os.mkfifo(content_dir / "timers.yaml")
    result = cli("check", "--content", str(content_dir), timeout=30)
    assert result.returncode == 1 and "timers.yaml" in result.stdout


def test_a_pipe_as_the_timer_file_is_set_aside_not_waited_on(tmp_path):
    os.mkfifo(tmp_path / "timers.json")
    timers, warning = TimerStore(tmp_path).load(now=0)
    assert timers == [] and "unreadable" in warning


# ---------------------------------------------------------------- 8. content that check must catch
@pytest.mark.parametrize("line", ["Timer set for {} minutes.", "Timer set for {minutes:s} minutes.",
                                  "Timer set for {minutes:>300000000} minutes.", "Timer set \x1b[2J for {minutes}."])
def test_check_refuses_placeholders_that_would_break_a_session(data_copy, line):
    content_dir, _ = data_copy
    path = content_dir / "timers.yaml"
    text = path.read_text()
    path.write_text(text.replace('"Timer set for {minutes} minutes."', json.dumps(line)))
    result = cli("check", "--content", str(content_dir))
    assert result.returncode == 1 and "timers.yaml: presets.custom.started" in result.stdout


@pytest.mark.parametrize("old, new, problem", [
    ('"[<help>] (i\'m|i am) having a [bad] back spasm"', '"(i\'m|i am) having a {nolist} back spasm"',
     "unknown list {nolist}"),
    ('"[<help>] (i\'m|i am) having a [bad] back spasm"', '"[<norule>] (i\'m|i am) having a back spasm"',
     "unknown rule <norule>"),
    ('  help: "(help|help me|please help|oh no|ow|ouch)"', '  help: "(help|<help> me)"', "includes itself"),
    ("  stretch:\n    values:", "  stretch:\n    values: 5\n    unused:", "lists.stretch"),
    ("      to: 60", "      to: 100000000", "at most 1000 values"),
    ('"[<help>] (i\'m|i am) having a [bad] back spasm"',
     '"(a|b|c|d) (a|b|c|d) (a|b|c|d) (a|b|c|d) (a|b|c|d) (a|b|c|d) (a|b|c|d) (a|b|c|d) (a|b|c|d) (a|b|c|d)"',
     "nested too deep"),
])
def test_grammar_mistakes_are_one_line_each(data_copy, old, new, problem):
    _, grammars_dir = data_copy
    path = grammars_dir / "intents.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    result = cli("check", "--grammars", str(grammars_dir), timeout=60)
    assert result.returncode == 1 and problem in result.stdout, result.stdout + result.stderr
    assert "internal error" not in result.stdout + result.stderr


@pytest.mark.parametrize("lines, problem", [
    ("wobble W AA B QQ L\n", "unknown phone QQ"),
    ("wobble W AA B AH L\nwobble W AO B AH L\n", "'wobble' is listed twice"),  # the second would replace the first
])
def test_a_bad_line_in_the_pronunciations_is_one_line(data_copy, lines, problem):
    _, grammars_dir = data_copy
    with open(grammars_dir / "pronunciations.dict", "a") as file:
        file.write(lines)
    result = cli("check", "--grammars", str(grammars_dir))
    assert result.returncode == 1 and problem in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


# ---------------------------------------------------------------- 9. 10. 11. files it must not touch
def test_speak_to_never_deletes_files_it_did_not_write(tmp_path):
    folder = tmp_path / "said"
    folder.mkdir()
    (folder / "00001-speech.wav").write_bytes(b"mine")
    result = cli("run", "--script", "/nonexistent/script.txt", "--speak-to", str(folder))
    assert result.returncode != 0
    assert (folder / "00001-speech.wav").read_bytes() == b"mine"


def test_the_journal_is_owner_only(tmp_path):
    journal = tmp_path / "journal"
    assert cli("run", "--script", str(script(tmp_path, SESSION)), "--journal", str(journal)).returncode == 0
    assert stat.S_IMODE(journal.stat().st_mode) == 0o700
    for path in journal.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


def test_a_symlinked_temporary_timer_file_is_not_followed(tmp_path):
    outside = tmp_path / "precious.txt"
    outside.write_text("keep me")
    journal = tmp_path / "journal"
    journal.mkdir()
    (journal / "timers.tmp").symlink_to(outside)
    TimerStore(journal).save([ice(left=600)], now=0)
    assert outside.read_text() == "keep me"


def test_a_content_file_linking_outside_its_folder_is_refused(data_copy, tmp_path):
    content_dir, _ = data_copy
    elsewhere = tmp_path / "elsewhere.yaml"
    shutil.move(content_dir / "info.yaml", elsewhere)
    (content_dir / "info.yaml").symlink_to(elsewhere)
    result = cli("check", "--content", str(content_dir))
    assert result.returncode == 1 and "links outside" in result.stdout


def test_a_model_in_the_current_folder_is_not_picked_up(tmp_path):
    fake = tmp_path / "models" / "vosk-model-planted" / "am"
    fake.mkdir(parents=True)
    (fake / "final.mdl").write_bytes(b"planted")
    result = cli("models", cwd=tmp_path, env={"PYTHONPATH": str(Path(__file__).resolve().parents[1])})
    assert result.returncode == 0 and "planted" not in result.stdout


def test_a_broken_model_falls_back_to_pocketsphinx_in_one_line(tmp_path):
    from speechgen import speech

    broken = tmp_path / "vosk-model-broken"
    (broken / "am").mkdir(parents=True)
    (broken / "conf").mkdir()
    (broken / "am" / "final.mdl").write_bytes(b"not a model")
    (broken / "conf" / "mfcc.conf").write_text("")
    result = cli("transcribe", "--context", "yes_no", str(speech("no")), env={"VOSK_MODEL_PATH": str(broken)})
    assert result.returncode == 0, result.stderr
    assert "engine: pocketsphinx (the Vosk model found did not load" in result.stderr
    assert json.loads(result.stdout)["engine"] == "pocketsphinx"


# ---------------------------------------------------------------- 12. the smaller ones
def test_a_sentence_that_cannot_be_rendered_is_shown_and_the_guidance_goes_on(capsys):
    from voice_assistant.errors import UserFacingError
    from voice_assistant.speech import VoiceSpeaker

    class Flaky:
        calls = 0

        def render(self, text):
            self.calls += 1
            raise UserFacingError("speech synthesis failed")

        def close(self):
            pass

    voice = Flaky()
    spoken = VoiceSpeaker(voice).say("Take the cold pack off now.", "alert")
    assert spoken.seconds == 0 and voice.calls == 2
    assert "Take the cold pack off now." in capsys.readouterr().err


def test_the_journal_survives_an_odd_record_and_orders_runs_by_number(tmp_path):
    journal = tmp_path / "journal"
    journal.mkdir()
    (journal / "session-000002-19990101-000000-1.jsonl").write_text(
        '{"type": "session_started", "wall": "1999"}\n{"type": "timer_started", "seconds": "lots", "name": 3}\n'
        '{"type": "triage", "disposition": "self_care"}\n')
    (journal / "session-000001-20990101-000000-1.jsonl").write_text('{"type": "session_started", "wall": "2099"}\n')
    sessions = recent_sessions(journal, 5)
    assert [s[0]["wall"] for s in sessions] == ["2099", "1999"], "run order, not the clock's"
    assert "Outcome: Self-care at home" in as_text(sessions, load_content())
    assert [s[0]["wall"] for s in recent_sessions(journal, 1)] == ["1999"]


def test_the_same_recording_gives_the_same_answer_every_time(tmp_path):
    from speechgen import speech

    wav = str(speech("no"))
    result = cli("transcribe", "--engine", "pocketsphinx", "--context", "yes_no", *[wav] * 12)
    answers = {json.loads(line)["intent"] for line in result.stdout.splitlines()}
    assert answers == {"no"}


def test_an_utterance_still_going_when_the_recording_ends_is_heard(tmp_path):
    import numpy as np

    from speechgen import speech
    from voice_assistant.audio.wav import read_wav, write_wav

    words = read_wav(speech("my back is spasming"))
    cut = words[: int(len(words) - 0.55 * 16000)]  # the recording stops right after the words
    wav = tmp_path / "cut.wav"
    write_wav(wav, np.concatenate([np.zeros(16000, dtype=np.int16), cut]))
    log = tmp_path / "log.jsonl"
    result = cli("run", "--input", str(wav), "--engine", "pocketsphinx", "--log", str(log))
    assert result.returncode == 0, result.stderr
    heard = [json.loads(line) for line in log.read_text().splitlines() if '"heard"' in line]
    assert heard and heard[0]["intent"] == "start_guidance"


def test_a_closed_pipe_is_not_an_error():
    result = subprocess.run(f"{sys.executable} -m voice_assistant models | head -1", shell=True,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() and "Error" not in result.stderr


def test_a_killed_runs_temporary_folder_is_cleaned_up_by_the_next():
    from voice_assistant.speech.voice import TEMP_PREFIX, remove_stale_folders

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True).stdout.strip()
    stale = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{dead}-"))
    mine = Path(tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-"))
    remove_stale_folders()
    assert not stale.exists() and mine.exists()
    mine.rmdir()


def test_typed_text_without_an_end_does_not_grow_without_limit(tmp_path):
    endless = "a" * 200_000 + "\nmy back is spasming\n"
    log = tmp_path / "log.jsonl"
    result = cli("run", "--text", "--journal", str(tmp_path / "j"), "--log", str(log), stdin=endless)
    assert result.returncode == 0
    assert "ignored" in result.stderr
    assert '"start_guidance"' in log.read_text()


@pytest.mark.parametrize("stop_signal", ["SIGTERM", "SIGHUP"])
def test_a_stop_signal_ends_it_like_ctrl_c(tmp_path, stop_signal):
    import signal
    import time

    journal, log = tmp_path / "journal", tmp_path / "log.jsonl"
    process = subprocess.Popen([sys.executable, "-m", "voice_assistant", "run", "--text", "--journal", str(journal),
                                "--log", str(log)], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    process.stdin.write("my back is spasming\n" + "no\n" * 6 + "start the ice timer\n")
    process.stdin.flush()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (log.exists() and "timer_started" in log.read_text()):
        time.sleep(0.1)
    process.send_signal(getattr(signal, stop_signal))
    assert process.wait(timeout=30) == 128 + getattr(signal, stop_signal)
    assert "Traceback" not in process.stderr.read()
    assert json.loads(log.read_text().splitlines()[-1])["type"] == "stopped"
    saved = json.loads((journal / "timers.json").read_text())
    assert [t["name"] for t in saved["timers"]] == ["ice"]
    session = next(journal.glob("session-*.jsonl")).read_text().splitlines()
    assert json.loads(session[-1])["type"] == "stopped"
