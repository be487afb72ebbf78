"""Stretch countdowns: every spoken cue laid out in advance on the session clock."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

from voice_assistant.content import CountingContent, Stretch
from voice_assistant.dialog.settings import DialogSettings
from voice_assistant.events import ALERT, COUNT, SPEECH
from voice_assistant.timers import Schedule


@dataclass(frozen=True)
class Cue:
    """One line of a stretch countdown."""

    text: str
    kind: str
    detail: Mapping[str, Any]


@dataclass
class Countdown:
    """A stretch being counted: its cues on a pausable schedule."""

    stretch: Stretch
    schedule: Schedule[Cue]


def start_countdown(stretch: Stretch, counting: CountingContent, settings: DialogSettings, now: float) -> Countdown:
    """A countdown of ``stretch`` starting at session time ``now``."""
    return Countdown(stretch, Schedule(countdown_cues(stretch, counting, settings), started_at=now))


def countdown_cues(stretch: Stretch, counting: CountingContent, settings: DialogSettings) -> list[tuple[float, Cue]]:
    """(seconds from the start, cue) for every line: sides, holds, numbers, release, rest."""
    lines = counting.lines
    cues: list[tuple[float, Cue]] = []
    clock = 0.0

    def cue(text: str, kind: str, **detail: Any) -> None:
        nonlocal clock
        cues.append((clock, Cue(text, kind, {"stretch": stretch.id, **detail})))
        if kind != COUNT:
            clock += max(1.0, len(text) * settings.seconds_per_character)
        if kind == ALERT:
            clock += settings.alert_lead_seconds

    hold = stretch.hold_seconds
    every_second = hold <= counting.count_every_second_up_to
    counted = hold - 1 if every_second else min(counting.count_last_seconds, hold - 1)
    for side in stretch.sides or ("",):
        for line in stretch.start:
            cue(line.format(side=side), SPEECH, step="start", side=side)
        for n in range(1, stretch.repetitions + 1):
            for line in stretch.hold:
                cue(line.format(side=side, n=n, total=stretch.repetitions), SPEECH, step="hold", side=side, n=n)
            hold_start = clock
            if not every_second:
                clock = hold_start + hold / 2
                cue(lines["halfway"], COUNT, step="halfway", side=side, n=n)
            for number in range(counted, 0, -1):
                clock = hold_start + hold - number
                cue(lines["number"].format(n=number), COUNT, step="count", number=number, side=side, n=n)
            clock = hold_start + hold
            cue(lines["release"], ALERT, step="release", side=side, n=n)
            if n < stretch.repetitions:
                cue(lines["rest"], COUNT, step="rest", side=side, n=n)
                clock += stretch.rest_seconds
    cue(lines["done"].format(name=stretch.name), SPEECH, step="done")
    return cues
