"""The full-screen view, read the way a person sees it: in tmux, typed into with send-keys."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_conversation import SELF_CARE, recording
from voice_assistant.audio.wav import write_wav
from voice_assistant.content import load_content
from voice_assistant.timers import TimerState
from voice_assistant.view import Screen, big, clock_face

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


class Terminal:
    """One tmux session running a command on a 100x34 terminal."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.name = f"va-{tmp_path.name}"[:40]
        self.done = tmp_path / "exit-code"
        self.drawn = tmp_path / "drawn"
        piping = tmp_path / "piping"
        command = " ".join([sys.executable, "-m", "voice_assistant", *args])
        # Everything written to the terminal also goes to ``drawn``, so a screen shown for a
        # moment is not missed. The command waits until the pipe is in place.
        subprocess.run(["tmux", "new-session", "-d", "-s", self.name, "-x", "100", "-y", "34",
                        f"until [ -e {piping} ]; do sleep 0.05; done; cd {ROOT} && {command} "
                        f"2>{tmp_path / 'stderr'}; echo $? > {self.done}; sleep 60",
                        ";", "pipe-pane", "-t", self.name, f"cat >> {self.drawn}"],
                       check=True)
        piping.touch()

    def screen(self) -> str:
        return subprocess.run(["tmux", "capture-pane", "-t", self.name, "-p"], capture_output=True, text=True,
                              check=True).stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(self, text: str, seconds: float = 20.0) -> str:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def exit_code(self, seconds: float = 20.0) -> int:
        deadline = time.monotonic() + seconds
        while not self.done.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        return int(self.done.read_text())

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], capture_output=True)


@pytest.fixture
def terminal(tmp_path):
    opened: list[Terminal] = []

    def start(*args: str) -> Terminal:
        opened.append(Terminal(tmp_path, *args))
        return opened[-1]

    yield start
    for each in opened:
        each.close()


def test_typing_shows_the_question_what_was_heard_and_a_timer_counting_down(terminal, tmp_path):
    term = terminal("run", "--text", "--journal", str(tmp_path / "journal"))
    term.wait_for("to begin")
    term.keys("my back is spasming", "Enter")
    shown = term.wait_for("numbness around your groin")
    assert '"my back is spasming"' in shown and "Listening" in shown
    term.keys("start the ice timerx", "BSpace")
    assert "> start the ice timer▌" in term.wait_for("> start the ice timer▌"), "the line is edited as typed"
    term.keys("Enter")
    shown = term.wait_for("14:5")  # the small label under the timer's name, seconds after it started
    assert "ice" in shown and big("1")[:3] in shown, "big digits beside the name"
    assert "Back to the safety question" in shown
    term.keys("C-d")
    assert term.exit_code() == 0
    assert "assistant:" not in term.screen(), "no plain lines under the view"


def test_plain_gives_lines_on_a_terminal(terminal, tmp_path):
    term = terminal("run", "--text", "--plain", "--journal", str(tmp_path / "journal"))
    term.keys("my back is spasming", "Enter")
    shown = term.wait_for("assistant: Or do you have numbness")
    assert "╭" not in shown


def test_a_recording_on_a_terminal_shows_the_session_as_it_runs(terminal, tmp_path):
    wav = tmp_path / "session.wav"
    write_wav(wav, recording(SELF_CARE, tail_seconds=1200))  # twenty minutes: the ice timer runs out
    term = terminal("run", "--input", str(wav), "--engine", "pocketsphinx", "--speak-to", str(tmp_path / "said"))
    term.wait_for("Timers", seconds=60)
    assert term.exit_code(seconds=60) == 0, (tmp_path / "stderr").read_text()
    # The virtual clock runs the twenty minutes in a blink: read all that was drawn, not samples.
    everything = term.drawn.read_text(encoding="utf-8", errors="replace")
    assert "ice" in everything and "Heard" in everything
    assert '"start the ice timer"' in everything, "what it heard is shown"


def test_the_view_draws_timers_from_the_session_clock():
    now = [100.0]
    screen = Screen(load_content(), lambda: now[0])
    ice = TimerState(name="ice", seconds=900.0, started_at=40.0, due_at=940.0)
    screen.show_timers((ice,))
    screen.write({"type": "say", "text": "Ice timer set for 15 minutes.", "kind": "speech", "start": 99.0,
                  "seconds": 3.0})
    from rich.console import Console

    console = Console(width=100, record=True, file=open("/dev/null", "w"))
    console.print(screen.render())
    text = console.export_text()
    assert "14:00" in text and "Talking" in text and "Ice timer set" in text
    screen.write({"type": "say", "text": "Keep a cloth between the pack and your skin.", "kind": "speech",
                  "start": 102.0, "seconds": 3.0})
    console.print(screen.render())
    assert "Keep a cloth" not in console.export_text(), "a queued sentence shows when it is heard"
    now[0] = 102.5
    console.print(screen.render())
    assert "Keep a cloth" in console.export_text()
    now[0] = 941.0
    console.print(screen.render())
    text = console.export_text()
    assert "00:00" in text and "Listening" in text


@pytest.mark.parametrize("seconds, face", [(0, "00:00"), (0.2, "00:01"), (59.9, "01:00"), (900, "15:00"),
                                           (-5, "00:00"), (3599.5, "60:00")])
def test_clock_face_rounds_up_so_zero_means_done(seconds, face):
    assert clock_face(seconds) == face
