"""Events into the dialog core and actions out of it: small frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Union

from voice_assistant.timers import TimerState


@dataclass(frozen=True)
class Heard:
    """An utterance: ``intent`` is None when it matched nothing in the context."""

    text: str
    intent: str | None
    slots: Mapping[str, Any] = field(default_factory=dict)
    confidence: float | None = None


@dataclass(frozen=True)
class Tick:
    """Time has moved on; nothing was said."""


Event = Union[Heard, Tick]

SPEECH = "speech"
COUNT = "count"
ALERT = "alert"


@dataclass(frozen=True)
class Say:
    """Speak one sentence. ``kind`` is speech, count (a countdown cue) or alert."""

    text: str
    kind: str = SPEECH
    at: float | None = None
    """For a countdown cue: the session time it belongs to (a late one is skipped)."""


@dataclass(frozen=True)
class Listen:
    """Listen for the phrases of this grammar context from now on."""

    context: str


@dataclass(frozen=True)
class Log:
    """A record for the event log and the journal."""

    type: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TimersChanged:
    """The set of running timers changed; persist it."""

    timers: tuple[TimerState, ...]


Action = Union[Say, Listen, Log, TimersChanged]
