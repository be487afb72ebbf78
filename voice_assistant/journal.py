"""The durable session record: append-only JSON lines, flushed and synced as they go.

Also keeps running timers on disk (written atomically) so a restarted assistant can
resume them. A process killed at any moment leaves files whose every line parses.
"""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, TextIO

from voice_assistant.names import TimerKind
from voice_assistant.errors import UserFacingError
from voice_assistant.timers import TimerState

APP_NAME = "voice-assistant"
TIMERS_FILE = "timers.json"
TIMERS_FORMAT = 1


def default_data_dir() -> Path:
    """The per-user data folder ($XDG_DATA_HOME/voice-assistant or ~/.local/share/...)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_NAME


class JsonLines:
    """One JSON object a line, each line written whole, flushed and fsynced."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: TextIO | None = open(path, "a", encoding="utf-8")
        except OSError as error:
            raise UserFacingError(f"{path}: cannot write ({error.strerror})") from None

    def write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            return
        line = json.dumps(record, ensure_ascii=False, default=str) + "\n"
        self._file.write(line)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class Journal(JsonLines):
    """This run's journal file inside the journal folder, with wall-clock times added."""

    def __init__(self, directory: Path, wall: Callable[[], float] = time.time) -> None:
        self.directory = directory
        self._wall = wall
        stamp = datetime.fromtimestamp(wall()).strftime("%Y%m%d-%H%M%S")
        super().__init__(directory / f"session-{stamp}-{os.getpid()}.jsonl")

    def write(self, record: dict[str, Any]) -> None:
        super().write({**record, "wall": datetime.fromtimestamp(self._wall()).isoformat(timespec="seconds")})


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


def recent_sessions(directory: Path, count: int) -> list[list[dict[str, Any]]]:
    """The last ``count`` sessions (lists of records), oldest first."""
    if not directory.is_dir():
        return []
    sessions: list[list[dict[str, Any]]] = []
    for path in sorted(directory.glob("session-*.jsonl")):
        current: list[dict[str, Any]] | None = None
        for record in read_records(path):
            if record.get("type") == "session_started":
                current = [record]
                sessions.append(current)
            elif current is not None:
                current.append(record)
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
            if record.get("type") == "triage" and record.get("disposition") == "emergency":
                try:
                    at = datetime.fromisoformat(str(record.get("wall"))).timestamp()
                except ValueError:
                    continue
                newest = at if newest is None else max(newest, at)
    if newest is None or not 0 <= now - newest <= within_hours * 3600:
        return None
    return now - newest


def describe_sessions(sessions: Iterable[list[dict[str, Any]]]) -> str:
    """Sessions in plain words, for showing to a doctor."""
    out: list[str] = []
    for records in sessions:
        out.append(f"Session started {records[0].get('wall', '?')}")
        for record in records[1:]:
            kind = record.get("type")
            when = str(record.get("wall", ""))[11:19]
            if kind == "answer":
                out.append(f"  {when}  answered {record.get('answer')} about {record.get('flag')}")
            elif kind == "heard" and record.get("intent") is None:
                out.append(f"  {when}  said (not understood): {record.get('text')}")
            elif kind == "triage":
                out.append(f"  {when}  outcome: {record.get('disposition')}")
            elif kind == "say" and record.get("kind") != "count":
                out.append(f"  {when}  told: {record.get('text')}")
            elif kind in ("timer_started", "timer_expired", "timer_cancelled"):
                minutes = round(float(record.get("seconds", 0)) / 60)
                out.append(f"  {when}  {kind.replace('_', ' ')}: {record.get('name')} ({minutes} min)")
            elif kind == "session_ended":
                out.append(f"  {when}  session ended")
        out.append("")
    return "\n".join(out).rstrip() + "\n" if out else "No sessions recorded yet.\n"


class TimerStore:
    """Running timers on disk, so they survive a restart. Written atomically."""

    def __init__(self, directory: Path, wall: Callable[[], float] = time.time) -> None:
        self.path = directory / TIMERS_FILE
        self._wall = wall

    def save(self, timers: Iterable[TimerState], now: float) -> None:
        """Store timers with wall-clock deadlines (``now`` is the session time)."""
        offset = self._wall() - now
        payload = {
            "format": TIMERS_FORMAT,
            "timers": [{**asdict(t), "started_at": t.started_at + offset, "due_at": t.due_at + offset}
                       for t in timers],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        with open(temporary, "w", encoding="utf-8") as file:
            json.dump(payload, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)
        directory_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(directory_fd)
        finally:
            os.close(directory_fd)

    def load(self, now: float) -> tuple[list[TimerState], str | None]:
        """Saved timers on the session clock, and a warning if the file had to be set aside."""
        if not self.path.exists():
            return [], None
        offset = self._wall() - now
        try:
            payload = json.loads(self.path.read_text(encoding="utf-8"))
            if payload.get("format") != TIMERS_FORMAT:
                raise ValueError("unknown format")
            timers = []
            for item in payload["timers"]:
                kind = str(item.get("kind") or item["name"])
                if kind not in TimerKind.values():
                    raise ValueError(f"unknown timer {item['name']!r}")
                timer = TimerState(
                    name=str(item["name"]), kind=str(item.get("kind", "")), seconds=float(item["seconds"]),
                    started_at=float(item["started_at"]) - offset, due_at=float(item["due_at"]) - offset,
                    paused_left=None if item.get("paused_left") is None else float(item["paused_left"]),
                    reminders_given=tuple(str(r) for r in item.get("reminders_given", ())),
                )
                timers.append(timer)
            return timers, None
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
            aside = self.path.with_name(f"{TIMERS_FILE}.unreadable-{int(self._wall())}")
            os.replace(self.path, aside)
            return [], f"saved timers were unreadable ({error}); moved to {aside.name}"
