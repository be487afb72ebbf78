"""The durable session record: append-only JSON lines, flushed and synced as they go.

Also keeps running timers on disk (written atomically) so a restarted assistant can
resume them. A process killed at any moment leaves files whose every line parses.
"""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from voice_assistant.names import Disposition, TimerKind
from voice_assistant.errors import UserFacingError
from voice_assistant.files import PRIVATE_FILE_MODE, private_folder, read_limited, write_private_atomically
from voice_assistant.timers import TimerState

APP_NAME = "voice-assistant"
TIMERS_FILE = "timers.json"
LOCK_FILE = ".lock"
TIMERS_FORMAT = 1


def default_data_dir() -> Path:
    """The per-user data folder ($XDG_DATA_HOME/voice-assistant or ~/.local/share/...)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_NAME


class JsonLines:
    """One JSON object a line, each line written whole, flushed and fsynced; owner-only.

    A write that fails (a full disk) is undone to the last whole line, warned about once on
    standard error, and the session goes on: the guidance matters more than the record.
    """

    def __init__(self, path: Path, warn: Callable[[str], None] | None = None) -> None:
        self.path = path
        self._warn = warn or _warn_on_stderr
        self._warned = False
        try:
            private_folder(path.parent)
            self._fd: int | None = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW,
                                           PRIVATE_FILE_MODE)
        except OSError as error:
            raise UserFacingError(f"{path}: cannot write ({error.strerror})") from None

    def write(self, record: dict[str, Any]) -> None:
        if self._fd is None:
            return
        data = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        end = os.lseek(self._fd, 0, os.SEEK_END)
        try:
            if os.write(self._fd, data) != len(data):
                raise OSError(28, "No space left on device")
            os.fsync(self._fd)
        except OSError as error:
            try:
                os.ftruncate(self._fd, end)  # never leave a torn line behind
            except OSError:
                pass
            if not self._warned:
                self._warned = True
                self._warn(f"cannot write {self.path} ({error.strerror}); carrying on without saving")

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def _warn_on_stderr(message: str) -> None:
    print(f"{APP_NAME}: warning: {message}", file=sys.stderr)


class Journal(JsonLines):
    """This run's journal file inside the journal folder, with wall-clock times added."""

    def __init__(self, directory: Path, wall: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self._wall = wall
        stamp = datetime.fromtimestamp(wall()).strftime("%Y%m%d-%H%M%S")
        number = max((_sequence(path) for path in directory.glob("session-*.jsonl")), default=0) + 1
        super().__init__(directory / f"session-{number:06d}-{stamp}-{os.getpid()}.jsonl")

    def write(self, record: dict[str, Any]) -> None:
        super().write({**record, "wall": datetime.fromtimestamp(self._wall()).isoformat(timespec="seconds")})


class InstanceLock:
    """One assistant per journal folder: a second one would overwrite the first one's timers."""

    def __init__(self, directory: Path) -> None:
        import fcntl

        try:
            private_folder(directory)
            self._fd = os.open(directory / LOCK_FILE, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, PRIVATE_FILE_MODE)
        except OSError as error:
            raise UserFacingError(f"{directory}: cannot use this journal folder ({error.strerror})") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(self._fd)
            raise UserFacingError(f"another voice-assistant is already running with the journal in {directory}; "
                                  "use that one, or stop it first") from None

    def release(self) -> None:
        os.close(self._fd)


def read_records(path: Path) -> list[dict[str, Any]]:
    """Every complete record of a journal file (a torn last line is skipped)."""
    records = []
    with open(path, encoding="utf-8", errors="replace") as file:
        for line in file:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                records.append(record)
    return records


def _sequence(path: Path) -> int:
    """The run number in a journal file's name (0 for files named before runs were numbered)."""
    part = path.name.split("-")[1]
    return int(part) if len(part) == 6 and part.isdigit() else 0


def journal_files(directory: Path) -> list[Path]:
    """Journal files in the order the runs started: by run number, never by a clock."""
    return sorted(directory.glob("session-*.jsonl"), key=lambda path: (_sequence(path), path.name))


def recent_sessions(directory: Path, count: int) -> list[list[dict[str, Any]]]:
    """The last ``count`` sessions (lists of records), oldest first; only as many files are read."""
    if not directory.is_dir():
        return []
    sessions: list[list[dict[str, Any]]] = []
    for path in reversed(journal_files(directory)):
        in_file: list[list[dict[str, Any]]] = []
        for record in read_records(path):
            if record.get("type") == "session_started":
                in_file.append([record])
            elif in_file:
                in_file[-1].append(record)
        sessions[:0] = in_file
        if len(sessions) >= count:
            break
    return sessions[-count:]


def last_emergency_seconds_ago(directory: Path, within_hours: float, wall: Callable[[], float] = time.time,
                               ) -> float | None:
    """How long ago the newest journal within ``within_hours`` gave an emergency outcome, if one did."""
    now = wall()
    if not directory.is_dir():
        return None
    recent = [path for path in directory.glob("session-*.jsonl")
              if now - path.stat().st_mtime <= within_hours * 3600]
    newest: float | None = None
    for path in recent:
        for record in read_records(path):
            if record.get("type") == "triage" and record.get("disposition") == Disposition.EMERGENCY:
                try:
                    at = datetime.fromisoformat(str(record.get("wall"))).timestamp()
                except ValueError:
                    continue
                newest = at if newest is None else max(newest, at)
    if newest is None or not 0 <= now - newest <= within_hours * 3600:
        return None
    return now - newest


class TimerStore:
    """Running timers on disk, so they survive a restart. Written atomically, owner-only.

    Each timer is saved with its wall-clock deadline and with the time it had left then. On
    restart the wall clock is believed only as far as it can be: a clock stepped back (a
    Raspberry Pi with no real-time clock after a power cut) never gives a timer more than it
    had left when it was saved, and nothing ever has more left than its own length.
    """

    def __init__(self, directory: Path, wall: Callable[[], float] = time.time) -> None:
        self.path = directory / TIMERS_FILE
        self._wall = wall

    def save(self, timers: Iterable[TimerState], now: float) -> None:
        """Store timers with wall-clock deadlines (``now`` is the session time)."""
        offset = self._wall() - now
        payload = {
            "format": TIMERS_FORMAT,
            "timers": [{**asdict(t), "started_at": t.started_at + offset, "due_at": t.due_at + offset,
                        "left": t.left(now)} for t in timers],
        }
        write_private_atomically(self.path, json.dumps(payload).encode("utf-8"))

    def load(self, now: float) -> tuple[list[TimerState], str | None]:
        """Saved timers on the session clock, and a warning if the file had to be set aside."""
        if not self.path.exists() and not self.path.is_symlink():
            return [], None
        wall = self._wall()
        offset = wall - now
        try:
            raw = read_limited(self.path, MAX_TIMERS_BYTES, "timers file")
            payload = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
            if not isinstance(payload, dict) or payload.get("format") != TIMERS_FORMAT:
                raise ValueError("unknown format")
            timers = [_restored(item, wall, offset) for item in payload["timers"]]
            if len({timer.name for timer in timers}) != len(timers):
                raise ValueError("two timers with one name")
            return timers, None
        except (UserFacingError, OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            aside = self.path.with_name(f"{TIMERS_FILE}.unreadable-{int(wall)}")
            try:
                os.replace(self.path, aside)
            except OSError as move_error:
                return [], f"saved timers were unreadable ({error}) and could not be moved aside ({move_error.strerror})"
            return [], f"saved timers were unreadable ({error}); moved to {aside.name}"


MAX_TIMERS_BYTES = 100_000
MAX_TIMER_SECONDS = 24 * 3600


def _refuse_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number")


def _seconds(item: dict, key: str, low: float = 0.0, high: float = MAX_TIMER_SECONDS) -> float:
    value = item[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{key} is not a number")
    if not low <= value <= high:
        raise ValueError(f"{key} {value} is out of range")
    return float(value)


def _restored(item: dict, wall: float, offset: float) -> TimerState:
    """One saved timer on the session clock, its time left capped by what it can have left."""
    name, kind = str(item["name"]), str(item.get("kind", ""))
    if (kind or name) not in TimerKind.values():
        raise ValueError(f"unknown timer {name!r}")
    seconds = _seconds(item, "seconds", 1.0)
    due_at_wall = _seconds(item, "due_at", -1e12, 1e12)
    _seconds(item, "started_at", -1e12, 1e12)
    saved_left = _seconds(item, "left", 0.0, seconds) if "left" in item else seconds
    paused_left = None if item.get("paused_left") is None else _seconds(item, "paused_left", 0.0, seconds)
    left = min(max(0.0, due_at_wall - wall), saved_left)  # a clock stepped back adds nothing
    due_at = wall - offset + left
    return TimerState(name=name, kind=kind, seconds=seconds, started_at=due_at - seconds, due_at=due_at,
                      paused_left=paused_left,
                      reminders_given=tuple(str(r) for r in item.get("reminders_given", ()))[:4])
