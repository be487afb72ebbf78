"""The three ways to drive an assistant: a script on a virtual clock, typed text on the wall
clock, and audio (a recording on its own clock, or the microphone).

While each waits for its next input it keeps the dialog's deadlines the same way: it asks
``Assistant.next_deadline`` when to look up, and calls ``Assistant.tick_when_due``.
"""

from __future__ import annotations

import contextlib
import os
import select
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterator, TextIO

import numpy as np

from voice_assistant.app import Assistant
from voice_assistant.asr.base import Recognizer
from voice_assistant.audio.endpoint import FRAME_SAMPLES, frames
from voice_assistant.audio.wav import WavReader
from voice_assistant.clock import AudioClock, VirtualClock, WallClock
from voice_assistant.errors import UserFacingError
from voice_assistant.files import read_limited
from voice_assistant.listener import ECHO_TAIL_SECONDS, Listener, Microphone

MAX_SCRIPT_BYTES = 1_000_000
MAX_WAIT_SECONDS = 7 * 24 * 3600
MAX_TYPED_LINE = 4096


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
    while (deadline := assistant.next_deadline()) is not None and deadline <= until:
        clock.advance_to(deadline)
        assistant.tick_when_due()
    clock.advance_to(until)
    assistant.tick_when_due()


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
    for line in typed_lines(stream, clock, assistant.next_deadline, assistant.tick_when_due, on_typing):
        if line.strip():
            assistant.hear_text(line[:MAX_TYPED_LINE])
        else:
            assistant.tick()


# ---------------------------------------------------------------------------- audio
def recording_frames(recording: WavReader) -> Iterator[np.ndarray]:
    """A recording's frames, read block by block (the last frame zero-padded)."""
    pending = np.zeros(0, dtype=np.int16)
    for block in recording.blocks():
        pending = np.concatenate([pending, block])
        whole = len(pending) - len(pending) % FRAME_SAMPLES
        yield from frames(pending[:whole])
        pending = pending[whole:]
    yield from frames(pending)


def run_audio(assistant: Assistant, recognizer: Recognizer, recording: WavReader | None,
              device: str | None) -> None:
    """Feed a recording (its clock must be an AudioClock) or, when None, the live microphone."""
    if recording is not None:
        clock = assistant.clock
        assert isinstance(clock, AudioClock), "a recording runs on its own audio clock"
        listener = Listener(assistant, recognizer)
        assistant.start()
        for frame in recording_frames(recording):
            clock.add_samples(len(frame))
            listener.feed(frame)
            assistant.tick_when_due()
        listener.finish()
        return
    clock = assistant.clock
    assert isinstance(clock, WallClock), "the microphone runs on the wall clock"
    microphone = Microphone(device)
    # Live, the assistant's own voice comes back late by the loudspeaker's and the
    # microphone's latency, on top of the room's echo.
    own_voice_late = assistant.speaker.delay + microphone.latency
    listener = Listener(assistant, recognizer, ECHO_TAIL_SECONDS + own_voice_late)
    assistant.start(greet=True)
    for arrived, frame in microphone.frames():
        listener.feed(frame, clock.at(arrived))
        assistant.tick_when_due()
