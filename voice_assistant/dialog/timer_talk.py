"""Timers by voice: start, ask, pause, cancel; reminders and alerts as they fall due.

A flow: it writes into the turn's ``Reply`` and never calls back into the dialog core.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from voice_assistant.content import TimerContent
from voice_assistant.dialog.reply import Reply
from voice_assistant.events import ALERT
from voice_assistant.names import Intent, TimerKind
from voice_assistant.timers import ALERT_AGAIN, EXPIRED, HALFWAY, TimerBook, TimerEvent, TimerState

TIMER_INTENTS = frozenset({Intent.START_ICE_TIMER, Intent.START_HEAT_TIMER, Intent.SET_TIMER, Intent.TIME_LEFT,
                           Intent.CANCEL_TIMER})
TARGET_TIMER = "timer"
"""The ``target`` slot of "pause the timer" / "resume the timer"."""


def is_timer_command(intent: str, slots: Mapping[str, Any]) -> bool:
    return intent in TIMER_INTENTS or (intent in (Intent.PAUSE, Intent.RESUME) and slots.get("target") == TARGET_TIMER)


def minutes_of(seconds: float) -> int:
    """Whole minutes to say aloud (at least one)."""
    return max(1, int(round(seconds / 60)))


def timer_label(content: TimerContent, timer: TimerState) -> str:
    """What a timer is called aloud and on screen: "ice", "heat", "10 minute"."""
    return content.presets[timer.preset].label.format(minutes=minutes_of(timer.seconds))


class TimerTalk:
    """Named timers on the session clock, and everything said about them."""

    def __init__(self, content: TimerContent) -> None:
        self.content = content
        self.book = TimerBook(content.alert_repeat_every_seconds, content.alert_max_times)

    def label(self, timer: TimerState) -> str:
        return timer_label(self.content, timer)

    def handle(self, reply: Reply, intent: str, slots: Mapping[str, Any], now: float) -> None:
        """Carry out one timer command."""
        lines = self.content.lines
        if intent in (Intent.START_ICE_TIMER, Intent.START_HEAT_TIMER):
            self._start_pack(reply, TimerKind.ICE if intent == Intent.START_ICE_TIMER else TimerKind.HEAT,
                             slots.get("minutes"), now)
        elif intent == Intent.SET_TIMER:
            minutes = slots.get("minutes")
            if not isinstance(minutes, int) or not self.content.custom_min <= minutes <= self.content.custom_max:
                reply.say(lines["out_of_range"].format(min=self.content.custom_min, max=self.content.custom_max))
                return
            others = self.book.running
            self._start(reply, self.book.free_name(TimerKind.CUSTOM), TimerKind.CUSTOM, minutes, now)
            for timer in others:
                reply.say(lines["also_running"].format(label=self.label(timer)))
        elif intent == Intent.TIME_LEFT:
            chosen = self._named(slots)
            shown = chosen if chosen else self.book.running
            if not shown:
                reply.say(lines["none_running"])
            for timer in shown:
                self._say_time_left(reply, timer, now)
        elif intent == Intent.CANCEL_TIMER:
            self._cancel(reply, slots)
        else:
            chosen = self._named(slots) or self.book.running[-1:]
            if not chosen:
                reply.say(lines["none_running"])
                return
            timer = chosen[0]
            changed = self.book.pause(timer.name, now) if intent == Intent.PAUSE else self.book.resume(timer.name, now)
            if changed is None:
                self._say_time_left(reply, timer, now)
                return
            reply.say(lines["paused" if intent == Intent.PAUSE else "resumed"].format(label=self.label(timer)))
            reply.timers_changed(self.book.snapshot())

    def acknowledge(self, reply: Reply, confirm: bool) -> bool:
        """Silence a sounding alert (saying so when ``confirm``); True if one was sounding."""
        if not self.book.acknowledge():
            return False
        reply.log("alert_acknowledged")
        if confirm:
            reply.say(self.content.lines["alert_off"])
        return True

    def announce(self, reply: Reply, event: TimerEvent) -> None:
        """Say a reminder or an alert that has fallen due."""
        timer = event.timer
        preset = self.content.presets[timer.preset]
        if event.kind in (EXPIRED, ALERT_AGAIN):
            reply.say(preset.expired.format(minutes=minutes_of(timer.seconds)), ALERT)
            if event.kind == EXPIRED:
                reply.log("timer_expired", name=timer.name, seconds=timer.seconds)
            return
        template = self.content.halfway if event.kind == HALFWAY else self.content.one_minute_left
        reply.say(template.format(label=self.label(timer)))
        reply.log("timer_warning", name=timer.name, seconds=timer.seconds, warning=event.kind)

    def restore(self, reply: Reply, timers: Iterable[TimerState], now: float) -> None:
        """Take back timers saved before a restart; say what happened to each."""
        lines = self.content.lines
        kept = []
        for timer in timers:
            label = self.label(timer)
            if timer.paused or timer.due_at > now:
                kept.append(timer)
                reply.say(lines["resumed_after_restart"].format(label=label, minutes=minutes_of(timer.left(now))))
            else:
                reply.say(lines["expired_while_down"].format(label=label), ALERT)
                reply.log("timer_expired", name=timer.name, seconds=timer.seconds, while_down=True)
        self.book.restore(tuple(kept))
        reply.timers_changed(self.book.snapshot())

    # ------------------------------------------------------------------ inside
    def _start_pack(self, reply: Reply, kind: TimerKind, asked: Any, now: float) -> None:
        lines = self.content.lines
        existing = self.book.get(kind)
        if existing is not None:
            reply.say(lines["already_running"].format(label=self.label(existing)))
            self._say_time_left(reply, existing, now)
            return
        cap = self.content.cap_minutes
        if asked is None:
            minutes = min(self.content.presets[kind].minutes or cap, cap)
        elif not isinstance(asked, int) or asked < 1:
            reply.say(lines["out_of_range"].format(min=1, max=cap))
            return
        else:
            minutes = min(asked, cap)
            if asked > cap:
                reply.say(lines["capped"].format(minutes=cap))
        self._start(reply, kind, kind, minutes, now)

    def _start(self, reply: Reply, name: str, kind: TimerKind, minutes: int, now: float) -> None:
        timer = self.book.start(name, minutes * 60, now, kind=kind)
        reply.say(self.content.presets[kind].started.format(minutes=minutes))
        reply.log("timer_started", name=timer.name, kind=kind.value, seconds=timer.seconds)
        reply.timers_changed(self.book.snapshot())

    def _named(self, slots: Mapping[str, Any]) -> list[TimerState]:
        """The timers a command names by kind ("the ice timer") or length ("the ten minute timer")."""
        running = self.book.running
        if slots.get("timer_name"):
            return [t for t in running if t.preset == slots["timer_name"]]
        if isinstance(slots.get("minutes"), int):
            return [t for t in running if t.preset == TimerKind.CUSTOM and minutes_of(t.seconds) == slots["minutes"]]
        return []

    def _cancel(self, reply: Reply, slots: Mapping[str, Any]) -> None:
        lines = self.content.lines
        named = slots.get("timer_name") or slots.get("minutes")
        candidates = self._named(slots) if named else self.book.running
        if not candidates and slots.get("timer_name") in (TimerKind.ICE, TimerKind.HEAT):
            label = self.content.presets[slots["timer_name"]].label
            reply.say(lines["not_running_to_start"].format(label=label))
        elif not candidates:
            reply.say(lines["none_running"])
        elif len(candidates) > 1:
            reply.say(lines["which_timer"].format(count=len(candidates)))
            for timer in candidates:
                reply.say(lines["cancel_choice"].format(label=self.label(timer)))
        else:
            timer = candidates[0]
            self.book.cancel(timer.name)
            reply.log("timer_cancelled", name=timer.name, seconds=timer.seconds)
            reply.say(lines["cancelled"].format(label=self.label(timer)))
            reply.timers_changed(self.book.snapshot())

    def _say_time_left(self, reply: Reply, timer: TimerState, now: float) -> None:
        lines = self.content.lines
        left = timer.left(now)
        label = self.label(timer)
        if timer.paused:
            reply.say(lines["paused_left"].format(label=label, minutes=minutes_of(left)))
        elif left >= 120:
            reply.say(lines["time_left_minutes"].format(label=label, minutes=minutes_of(left)))
        else:
            reply.say(lines["time_left_seconds"].format(label=label, seconds=int(round(left))))
