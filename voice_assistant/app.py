"""Wires one assistant together: the only module that touches every room."""

from __future__ import annotations

import contextlib
import os
import select
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Protocol, TextIO

from voice_assistant.clock import Clock, VirtualClock, WallClock
from voice_assistant.dialog import Dialog
from voice_assistant.errors import UserFacingError
from voice_assistant.files import read_limited
from voice_assistant.events import COUNT, Action, Event, Heard, Listen, Log, Say, Tick, TimersChanged
from voice_assistant.grammar import Grammar
from voice_assistant.journal import TimerStore
from voice_assistant.speech import Speaker
from voice_assistant.timers import TimerState

MAX_SCRIPT_BYTES = 1_000_000
MAX_WAIT_SECONDS = 7 * 24 * 3600
MAX_TYPED_LINE = 4096
COUNT_LATE_SECONDS = 0.25
"""A countdown number that cannot start within this of its second is skipped, not delayed."""


class RecordSink(Protocol):
    """Where event records go (the --log file, the journal)."""

    def write(self, record: dict[str, Any]) -> None: ...


class Assistant:
    """A dialog with its speaker, records and saved timers, driven on one clock."""

    def __init__(
        self,
        dialog: Dialog,
        grammar: Grammar,
        speaker: Speaker,
        clock: Clock,
        sinks: Iterable[RecordSink] = (),
        timer_store: TimerStore | None = None,
        emergency_seconds_ago: float | None = None,
        timer_views: Iterable[Callable[[tuple[TimerState, ...]], None]] = (),
    ) -> None:
        self.dialog = dialog
        self.grammar = grammar
        self.speaker = speaker
        self.clock = clock
        self.sinks = list(sinks)
        self.timer_store = timer_store
        self.emergency_seconds_ago = emergency_seconds_ago
        self.timer_views = list(timer_views)
        """Called with the running timers whenever they change (the screen)."""
        self._timer_save_failed = False
        """An earlier run's emergency outcome, so a new session starts by recalling it."""
        self.context = dialog.context.value
        self.speaking_until = 0.0
        """Session time at which everything said so far has been heard."""

    def record(self, type_: str, **data: Any) -> None:
        record = {"t": round(self.clock.now(), 3), "type": type_, **data}
        for sink in self.sinks:
            sink.write(record)

    def start(self, greet: bool = False) -> None:
        """Announce the start, take back timers saved by an earlier run, and greet a live user."""
        self.record("state", state=self.dialog.state)
        if self.emergency_seconds_ago is not None:
            self.dialog.remember_emergency(self.clock.now() - self.emergency_seconds_ago)
        if self.timer_store is not None:
            timers, warning = self.timer_store.load(self.clock.now())
            if warning:
                self.record("error", message=warning)
                print(f"voice-assistant: warning: {warning}", file=sys.stderr)
            if timers:
                self._carry_out(self.dialog.restore_timers(timers, self.clock.now()))
        self._carry_out([Listen(self.dialog.context.value)])
        if greet:
            self._carry_out(self.dialog.greet(self.clock.now()))

    def hear_text(self, text: str, confidence: float | None = None) -> None:
        """Understand typed or recognised text in the current context and react."""
        match = self.grammar.match(text, self.context)
        heard = Heard(
            text=match.text if match else text.strip(),
            intent=match.intent if match else None,
            slots=dict(match.slots) if match else {},
            confidence=confidence,
        )
        self.hear(heard)

    def hear(self, heard: Heard) -> None:
        self.record("heard", text=heard.text, intent=heard.intent, slots=dict(heard.slots),
                    context=self.context, confidence=heard.confidence)
        self.feed(heard)

    def feed(self, event: Event) -> None:
        self._carry_out(self.dialog.handle(event, self.clock.now()))

    def tick(self) -> None:
        self.feed(Tick())

    def _carry_out(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Say):
                self._speak(action)
            elif isinstance(action, Listen):
                self.context = action.context
            elif isinstance(action, Log):
                self.record(action.type, **dict(action.data))
            elif isinstance(action, TimersChanged):
                self._save_timers(action.timers)
                for show in self.timer_views:
                    show(action.timers)
        self.dialog.spoken_until(self.speaking_until)

    def _speak(self, say: Say) -> None:
        """Queue a sentence after whatever is still being said; skip a countdown number that is late."""
        start = max(self.clock.now(), self.speaking_until)
        if say.kind == COUNT and say.at is not None and start - say.at > COUNT_LATE_SECONDS:
            self.record("countdown_skipped", text=say.text, due=round(say.at, 3))
            return
        spoken = self.speaker.say(say.text, say.kind)
        details = {"start": round(start, 3), "seconds": round(spoken.seconds, 3)}
        if spoken.file is not None:
            details["file"] = spoken.file
        self.record("say", text=say.text, kind=say.kind, **details)
        self.speaking_until = start + spoken.seconds

    def _save_timers(self, timers: tuple) -> None:
        """Keep timers on disk; a failure (a full disk) is said once and the session goes on."""
        if self.timer_store is None:
            return
        try:
            self.timer_store.save(timers, self.clock.now())
        except OSError as error:
            if not self._timer_save_failed:
                self._timer_save_failed = True
                message = f"cannot save running timers ({error.strerror}); they will not survive a restart"
                self.record("error", message=message)
                print(f"voice-assistant: warning: {message}", file=sys.stderr)

    def close(self) -> None:
        """Save where the timers are (deadlines and reminders given) and stop."""
        self._save_timers(self.dialog.timers.snapshot())
        self.record("stopped")


# ---------------------------------------------------------------------------- scripts
@dataclass(frozen=True)
class ScriptLine:
    """One line of a scripted session: an utterance, or a wait."""

    number: int
    text: str | None = None
    wait: float | None = None


def load_script(path: Path) -> list[ScriptLine]:
    """Parse a script file: one utterance a line, ``/wait SECONDS``, ``#`` comments."""
    raw = read_limited(path, MAX_SCRIPT_BYTES, "script file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise UserFacingError(f"{path}:{line}: not UTF-8 text") from None
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if any(ord(ch) < 32 and ch != "\t" for ch in stripped):
            raise UserFacingError(f"{path}:{number}: control characters in the line")
        if stripped.startswith("/"):
            command, _, argument = stripped.partition(" ")
            if command != "/wait":
                raise UserFacingError(f"{path}:{number}: unknown command '{command}' (known: /wait SECONDS)")
            try:
                seconds = float(argument)
            except ValueError:
                raise UserFacingError(f"{path}:{number}: /wait needs a number of seconds") from None
            if not 0 <= seconds <= MAX_WAIT_SECONDS:
                raise UserFacingError(f"{path}:{number}: /wait must be between 0 and {MAX_WAIT_SECONDS} seconds")
            lines.append(ScriptLine(number, wait=seconds))
        else:
            lines.append(ScriptLine(number, text=stripped))
    return lines


def advance(assistant: Assistant, clock: VirtualClock, until: float) -> None:
    """Move virtual time to ``until``, stopping at every deadline on the way."""
    while (deadline := assistant.dialog.next_deadline()) is not None and deadline <= until:
        clock.advance_to(deadline)
        assistant.tick()
    clock.advance_to(until)
    assistant.tick()


def run_script(assistant: Assistant, clock: VirtualClock, script: list[ScriptLine], echo: TextIO | None) -> None:
    """Play a scripted session on a virtual clock; it never sleeps."""
    assistant.start()
    for line in script:
        if line.wait is not None:
            advance(assistant, clock, clock.now() + line.wait)
        elif line.text is not None:
            if assistant.speaking_until > clock.now():  # a user waits for the end of a sentence
                advance(assistant, clock, assistant.speaking_until)
            if echo is not None:
                echo.write(f"you: {line.text}\n")
            assistant.hear_text(line.text)


# ---------------------------------------------------------------------------- typed text
@contextlib.contextmanager
def keys_without_echo(stream: TextIO) -> Iterator[None]:
    """Keys arrive one at a time and are not echoed (the screen shows the line instead)."""
    import termios
    import tty

    fd = stream.fileno()
    saved = termios.tcgetattr(fd)
    try:
        tty.setcbreak(fd)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def edit_line(pending: bytes, chunk: bytes) -> tuple[bytes, bool]:
    """Apply keys to the text typed so far: backspace, Ctrl-U (clear the line), Enter, and
    Ctrl-D (the end, on an empty line). Returns the text and whether typing has ended."""
    for key in chunk:
        line_start = pending.rfind(b"\n") + 1
        if key in (0x7F, 0x08):
            end = len(pending)
            while end > line_start + 1 and pending[end - 1] & 0xC0 == 0x80:  # a whole UTF-8 character
                end -= 1
            pending = pending[:max(line_start, end - 1)]
        elif key == 0x15:
            pending = pending[:line_start]
        elif key == 0x04:
            if len(pending) == line_start:
                return pending, True
        else:
            pending += b"\n" if key == 0x0D else bytes([key])
    return pending, False


def typed_lines(stream: TextIO, clock: WallClock, deadline: Callable[[], float | None], on_idle: Callable[[], None],
                on_typing: Callable[[str], None] | None = None) -> Iterator[str]:
    """Lines typed on ``stream``; while waiting, calls ``on_idle`` at each deadline.

    A stream with a file descriptor is read straight from it: Python's own buffering
    would hide lines that already arrived from ``select`` (pasted or piped input). With
    ``on_typing`` the terminal sends keys unechoed: they are edited here and the line so
    far is passed on to be shown.
    """
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):
        yield from stream
        return
    pending = b""
    while True:
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            yield line.decode("utf-8", errors="replace") + "\n"
        due = deadline()
        timeout = None if due is None else max(0.0, due - clock.now())
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            on_idle()
            continue
        chunk = os.read(fd, 65536)
        ended = not chunk
        if on_typing is not None and chunk:
            pending, ended = edit_line(pending, chunk)
            on_typing(pending.rsplit(b"\n", 1)[-1].decode("utf-8", errors="replace"))
        elif chunk:
            pending += chunk
        if ended:
            for line in pending.split(b"\n"):
                if line:
                    yield line.decode("utf-8", errors="replace") + "\n"
            return
        if len(pending) > MAX_TYPED_LINE and b"\n" not in pending:
            pending = b""  # nobody types this much without pressing Enter: drop it, keep listening
            print(f"voice-assistant: a line longer than {MAX_TYPED_LINE} characters was ignored", file=sys.stderr)


def run_text(assistant: Assistant, clock: WallClock, stream: TextIO = sys.stdin, prompt: bool = True,
             on_typing: Callable[[str], None] | None = None) -> None:
    """Type what you would say; timers and reminders fire while you think."""
    assistant.start()
    if prompt:
        print("Text mode: type what you would say (Ctrl-D to quit). Try: my back is spasming")
    for line in typed_lines(stream, clock, assistant.dialog.next_deadline, assistant.tick, on_typing):
        if line.strip():
            assistant.hear_text(line[:MAX_TYPED_LINE])
        else:
            assistant.tick()


