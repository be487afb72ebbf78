"""Named timers and cue schedules on an injected clock. Pure: time comes in as ``now``.

Nothing here sleeps or reads a clock; callers pass the session time and ask what is due.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Generic, TypeVar

HALFWAY = "halfway"
ONE_MINUTE_LEFT = "one_minute_left"
EXPIRED = "expired"
ALERT_AGAIN = "alert_again"

# Reminders only make sense when they are well apart from each other and from expiry.
HALFWAY_FROM_SECONDS = 240
ONE_MINUTE_FROM_SECONDS = 120


@dataclass(frozen=True)
class TimerState:
    """One timer, as saved to disk and restored after a restart."""

    name: str
    """Unique among the running timers: "ice", "heat", "custom", "custom_2" ..."""
    seconds: float
    started_at: float
    due_at: float
    paused_left: float | None = None
    reminders_given: tuple[str, ...] = ()
    kind: str = ""
    """The preset it follows (ice, heat, custom); empty means the same as ``name``."""

    @property
    def preset(self) -> str:
        return self.kind or self.name

    @property
    def paused(self) -> bool:
        return self.paused_left is not None

    def left(self, now: float) -> float:
        if self.paused_left is not None:
            return self.paused_left
        return max(0.0, self.due_at - now)

    def reminders(self) -> list[tuple[str, float]]:
        """(kind, due time) of reminders still to give."""
        wanted = []
        if self.seconds >= HALFWAY_FROM_SECONDS:
            wanted.append((HALFWAY, self.due_at - self.seconds / 2))
        if self.seconds > ONE_MINUTE_FROM_SECONDS:
            wanted.append((ONE_MINUTE_LEFT, self.due_at - 60))
        return [(kind, at) for kind, at in wanted if kind not in self.reminders_given]


@dataclass(frozen=True)
class TimerEvent:
    """Something a timer has to say now."""

    kind: str
    timer: TimerState
    at: float


@dataclass
class _Alert:
    timer: TimerState
    next_at: float
    times_given: int


class TimerBook:
    """Several named timers at once, with reminders and a repeating expiry alert."""

    def __init__(self, alert_every: float, alert_max_times: int) -> None:
        self.alert_every = alert_every
        self.alert_max_times = alert_max_times
        self._timers: dict[str, TimerState] = {}
        self._alerts: dict[str, _Alert] = {}

    @property
    def running(self) -> list[TimerState]:
        """Active timers, most recently started last."""
        return sorted(self._timers.values(), key=lambda t: t.started_at)

    def get(self, name: str) -> TimerState | None:
        return self._timers.get(name)

    def start(self, name: str, seconds: float, now: float, kind: str = "") -> TimerState:
        self._alerts.pop(name, None)
        timer = TimerState(name=name, seconds=seconds, started_at=now, due_at=now + seconds,
                           kind="" if kind == name else kind)
        self._timers[name] = timer
        return timer

    def cancel(self, name: str) -> TimerState | None:
        self._alerts.pop(name, None)
        return self._timers.pop(name, None)

    def pause(self, name: str, now: float) -> TimerState | None:
        timer = self._timers.get(name)
        if timer is None or timer.paused:
            return None
        self._timers[name] = replace(timer, paused_left=timer.left(now))
        return self._timers[name]

    def resume(self, name: str, now: float) -> TimerState | None:
        timer = self._timers.get(name)
        if timer is None or timer.paused_left is None:
            return None
        self._timers[name] = replace(timer, due_at=now + timer.paused_left, paused_left=None)
        return self._timers[name]

    def free_name(self, kind: str) -> str:
        """The kind itself when no timer has that name, else the first free "kind_N"."""
        number = 1
        name = kind
        while name in self._timers:
            number += 1
            name = f"{kind}_{number}"
        return name

    def acknowledge(self) -> bool:
        """Silence every repeating expiry alert; True if one was sounding."""
        had = bool(self._alerts)
        self._alerts.clear()
        return had

    def next_deadline(self) -> float | None:
        times = [alert.next_at for alert in self._alerts.values()]
        for timer in self._timers.values():
            if not timer.paused:
                times.append(timer.due_at)
                times.extend(at for _, at in timer.reminders())
        return min(times) if times else None

    def due(self, now: float) -> list[TimerEvent]:
        """Everything due at or before ``now``, oldest first; state moves on past it."""
        events: list[TimerEvent] = []
        for name, timer in list(self._timers.items()):
            if timer.paused:
                continue
            for kind, at in timer.reminders():
                if at <= now:
                    events.append(TimerEvent(kind, timer, at))
                    timer = replace(timer, reminders_given=timer.reminders_given + (kind,))
            self._timers[name] = timer
            if timer.due_at <= now:
                events.append(TimerEvent(EXPIRED, timer, timer.due_at))
                del self._timers[name]
                if self.alert_max_times > 1:
                    self._alerts[name] = _Alert(timer, timer.due_at + self.alert_every, 1)
        for name, alert in list(self._alerts.items()):
            while name in self._alerts and alert.next_at <= now:
                events.append(TimerEvent(ALERT_AGAIN, alert.timer, alert.next_at))
                alert.times_given += 1
                alert.next_at += self.alert_every
                if alert.times_given >= self.alert_max_times:
                    del self._alerts[name]
        events.sort(key=lambda event: event.at)
        return events

    def snapshot(self) -> tuple[TimerState, ...]:
        return tuple(self.running)

    def restore(self, timers: tuple[TimerState, ...]) -> None:
        self._timers = {timer.name: timer for timer in timers}
        self._alerts.clear()


T = TypeVar("T")


@dataclass
class Schedule(Generic[T]):
    """Cues at fixed offsets from a start time (a spoken countdown), pausable."""

    cues: list[tuple[float, T]]
    started_at: float
    _next: int = 0
    _paused_at: float | None = None
    _shift: float = field(default=0.0)

    @property
    def finished(self) -> bool:
        return self._next >= len(self.cues)

    def next_deadline(self) -> float | None:
        if self.finished or self._paused_at is not None:
            return None
        return self.started_at + self._shift + self.cues[self._next][0]

    def due(self, now: float) -> list[tuple[float, T]]:
        """Cues due by ``now`` as (due time, cue)."""
        out = []
        while (deadline := self.next_deadline()) is not None and deadline <= now:
            out.append((deadline, self.cues[self._next][1]))
            self._next += 1
        return out

    def pause(self, now: float) -> None:
        if self._paused_at is None:
            self._paused_at = now

    def resume(self, now: float) -> None:
        if self._paused_at is not None:
            self._shift += now - self._paused_at
            self._paused_at = None
