"""One assistant: the dialog driven on one clock, with its speaker, records and saved timers.

It knows nothing of where words come from: ``runners`` feeds it a script, typed text or
audio, and ``cli`` builds the rooms it is given.
"""

from __future__ import annotations

import sys
from typing import Any, Callable, Iterable, Protocol

from voice_assistant.clock import Clock
from voice_assistant.dialog import Dialog
from voice_assistant.events import COUNT, Action, Event, Heard, Listen, Log, Say, Tick, TimersChanged
from voice_assistant.grammar import ContextPhrases, Grammar
from voice_assistant.journal import TimerStore
from voice_assistant.speech import Speaker
from voice_assistant.timers import TimerState

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
        """An earlier run's emergency outcome, so a new session starts by recalling it."""
        self.timer_views = list(timer_views)
        """Called with the running timers whenever they change (the screen)."""
        self._timer_save_failed = False
        self.context = dialog.context.value
        self._scheduled_until = 0.0

    @property
    def speaking_until(self) -> float:
        """Session time at which everything said so far will have been played: as scheduled, or
        later when the loudspeaker has fallen behind (a starved stream plays silence instead)."""
        unplayed = self.speaker.unplayed_seconds()
        return max(self._scheduled_until, self.clock.now() + unplayed) if unplayed > 0 else self._scheduled_until

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

    def phrases(self, context: str) -> ContextPhrases:
        """What a recognizer listens for in ``context``."""
        return self.grammar.phrases(context)

    def hear_utterance(self, text: str, confidence: float | None) -> None:
        """An utterance has ended: its words (none when the recognizer made nothing of it)."""
        if text:
            self.hear_text(text, confidence)
        else:
            self.hear(Heard("", None, {}, confidence))

    def hear(self, heard: Heard) -> None:
        self.record("heard", text=heard.text, intent=heard.intent, slots=dict(heard.slots),
                    context=self.context, confidence=heard.confidence)
        self.feed(heard)

    def feed(self, event: Event) -> None:
        self._carry_out(self.dialog.handle(event, self.clock.now()))

    def tick(self) -> None:
        self.feed(Tick())

    def next_deadline(self) -> float | None:
        """When the dialog next needs a tick (a timer, a countdown cue, a reprompt), if ever."""
        return self.dialog.next_deadline()

    def tick_when_due(self) -> None:
        """Tick if the next deadline has come: every runner calls this while it waits for input."""
        deadline = self.next_deadline()
        if deadline is not None and deadline <= self.clock.now():
            self.tick()

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
        self._scheduled_until = start + spoken.seconds

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
