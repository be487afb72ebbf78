"""The reply builder: the actions of one turn, in order, as the flows add them."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from voice_assistant.events import SPEECH, Action, Log, Say, TimersChanged
from voice_assistant.timers import TimerState


@dataclass
class Reply:
    """What one turn says, logs and changes. Flows write into it and return what happened."""

    actions: list[Action] = field(default_factory=list)
    question: str | None = None
    """The red flag whose question is the last thing said this turn, if it is."""
    prompted: bool = False
    """Something was said that waits for an answer (a question, a step)."""

    @property
    def said(self) -> bool:
        return any(isinstance(action, Say) for action in self.actions)

    def say(self, text: str, kind: str = SPEECH, at: float | None = None) -> None:
        self.actions.append(Say(text, kind, at))
        self.question = None

    def say_lines(self, lines: Iterable[str], kind: str = SPEECH) -> None:
        for line in lines:
            self.say(line, kind)

    def prompt(self, lines: Iterable[str]) -> None:
        """Lines that wait for an answer."""
        self.say_lines(lines)
        self.prompted = True

    def ask(self, flag: str, lines: Iterable[str]) -> None:
        """A red-flag question: the next yes or no belongs to ``flag``."""
        self.prompt(lines)
        self.question = flag

    def log(self, type_: str, **data: Any) -> None:
        self.actions.append(Log(type_, data))

    def timers_changed(self, timers: tuple[TimerState, ...]) -> None:
        self.actions.append(TimersChanged(timers))
