"""The session state machine: events in, actions out. Pure and deterministic.

It routes what was heard to the flows (the interview, timer talk, countdowns) and owns the
session itself: comfort first, the outcome, relief steps, pain, volunteered symptoms and
every ending. Time only arrives as the ``now`` argument; nothing here touches audio or clocks.
"""

from __future__ import annotations

from typing import Any, Iterable, Mapping

from voice_assistant.content import Content, Lines, Step
from voice_assistant.dialog.countdown import Countdown, Cue, start_countdown
from voice_assistant.dialog.interview import Interview, fill_reasons
from voice_assistant.dialog.reply import Reply
from voice_assistant.dialog.settings import DialogSettings
from voice_assistant.dialog.timer_talk import TIMER_INTENTS, TimerTalk, is_timer_command
from voice_assistant.events import Action, Event, Heard, Listen
from voice_assistant.names import CONTEXT_OF_STATE, Answer, Context, Disposition, Intent, PainKind, State
from voice_assistant.timers import EXPIRED, TimerBook, TimerState

_ALWAYS = {Intent.HELP, Intent.STOP, Intent.ACKNOWLEDGE, Intent.CALL_FOR_HELP, Intent.PAUSE, Intent.RESUME,
           *TIMER_INTENTS}
_SESSION = {Intent.END_SESSION, Intent.PAIN, Intent.REPORT_SYMPTOM}
_QUESTIONS = {Intent.EXPLAIN_CAUSES: "causes", Intent.PREVENTION_TIPS: "prevention",
              Intent.WHEN_TO_SEE_DOCTOR: "when_to_see_doctor"}
LISTENS_FOR: Mapping[Context, frozenset[Intent]] = {
    Context.IDLE: frozenset({Intent.START_GUIDANCE, *_ALWAYS}),
    Context.YES_NO: frozenset({Intent.YES, Intent.NO, Intent.DENY_SYMPTOM, Intent.REPEAT, *_ALWAYS, *_SESSION,
                               *_QUESTIONS}),
    Context.GUIDANCE: frozenset({Intent.NEXT, Intent.PREVIOUS, Intent.REPEAT, Intent.START_STRETCH, *_ALWAYS,
                                 *_SESSION, *_QUESTIONS}),
    Context.COUNTDOWN: frozenset({Intent.NEXT, *_ALWAYS, *_SESSION}),
    Context.PAUSED: frozenset({Intent.NEXT, *_ALWAYS, *_SESSION}),
    Context.EMERGENCY: frozenset({Intent.REPEAT, Intent.END_SESSION, Intent.WHEN_TO_SEE_DOCTOR, *_ALWAYS}),
}
"""The intents the dialog acts on in each context; `voice-assistant check` holds the grammars to it."""
_STARTS_A_TIMER = {Intent.START_ICE_TIMER, Intent.START_HEAT_TIMER, Intent.SET_TIMER}
_ENDS_AN_ALERT = {Intent.ACKNOWLEDGE, Intent.STOP, Intent.NEXT, Intent.PREVIOUS, Intent.START_STRETCH}
"""Said while an alert sounds, these only silence it: an acknowledgement never moves a step, and
some voices' "done" is heard as "go on" or "back"."""
_HOUR = 3600.0


class Dialog:
    """One assistant: sessions come and go, timers keep running across them."""

    def __init__(self, content: Content, settings: DialogSettings = DialogSettings()) -> None:
        self.content = content
        self.settings = settings
        self.timer_talk = TimerTalk(content.timers)
        self.state = State.IDLE
        self._listening: Context | None = None
        self._question_on_air: str | None = None
        self._emergency_at: float | None = None
        self._now = 0.0
        self._reset_session()

    # ----------------------------------------------------------------- public API
    @property
    def context(self) -> Context:
        return CONTEXT_OF_STATE[self.state]

    @property
    def timers(self) -> TimerBook:
        return self.timer_talk.book

    def handle(self, event: Event, now: float) -> list[Action]:
        """Feed one event at session time ``now``; get the actions to carry out."""
        self._now = now
        reply = Reply()
        self._fire_due(reply, now)
        if isinstance(event, Heard):
            self._on_heard(reply, event)
        elif self._reprompt_at is not None and now >= self._reprompt_at:
            self._on_silence(reply)
        return self._finish(reply)

    def next_deadline(self) -> float | None:
        """When the dialog next needs a tick, if nothing is said before."""
        times = [self.timers.next_deadline(), self._reprompt_at]
        if self._countdown is not None:
            times.append(self._countdown.schedule.next_deadline())
        present = [t for t in times if t is not None]
        return min(present) if present else None

    def spoken_until(self, end: float) -> None:
        """The assistant's speech runs until ``end``: silence is counted from then."""
        if self._reprompt_at is not None:
            self._reprompt_at = max(self._reprompt_at, end + self.settings.reprompt_after_seconds)

    def restore_timers(self, timers: Iterable[TimerState], now: float) -> list[Action]:
        """Take back timers saved before a restart; say what happened to each."""
        self._now = now
        reply = Reply()
        self.timer_talk.restore(reply, timers, now)
        return self._finish(reply)

    def greet(self, now: float) -> list[Action]:
        """Started live: say briefly what to say to begin."""
        self._now = now
        reply = Reply()
        reply.say_lines(self.content.session["live_welcome"])
        return self._finish(reply)

    def remember_emergency(self, at: float) -> None:
        """An emergency outcome was given at session time ``at`` (by an earlier run)."""
        self._emergency_at = at if self._emergency_at is None else max(self._emergency_at, at)

    # ----------------------------------------------------------------- turns
    def _reset_session(self) -> None:
        self.interview = Interview(self.content.triage)
        self.disposition: Disposition | None = None
        self._step_index = 0
        self._last_prompt: Lines = ()
        self._countdown: Countdown | None = None
        self._stretched = False
        self._stretches_dropped = False
        self._paused_from = State.IDLE
        self._misses = 0
        self._reprompt_at: float | None = None

    def _set_state(self, reply: Reply, state: State) -> None:
        if state != self.state:
            self.state = state
            reply.log("state", state=state.value)

    def _prompt(self, reply: Reply, lines: Lines) -> None:
        """Lines that "repeat" says again."""
        self._last_prompt = lines
        reply.prompt(lines)

    def _finish(self, reply: Reply) -> list[Action]:
        """Close a turn: the pending question is asked again if anything else was said."""
        if self.state == State.TRIAGE and self._question_asked_last(reply) != self.interview.current.id:
            if reply.said:
                reply.say_lines(self.content.session["back_to_question"])
            self.interview.ask(reply)
        if reply.said:
            self._question_on_air = reply.question
        if reply.prompted:
            self._reprompt_at = self._now + self.settings.reprompt_after_seconds
        if self.state in (State.IDLE, State.COUNTDOWN, State.PAUSED):
            self._reprompt_at = None
        context = self.context
        if reply.said or context != self._listening:
            reply.actions.append(Listen(context.value))
            self._listening = context
        return reply.actions

    def _on_silence(self, reply: Reply) -> None:
        self._reprompt_at = None  # once only, then wait quietly
        if self.state == State.GUIDANCE and self.timers.running:
            return  # resting with a pack on: nothing is being asked
        reply.log("silence", state=self.state.value)
        if self.state == State.TRIAGE:
            reply.say_lines(self.content.triage.silence)
            self.interview.ask(reply)
        elif self.state == State.EMERGENCY:
            reply.say_lines(self._last_prompt)
        else:
            reply.say_lines(self.content.session["reprompt"])
        reply.prompted = False

    def _fire_due(self, reply: Reply, now: float) -> None:
        due: list[tuple[float, Any]] = [(e.at, e) for e in self.timers.due(now)]
        if self._countdown is not None:
            due.extend(self._countdown.schedule.due(now))
        due.sort(key=lambda pair: pair[0])
        expired = False
        for at, item in due:
            if isinstance(item, Cue):
                reply.say(item.text, item.kind, at)
                reply.log("countdown", **item.detail)
            else:
                expired |= item.kind == EXPIRED
                self.timer_talk.announce(reply, item)
        if expired:
            reply.timers_changed(self.timers.snapshot())
        if self._countdown is not None and self._countdown.schedule.finished:
            self._countdown = None
            if self.state == State.COUNTDOWN:
                self._set_state(reply, State.GUIDANCE)

    # ----------------------------------------------------------------- routing
    def _on_heard(self, reply: Reply, heard: Heard) -> None:
        intent = Intent(heard.intent) if heard.intent is not None else None
        slots = heard.slots
        if intent is None:
            self._not_understood(reply)
            return
        only_the_alert = intent in _ENDS_AN_ALERT or (
            intent == Intent.CANCEL_TIMER and not (slots.get("timer_name") or slots.get("minutes")))
        if self.timer_talk.acknowledge(reply, confirm=only_the_alert) and only_the_alert:
            return  # the alarm is silenced; nothing else moves
        self._misses = 0
        if intent == Intent.HELP:
            if self.state == State.COUNTDOWN:  # someone in trouble mid-stretch, or a "stop" heard as "help"
                self._pause(reply, announce=False)
            reply.say_lines(self.content.help[self.context])
        elif intent == Intent.CALL_FOR_HELP:
            reply.say_lines(self.content.session["call_for_help"])
        elif is_timer_command(intent, slots):
            if self.state == State.IDLE and intent not in _STARTS_A_TIMER and not self.timers.running:
                return  # nothing to talk about: a TV saying "what's left" gets no answer
            self.timer_talk.handle(reply, intent, slots, self._now)
        elif self.state == State.IDLE:
            if intent == Intent.START_GUIDANCE:
                self._start_session(reply)
        elif intent == Intent.END_SESSION:
            self._end_session(reply)
        elif intent == Intent.STOP:
            self._stop(reply)
        elif intent == Intent.REPORT_SYMPTOM and slots.get("flag"):
            self._volunteered(reply, str(slots["flag"]))
        elif intent == Intent.PAIN:
            self._pain(reply, PainKind(slots.get("pain", PainKind.HURTS)))
        elif intent in _QUESTIONS:
            reply.say_lines(self.content.info[_QUESTIONS[intent]])
        elif intent == Intent.PAUSE and self.state != State.PAUSED:
            self._pause(reply)
        elif self.state == State.TRIAGE:
            self._on_triage(reply, intent, slots, heard.confidence)
        elif self.state == State.GUIDANCE:
            self._on_guidance(reply, intent, slots)
        elif self.state == State.COUNTDOWN and intent == Intent.NEXT:
            self._stop_countdown(reply, "skip")
            reply.say(self.content.counting.lines["skipped"])
            self._go_to_step(reply, self._allowed_from(self._step_index + 1, +1))
        elif self.state == State.PAUSED and intent in (Intent.RESUME, Intent.NEXT):
            self._resume(reply)
        elif self.state == State.EMERGENCY and intent == Intent.REPEAT:
            reply.say_lines(self._last_prompt)
        elif intent != Intent.ACKNOWLEDGE:
            self._missed(reply)

    def _not_understood(self, reply: Reply) -> None:
        if self.state == State.TRIAGE:
            if self.interview.unclear(reply):
                self._finish_triage(reply)
        elif self.state != State.IDLE:
            self._missed(reply)

    def _missed(self, reply: Reply) -> None:
        self._misses += 1
        if self._misses >= self.settings.misses_before_hint:
            self._misses = 0
            reply.say_lines(self.content.session["not_understood"])

    # ----------------------------------------------------------------- session
    def _start_session(self, reply: Reply) -> None:
        self._reset_session()
        reply.log("session_started")
        self._set_state(reply, State.TRIAGE)
        session = self.content.session
        hours = self.content.triage.emergency_reminder_hours
        if self._emergency_at is not None and self._now - self._emergency_at <= hours * _HOUR:
            reply.log("emergency_reminder", hours_ago=round((self._now - self._emergency_at) / _HOUR, 2))
            reply.say_lines(session["emergency_reminder"])
        reply.say_lines(session["welcome"])
        reply.say_lines(session["comfort"])
        reply.say_lines(self.content.triage.intro)
        self.interview.ask(reply)

    def _stop(self, reply: Reply) -> None:
        """"stop" ends what is going on first (a countdown, running or paused); then the session."""
        if self._countdown is not None:
            self._stop_countdown(reply, "stop")
            reply.say(self.content.counting.lines["stopped"])
        else:
            self._end_session(reply)

    def _end_session(self, reply: Reply) -> None:
        session = self.content.session
        if self._countdown is not None:
            self._stop_countdown(reply, "session_ended")
        if self.disposition is None:
            self.interview.log_result(reply, complete=False)
            reply.say_lines(session["stopped_before_triage"])
            reply.say_lines(session["safety_net"])
        elif self.disposition == Disposition.EMERGENCY:
            reply.say_lines(session["goodbye_emergency"])
        else:
            reply.say_lines(session[f"goodbye_{self.disposition.value}"])
            reply.say_lines(session["safety_net"])
        if self.timers.running:
            reply.say_lines(session["timers_keep_running"])
        reply.say_lines(session["session_ended"])
        reply.log("session_ended", disposition=self.disposition.value if self.disposition else None)
        self._set_state(reply, State.IDLE)

    def _pause(self, reply: Reply, announce: bool = True) -> None:
        """Hold the session (and a running count), saying so when ``announce``."""
        self._paused_from = self.state
        if self._countdown is not None:
            self._countdown.schedule.pause(self._now)
        if announce and self._countdown is not None:
            reply.say(self.content.counting.lines["paused"])
        elif announce:
            reply.say_lines(self.content.session["paused"])
        self._set_state(reply, State.PAUSED)

    def _resume(self, reply: Reply) -> None:
        self._set_state(reply, self._paused_from)
        if self._countdown is not None and self.state == State.COUNTDOWN:
            self._countdown.schedule.resume(self._now)
            reply.say(self.content.counting.lines["resumed"])
            return
        reply.say_lines(self.content.session["resumed"])
        if self.state == State.TRIAGE:
            self.interview.ask(reply)
        else:
            self._prompt(reply, self._last_prompt)

    # ----------------------------------------------------------------- the questions
    def _on_triage(self, reply: Reply, intent: Intent, slots: Mapping[str, Any], confidence: float | None) -> None:
        asked = self._question_asked_last(reply)
        flag = self.interview.current.id
        if intent == Intent.REPEAT:
            self.interview.ask(reply)
            return
        if intent in (Intent.YES, Intent.NO) and asked != flag:
            reply.log("answer_not_taken", flag=flag, intent=intent.value)
            return  # something else was said since the question: _finish asks it again
        if intent == Intent.YES:
            finished = self.interview.answer(reply, Answer.YES)
        elif intent == Intent.NO or (intent == Intent.DENY_SYMPTOM and slots.get("flag") == flag == asked):
            doubtful = confidence is not None and confidence < self.settings.sure_no_confidence
            if doubtful and not self.interview.doubtful_no(reply):
                return
            finished = self.interview.answer(reply, Answer.NO)
        else:
            finished = self.interview.unclear(reply)  # "okay", or a description of another question
        if finished:
            self._finish_triage(reply)

    def _question_asked_last(self, reply: Reply) -> str | None:
        """The flag whose question is the last thing said, this turn included."""
        return reply.question if reply.said else self._question_on_air

    def _finish_triage(self, reply: Reply) -> None:
        result = self.interview.log_result(reply, complete=True)
        self.disposition = result
        if result == Disposition.EMERGENCY:
            self._enter_emergency(reply)
            return
        reply.say_lines(self.interview.outcome_lines(result))
        self._set_state(reply, State.GUIDANCE)
        self._go_to_step(reply, self._allowed_from(0, +1), log=False)

    def _enter_emergency(self, reply: Reply) -> None:
        self._emergency_at = self._now
        self._set_state(reply, State.EMERGENCY)
        self._prompt(reply, tuple(self.interview.outcome_lines(Disposition.EMERGENCY)))

    def _volunteered(self, reply: Reply, flag: str) -> None:
        """A red-flag symptom said in words, at any moment of a session."""
        if self.state == State.TRIAGE:
            if flag == self.interview.current.id and self._question_asked_last(reply) == flag:
                finished = self.interview.answer(reply, Answer.YES)  # a description that answers the question
            else:
                finished = self.interview.volunteer(reply, flag)
                if not finished:
                    reply.say_lines(self.content.triage.volunteered["noted"])
            if finished:
                self._finish_triage(reply)
            return
        if self._countdown is not None:
            self._stop_countdown(reply, "symptom")
        self.interview.volunteer(reply, flag)
        before, after = self.disposition, self.interview.log_result(reply, complete=True)
        self.disposition = after
        volunteered = self.content.triage.volunteered
        if after == Disposition.EMERGENCY:
            if before != Disposition.EMERGENCY:
                self._enter_emergency(reply)
            else:
                reply.say_lines(self._last_prompt)
        elif after != before:
            reply.say_lines(fill_reasons(volunteered["advice_changed"], self.interview.reasons()))
            self._set_state(reply, State.GUIDANCE)
            self._go_to_step(reply, self._allowed_from(self._step_index, +1))
        else:
            reason = next(f.reason for f in self.content.triage.flags if f.id == flag)
            reply.say_lines(fill_reasons(volunteered["tell_the_doctor"], [reason], reason=reason))
            self._set_state(reply, State.GUIDANCE)

    # ----------------------------------------------------------------- guidance
    def _allowed(self, step: Step) -> bool:
        """Steps follow the outcome; stretches drop out once they made the pain worse."""
        return self.disposition in step.audience and not (self._stretches_dropped and step.stretch)

    def _allowed_from(self, index: int, direction: int) -> int:
        """The first allowed step from ``index`` on in ``direction`` (len(steps) when none is left)."""
        steps = self.content.steps
        while 0 <= index < len(steps) and not self._allowed(steps[index]):
            index += direction
        return index if 0 <= index < len(steps) else (len(steps) if direction > 0 else -1)

    def _current_step(self) -> Step | None:
        steps = self.content.steps
        return steps[self._step_index] if self._step_index < len(steps) else None

    def _on_guidance(self, reply: Reply, intent: Intent, slots: Mapping[str, Any]) -> None:
        if intent == Intent.NEXT:
            self._go_to_step(reply, self._allowed_from(self._step_index + 1, +1))
        elif intent == Intent.PREVIOUS:
            earlier = self._allowed_from(self._step_index - 1, -1)
            if earlier < 0:
                reply.say_lines(self.content.session["first_step"])
            self._go_to_step(reply, max(earlier, self._allowed_from(0, +1)))
        elif intent in (Intent.REPEAT, Intent.RESUME):
            self._prompt(reply, self._last_prompt)
        elif intent == Intent.ACKNOWLEDGE:
            reply.say_lines(self._last_prompt[-1:])  # the step's last line says what to say next
        elif intent == Intent.START_STRETCH:
            self._start_stretch(reply, slots.get("stretch"))
        else:
            self._missed(reply)

    def _go_to_step(self, reply: Reply, index: int, log: bool = True) -> None:
        self._step_index = index
        step = self._current_step()
        if step is None:
            self._prompt(reply, self.content.session["steps_done"])
            return
        if log:
            reply.log("step", step=step.id)
        self._prompt(reply, step.say)

    def _start_stretch(self, reply: Reply, requested: str | None) -> None:
        session = self.content.session
        if self.disposition != Disposition.SELF_CARE:
            reply.say_lines(session["stretch_not_allowed"])
            return
        if self._stretches_dropped:
            reply.say_lines(session["stretches_dropped"])
            return
        current = self._current_step()
        stretch_id = requested or (current.stretch if current else None)
        if stretch_id is None or stretch_id not in self.content.stretches:
            reply.say_lines(session["no_stretch_here"])
            return
        stretch = self.content.stretches[stretch_id]
        self._countdown = start_countdown(stretch, self.content.counting, self.settings, self._now)
        self._stretched = True
        reply.log("countdown_started", stretch=stretch.id)
        self._set_state(reply, State.COUNTDOWN)
        self._fire_due(reply, self._now)

    def _stop_countdown(self, reply: Reply, reason: str) -> None:
        assert self._countdown is not None
        reply.log("countdown_stopped", stretch=self._countdown.stretch.id, reason=reason)
        self._countdown = None
        self._set_state(reply, State.GUIDANCE)

    def _pain(self, reply: Reply, kind: PainKind) -> None:
        """Pain stops a stretch at once; worse pain after stretching drops the other stretches."""
        session = self.content.session
        stretch = self._countdown.stretch.id if self._countdown is not None else None
        reply.log("pain", kind=kind.value, state=self.state.value, stretch=stretch)
        if self.state == State.TRIAGE:
            reply.say_lines(session["pain_during_questions"])
            return
        if self.state == State.EMERGENCY:
            reply.say_lines(self._last_prompt)
            return
        if stretch is not None:
            self._stop_countdown(reply, "pain")
            reply.say_lines(session["pain_stop"])
        else:
            reply.say_lines(session["pain_heard"])
        if self._stretched and kind != PainKind.CANNOT and not self._stretches_dropped:
            self._stretches_dropped = True
            reply.log("stretches_dropped", reason=kind.value)
            reply.say_lines(session["stretches_dropped"])
        reply.prompt(session["pain_offer"])
