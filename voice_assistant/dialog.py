"""The session state machine: events in, actions out. Pure and deterministic.

It owns the flow of the product spec: comfort first, the red-flag questions most
dangerous first with a fail-safe, the outcome, relief steps, stretch countdowns and
timers. Time only arrives as the ``now`` argument; nothing here touches audio or clocks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from voice_assistant import triage
from voice_assistant.content import Content, Lines, Step, Stretch
from voice_assistant.events import ALERT, COUNT, SPEECH, Action, Event, Heard, Listen, Log, Say, TimersChanged
from voice_assistant.timers import ALERT_AGAIN, EXPIRED, HALFWAY, Schedule, TimerBook, TimerState
from voice_assistant.triage import Answer

IDLE, TRIAGE, GUIDANCE, COUNTDOWN, PAUSED, EMERGENCY = (
    "idle", "triage", "guidance", "countdown", "paused", "emergency",
)
CONTEXT_OF_STATE = {
    IDLE: "idle", TRIAGE: "yes_no", GUIDANCE: "guidance", COUNTDOWN: "countdown",
    PAUSED: "paused", EMERGENCY: "emergency",
}
# The intents the dialog acts on in each context; `voice-assistant check` makes sure the
# grammars offer sentences for every one of them.
LISTENS_FOR = {
    "idle": {"start_guidance"},
    "yes_no": {"yes", "no", "repeat", "help", "pause", "stop"},
    "guidance": {"next", "previous", "repeat", "help", "pause", "stop", "start_stretch",
                 "start_ice_timer", "start_heat_timer", "set_timer", "time_left", "cancel_timer",
                 "explain_causes", "prevention_tips", "when_to_see_doctor"},
    "countdown": {"next", "pause", "stop"},
    "paused": {"resume", "stop"},
    "emergency": {"repeat", "stop"},
}
TIMER_INTENTS = {"start_ice_timer", "start_heat_timer", "set_timer", "time_left", "cancel_timer"}
INFO_INTENTS = {"explain_causes": "causes", "prevention_tips": "prevention",
                "when_to_see_doctor": "when_to_see_doctor"}


@dataclass(frozen=True)
class DialogSettings:
    """How the conversation paces itself (not what it says: that is content)."""

    reprompt_after_seconds: float = 30.0
    """After this much silence the assistant reprompts once, then waits quietly."""
    misses_before_hint: int = 2
    """Utterances in a row that match nothing before the "say help" hint."""
    seconds_per_character: float = 0.08
    """Time allowed per character of a countdown sentence (0.08 s suits 160 words a minute)."""
    alert_lead_seconds: float = 0.6
    """Time allowed for the chime that opens an alert ("and release" at the end of a hold)."""


@dataclass(frozen=True)
class Cue:
    """One line of a stretch countdown."""

    text: str
    kind: str
    detail: Mapping[str, Any]


class Dialog:
    """One assistant: sessions come and go, timers keep running across them."""

    def __init__(self, content: Content, settings: DialogSettings = DialogSettings()) -> None:
        self.content = content
        self.settings = settings
        self.timers = TimerBook(content.timers.alert_repeat_every_seconds, content.timers.alert_max_times)
        self.state = IDLE
        self._out: list[Action] = []
        self._reset_session()

    # ----------------------------------------------------------------- public API
    @property
    def context(self) -> str:
        return CONTEXT_OF_STATE[self.state]

    def handle(self, event: Event, now: float) -> list[Action]:
        """Feed one event at session time ``now``; get the actions to carry out."""
        self._out = []
        self._now = now
        self._fire_due(now)
        if isinstance(event, Heard):
            self._on_heard(event)
            return self._finish(arm_reprompt=True)
        if self._silence_due(now):
            self._on_silence()
        return self._finish(arm_reprompt=False)

    def next_deadline(self) -> float | None:
        """When the dialog next needs a tick, if nothing is said before."""
        times = [self.timers.next_deadline()]
        if self._countdown is not None:
            times.append(self._countdown.next_deadline())
        if self._reprompt_at is not None:
            times.append(self._reprompt_at)
        present = [t for t in times if t is not None]
        return min(present) if present else None

    def spoken_until(self, end: float) -> None:
        """The assistant's speech runs until ``end``: silence is counted from then."""
        if self._reprompt_at is not None:
            self._reprompt_at = max(self._reprompt_at, end + self.settings.reprompt_after_seconds)

    def restore_timers(self, timers: Iterable[TimerState], now: float) -> list[Action]:
        """Take back timers saved before a restart; say what happened to each."""
        self._out = []
        self._now = now
        lines = self.content.timers.lines
        kept = []
        for timer in timers:
            label = self._label(timer)
            if timer.paused or timer.due_at > now:
                kept.append(timer)
                self._say(lines["resumed_after_restart"].format(label=label, minutes=_minutes(timer.left(now))))
            else:
                self._say(lines["expired_while_down"].format(label=label), ALERT)
                self._log("timer_expired", name=timer.name, seconds=timer.seconds, while_down=True)
        self.timers.restore(tuple(kept))
        self._out.append(TimersChanged(self.timers.snapshot()))
        return self._finish(arm_reprompt=False)

    # ----------------------------------------------------------------- plumbing
    def _reset_session(self) -> None:
        self._flag_index = 0
        self._answers: dict[str, Answer] = {}
        self._unclear = 0
        self.disposition: str | None = None
        self._steps: tuple[Step, ...] = ()
        self._step_index = 0
        self._last_prompt: Lines = ()
        self._countdown: Schedule[Cue] | None = None
        self._countdown_stretch: Stretch | None = None
        self._paused_from = IDLE
        self._misses = 0
        self._reprompt_at: float | None = None
        self._listening: str | None = None

    def _say(self, text: str, kind: str = SPEECH, at: float | None = None) -> None:
        self._out.append(Say(text, kind, at))

    def _say_lines(self, lines: Iterable[str], kind: str = SPEECH) -> None:
        for line in lines:
            self._say(line, kind)

    def _prompt(self, lines: Lines) -> None:
        """Say lines that "repeat" should say again."""
        self._last_prompt = lines
        self._say_lines(lines)

    def _log(self, type_: str, **data: Any) -> None:
        self._out.append(Log(type_, data))

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._log("state", state=state)

    def _finish(self, arm_reprompt: bool) -> list[Action]:
        """Close a turn: listen in the right context; after a reply, wait for an answer."""
        context = self.context
        said = any(isinstance(a, Say) for a in self._out)
        if said or context != self._listening:
            self._out.append(Listen(context))
            self._listening = context
        if arm_reprompt and said:
            self._reprompt_at = self._now + self.settings.reprompt_after_seconds
        if self.state in (IDLE, COUNTDOWN, PAUSED):
            self._reprompt_at = None
        return self._out

    def _silence_due(self, now: float) -> bool:
        return self._reprompt_at is not None and now >= self._reprompt_at

    def _on_silence(self) -> None:
        self._reprompt_at = None  # once only, then wait quietly
        self._log("silence", state=self.state)
        if self.state == TRIAGE:
            self._say_lines(self.content.triage.silence)
            self._say_lines(self._current_flag().question)
        elif self.state == EMERGENCY:
            self._say_lines(self._last_prompt)
        else:
            self._say_lines(self.content.session["reprompt"])
            self._say_lines(self.content.help[self.context])

    # ----------------------------------------------------------------- time
    def _fire_due(self, now: float) -> None:
        due: list[tuple[float, Any]] = [(e.at, e) for e in self.timers.due(now)]
        if self._countdown is not None:
            due.extend(self._countdown.due(now))
        due.sort(key=lambda pair: pair[0])
        changed = False
        for at, item in due:
            if isinstance(item, Cue):
                self._say(item.text, item.kind, at)
                self._log("countdown", **item.detail)
            else:
                changed |= item.kind == EXPIRED
                self._on_timer_event(item.kind, item.timer)
        if changed:
            self._out.append(TimersChanged(self.timers.snapshot()))
        if self._countdown is not None and self._countdown.finished:
            self._countdown = None
            if self.state == COUNTDOWN:
                self._set_state(GUIDANCE)

    def _on_timer_event(self, kind: str, timer: TimerState) -> None:
        preset = self.content.timers.presets[timer.name]
        label = self._label(timer)
        minutes = _minutes(timer.seconds)
        if kind in (EXPIRED, ALERT_AGAIN):
            self._say(preset.expired.format(minutes=minutes), ALERT)
            if kind == EXPIRED:
                self._log("timer_expired", name=timer.name, seconds=timer.seconds)
            return
        template = self.content.timers.halfway if kind == HALFWAY else self.content.timers.one_minute_left
        self._say(template.format(label=label))
        self._log("timer_warning", name=timer.name, seconds=timer.seconds, warning=kind)

    # ----------------------------------------------------------------- input
    def _on_heard(self, heard: Heard) -> None:
        intent = heard.intent
        if self.state == IDLE:
            if intent == "start_guidance":
                self._start_session()
            return
        if intent is not None and self.timers.acknowledge() and intent in ("stop", "cancel_timer"):
            return  # "stop" while an alarm sounds silences the alarm, nothing more
        if intent is None and self.state != TRIAGE:
            self._missed()
            return
        self._misses = 0
        if intent == "help":
            self._say_lines(self.content.help[self.context])
        elif intent == "stop" and self.state != COUNTDOWN:
            self._stop_session()
        elif intent in TIMER_INTENTS or (intent in ("pause", "resume") and heard.slots.get("target") == "timer"):
            self._on_timer_intent(intent, heard.slots)
        elif intent in INFO_INTENTS:
            self._say_lines(self.content.info[INFO_INTENTS[intent]])
        elif intent == "pause" and self.state != PAUSED:
            self._pause()
        elif self.state == TRIAGE:
            self._on_triage(intent)
        elif self.state == GUIDANCE:
            self._on_guidance(intent, heard.slots)
        elif self.state == COUNTDOWN:
            self._on_countdown(intent)
        elif self.state == PAUSED and intent == "resume":
            self._resume()
        elif self.state == EMERGENCY and intent == "repeat":
            self._say_lines(self._last_prompt)
        else:
            self._missed()

    def _missed(self) -> None:
        self._misses += 1
        if self._misses >= self.settings.misses_before_hint:
            self._misses = 0
            self._say_lines(self.content.session["not_understood"])

    # ----------------------------------------------------------------- session
    def _start_session(self) -> None:
        self._reset_session()
        self._log("session_started")
        self._set_state(TRIAGE)
        session = self.content.session
        self._say_lines(session["welcome"])
        self._say_lines(session["comfort"])
        self._say_lines(self.content.triage.intro)
        self._prompt(self._current_flag().question)

    def _stop_session(self) -> None:
        if self.disposition is None:
            self._record_unanswered()
            self._say_lines(self.content.session["stopped_before_triage"])
        else:
            self._say_lines(self.content.session["goodbye"])
        self._say_lines(self.content.session["session_ended"])
        self._countdown = None
        self._log("session_ended", disposition=self.disposition)
        self._set_state(IDLE)

    def _pause(self) -> None:
        self._paused_from = self.state
        if self._countdown is not None:
            self._countdown.pause(self._now)
            self._say(self.content.counting.lines["paused"])
        else:
            self._say_lines(self.content.session["paused"])
        self._set_state(PAUSED)

    def _resume(self) -> None:
        self._set_state(self._paused_from)
        if self._countdown is not None and self.state == COUNTDOWN:
            self._countdown.resume(self._now)
            self._say(self.content.counting.lines["resumed"])
            return
        self._say_lines(self.content.session["resumed"])
        if self.state == TRIAGE:
            self._say_lines(self._current_flag().question)
        else:
            self._say_lines(self._last_prompt)

    # ----------------------------------------------------------------- triage
    def _current_flag(self):  # -> RedFlag
        return self.content.triage.flags[self._flag_index]

    def _on_triage(self, intent: str | None) -> None:
        if intent == "repeat":
            self._say_lines(self._current_flag().question)
        elif intent == "yes":
            self._answer(Answer.YES)
        elif intent == "no":
            self._answer(Answer.NO)
        elif intent is None:
            self._unclear += 1
            if self._unclear >= triage.UNCLEAR_TRIES_BEFORE_PRESENT:
                self._say_lines(self.content.triage.counted_as_yes)
                self._answer(Answer.UNCLEAR)
            else:
                self._say_lines(self.content.triage.unclear)
                self._prompt(self._current_flag().reask)
        else:
            self._missed()

    def _answer(self, answer: Answer) -> None:
        flag = self._current_flag()
        self._answers[flag.id] = answer
        self._log("answer", flag=flag.id, answer=answer.value)
        self._unclear = 0
        if triage.ends_questions(flag, answer) or self._flag_index + 1 >= len(self.content.triage.flags):
            self._finish_triage()
        else:
            self._flag_index += 1
            self._prompt(self._current_flag().question)

    def _record_unanswered(self) -> None:
        for flag in self.content.triage.flags:
            self._answers.setdefault(flag.id, Answer.UNANSWERED)
        self._log("triage", disposition=triage.disposition(self.content.triage.flags, self._answers),
                  answers={k: v.value for k, v in self._answers.items()}, complete=False)

    def _finish_triage(self) -> None:
        flags = self.content.triage.flags
        result = triage.disposition(flags, self._answers)
        self.disposition = result
        self._log("triage", disposition=result, answers={k: v.value for k, v in self._answers.items()},
                  complete=True)
        outcome = self.content.triage.outcomes[result]
        if result == triage.EMERGENCY:
            self._set_state(EMERGENCY)
            self._prompt(outcome)
            return
        lines = outcome
        if result == triage.SEE_DOCTOR:
            reasons = triage.reasons(flags, self._answers)
            lines = tuple(
                part
                for line in outcome
                for part in (reasons if line == "{reasons}" else [line.format(reasons=" ".join(reasons))])
            )
        self._say_lines(lines)
        self._steps = tuple(step for step in self.content.steps if result in step.audience)
        self._step_index = 0
        self._set_state(GUIDANCE)
        self._prompt(self._steps[0].say)

    # ----------------------------------------------------------------- guidance
    def _on_guidance(self, intent: str | None, slots: Mapping[str, Any]) -> None:
        if intent == "next":
            self._go_to_step(self._step_index + 1)
        elif intent == "previous":
            if self._step_index == 0:
                self._say_lines(self.content.session["first_step"])
            self._go_to_step(max(0, self._step_index - 1))
        elif intent == "repeat":
            self._say_lines(self._last_prompt)
        elif intent == "start_stretch":
            self._start_stretch(slots.get("stretch"))
        elif intent == "resume":
            self._say_lines(self._last_prompt)
        else:
            self._missed()

    def _go_to_step(self, index: int) -> None:
        self._step_index = min(index, len(self._steps))
        if self._step_index == len(self._steps):
            self._prompt(self.content.session["steps_done"])
        else:
            self._log("step", step=self._steps[self._step_index].id)
            self._prompt(self._steps[self._step_index].say)

    def _start_stretch(self, requested: str | None) -> None:
        if self.disposition != triage.SELF_CARE:
            self._say_lines(self.content.session["stretch_not_allowed"])
            return
        current = self._steps[self._step_index] if self._step_index < len(self._steps) else None
        stretch_id = requested or (current.stretch if current else None)
        if stretch_id is None or stretch_id not in self.content.stretches:
            self._say_lines(self.content.session["no_stretch_here"])
            return
        stretch = self.content.stretches[stretch_id]
        self._countdown_stretch = stretch
        self._countdown = Schedule(self._countdown_cues(stretch), started_at=self._now)
        self._log("countdown_started", stretch=stretch.id)
        self._set_state(COUNTDOWN)
        self._fire_due(self._now)

    def _countdown_cues(self, stretch: Stretch) -> list[tuple[float, Cue]]:
        counting = self.content.counting
        lines = counting.lines
        cues: list[tuple[float, Cue]] = []
        clock = 0.0

        def cue(text: str, kind: str, **detail: Any) -> None:
            nonlocal clock
            cues.append((clock, Cue(text, kind, {"stretch": stretch.id, **detail})))
            if kind != COUNT:
                clock += max(1.0, len(text) * self.settings.seconds_per_character)
            if kind == ALERT:
                clock += self.settings.alert_lead_seconds

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

    def _on_countdown(self, intent: str | None) -> None:
        lines = self.content.counting.lines
        if intent in ("next", "stop"):
            self._countdown = None
            self._log("countdown_stopped", stretch=self._countdown_stretch.id if self._countdown_stretch else None,
                      reason="skip" if intent == "next" else "stop")
            self._set_state(GUIDANCE)
            if intent == "next":
                self._say(lines["skipped"])
                self._go_to_step(self._step_index + 1)
            else:
                self._say(lines["stopped"])
        else:
            self._missed()

    # ----------------------------------------------------------------- timers
    def _label(self, timer: TimerState) -> str:
        return self.content.timers.presets[timer.name].label.format(minutes=_minutes(timer.seconds))

    def _named_or_latest(self, slots: Mapping[str, Any]) -> TimerState | None:
        name = slots.get("timer_name")
        if name:
            return self.timers.get(name)
        running = self.timers.running
        return running[-1] if running else None

    def _on_timer_intent(self, intent: str, slots: Mapping[str, Any]) -> None:
        timers = self.content.timers
        lines = timers.lines
        if intent in ("start_ice_timer", "start_heat_timer"):
            name = "ice" if intent == "start_ice_timer" else "heat"
            existing = self.timers.get(name)
            if existing is not None:
                self._say(lines["already_running"].format(label=self._label(existing)))
                self._say_time_left(existing)
                return
            minutes = min(timers.presets[name].minutes or timers.cap_minutes, timers.cap_minutes)
            self._start_timer(name, minutes)
        elif intent == "set_timer":
            minutes = slots.get("minutes")
            if not isinstance(minutes, int) or not timers.custom_min <= minutes <= timers.custom_max:
                self._say(lines["out_of_range"].format(min=timers.custom_min, max=timers.custom_max))
                return
            if self.timers.get("custom") is not None:
                self._cancel_timer(self.timers.get("custom"), announce=False)
            self._start_timer("custom", minutes)
        elif intent == "time_left":
            chosen = self.timers.get(slots["timer_name"]) if slots.get("timer_name") else None
            shown = [chosen] if chosen else self.timers.running
            if not shown:
                self._say(lines["none_running"])
            for timer in shown:
                self._say_time_left(timer)
        else:
            timer = self._named_or_latest(slots)
            if timer is None:
                self._say(lines["none_running"])
            elif intent == "cancel_timer":
                self._cancel_timer(timer, announce=True)
            elif intent == "pause" and self.timers.pause(timer.name, self._now):
                self._say(lines["paused"].format(label=self._label(timer)))
                self._out.append(TimersChanged(self.timers.snapshot()))
            elif intent == "resume" and self.timers.resume(timer.name, self._now):
                self._say(lines["resumed"].format(label=self._label(timer)))
                self._out.append(TimersChanged(self.timers.snapshot()))
            else:
                self._say_time_left(timer)

    def _start_timer(self, name: str, minutes: int) -> None:
        timer = self.timers.start(name, minutes * 60, self._now)
        self._say(self.content.timers.presets[name].started.format(minutes=minutes))
        self._log("timer_started", name=name, seconds=timer.seconds)
        self._out.append(TimersChanged(self.timers.snapshot()))

    def _cancel_timer(self, timer: TimerState, announce: bool) -> None:
        self.timers.cancel(timer.name)
        self._log("timer_cancelled", name=timer.name, seconds=timer.seconds)
        if announce:
            self._say(self.content.timers.lines["cancelled"].format(label=self._label(timer)))
        self._out.append(TimersChanged(self.timers.snapshot()))

    def _say_time_left(self, timer: TimerState) -> None:
        lines = self.content.timers.lines
        left = timer.left(self._now)
        label = self._label(timer)
        if timer.paused:
            self._say(lines["paused_left"].format(label=label, minutes=_minutes(left)))
        elif left >= 120:
            self._say(lines["time_left_minutes"].format(label=label, minutes=_minutes(left)))
        else:
            self._say(lines["time_left_seconds"].format(label=label, seconds=int(round(left))))


def _minutes(seconds: float) -> int:
    return max(1, int(round(seconds / 60)))
