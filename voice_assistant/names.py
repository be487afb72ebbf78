"""Every name the rooms share, defined once: states, contexts, intents, dispositions, timers.

Grammars, content, logs and the dialog all spell these names; they come from here. Each is
a ``str`` enum, so a member equals its plain spelling and is written as it in JSON.
"""

from __future__ import annotations

from enum import Enum


class Name(str, Enum):
    """A name that prints and formats as its plain value."""

    def __str__(self) -> str:
        return self.value

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)


class State(Name):
    """Where the session is."""

    IDLE = "idle"
    TRIAGE = "triage"
    GUIDANCE = "guidance"
    COUNTDOWN = "countdown"
    PAUSED = "paused"
    EMERGENCY = "emergency"


class Context(Name):
    """Which phrases can be heard: one grammar context per state."""

    IDLE = "idle"
    YES_NO = "yes_no"
    GUIDANCE = "guidance"
    COUNTDOWN = "countdown"
    PAUSED = "paused"
    EMERGENCY = "emergency"


CONTEXT_OF_STATE = {
    State.IDLE: Context.IDLE,
    State.TRIAGE: Context.YES_NO,
    State.GUIDANCE: Context.GUIDANCE,
    State.COUNTDOWN: Context.COUNTDOWN,
    State.PAUSED: Context.PAUSED,
    State.EMERGENCY: Context.EMERGENCY,
}


class Intent(Name):
    """What an utterance means. The spec's canonical intents, then the ones for leaving the script."""

    START_GUIDANCE = "start_guidance"
    YES = "yes"
    NO = "no"
    NEXT = "next"
    PREVIOUS = "previous"
    REPEAT = "repeat"
    PAUSE = "pause"
    RESUME = "resume"
    STOP = "stop"
    HELP = "help"
    START_ICE_TIMER = "start_ice_timer"
    START_HEAT_TIMER = "start_heat_timer"
    SET_TIMER = "set_timer"
    TIME_LEFT = "time_left"
    CANCEL_TIMER = "cancel_timer"
    START_STRETCH = "start_stretch"
    EXPLAIN_CAUSES = "explain_causes"
    PREVENTION_TIPS = "prevention_tips"
    WHEN_TO_SEE_DOCTOR = "when_to_see_doctor"
    END_SESSION = "end_session"
    """"goodbye", "I'm done": ends the session whatever is going on."""
    ACKNOWLEDGE = "acknowledge"
    """"okay", "it's off", "thanks": silences an alert; never moves a step."""
    PAIN = "pain"
    """"it hurts", "I can't do this one": stops a stretch (slot ``pain``: hurts, worse, cannot)."""
    REPORT_SYMPTOM = "report_symptom"
    """A red-flag symptom said in words ("I can't feel my legs"): slot ``flag``."""
    DENY_SYMPTOM = "deny_symptom"
    """A description that rules one flag out ("it only started this morning"): slot ``flag``."""
    CALL_FOR_HELP = "call_for_help"
    """"call an ambulance": it cannot call, and says what to do instead."""


MOVES_ON = frozenset({Intent.NEXT, Intent.PREVIOUS, Intent.START_STRETCH, Intent.RESUME, Intent.YES, Intent.NO,
                      Intent.START_GUIDANCE, Intent.START_ICE_TIMER, Intent.START_HEAT_TIMER, Intent.SET_TIMER})
"""Intents that move the session on: a "stop" heard as one of them is the worst mistake a
recogniser can make in the steps (see ``judgement.STOP_WORD``)."""


class Disposition(Name):
    """Where the red-flag answers send the person, most severe first."""

    EMERGENCY = "emergency"
    SEE_DOCTOR = "see_doctor"
    SELF_CARE = "self_care"


class Flag(Name):
    """The red-flag questions, most dangerous first (the order they are asked in)."""

    CAUDA_EQUINA = "cauda_equina"
    TRAUMA = "trauma"
    NERVE = "nerve"
    SYSTEMIC = "systemic"
    SCIATICA = "sciatica"
    PERSISTENT = "persistent"


class TimerKind(Name):
    """The kinds of timer; each has a preset in ``content/timers.yaml``."""

    ICE = "ice"
    HEAT = "heat"
    CUSTOM = "custom"


class Answer(Name):
    """The final answer recorded for one red flag."""

    YES = "yes"
    NO = "no"
    UNCLEAR = "unclear"  # asked again and still unclear: counts as present
    UNANSWERED = "unanswered"  # never answered (silence, stopped early): counts as present


class PainKind(Name):
    """What a pain report says (the ``pain`` slot)."""

    HURTS = "hurts"
    WORSE = "worse"
    CANNOT = "cannot"
