"""The red-flag rules: answers in, disposition out. Pure and small on purpose."""

from __future__ import annotations

from typing import Mapping, Sequence

from voice_assistant.content import RedFlag
from voice_assistant.names import Answer, Disposition

_SEVERITY = {Disposition.SELF_CARE: 0, Disposition.SEE_DOCTOR: 1, Disposition.EMERGENCY: 2}

# How many unclear answers to one question before the flag counts as present.
UNCLEAR_TRIES_BEFORE_PRESENT = 2


def flag_present(answer: Answer | None) -> bool:
    """Fail safe: only a clear "no" rules a flag out."""
    return answer is not Answer.NO


def disposition(flags: Sequence[RedFlag], answers: Mapping[str, Answer]) -> Disposition:
    """The most severe disposition any present flag calls for (missing answers count)."""
    worst = Disposition.SELF_CARE
    for flag in flags:
        if flag_present(answers.get(flag.id)) and _SEVERITY[Disposition(flag.disposition)] > _SEVERITY[worst]:
            worst = Disposition(flag.disposition)
    return worst


def ends_questions(flag: RedFlag, answer: Answer) -> bool:
    """An emergency flag that is present ends the questions at once."""
    return flag.disposition == Disposition.EMERGENCY and flag_present(answer)


def reasons(flags: Sequence[RedFlag], answers: Mapping[str, Answer]) -> list[str]:
    """The plain-words reasons of every present flag, in question order."""
    return [flag.reason for flag in flags if flag_present(answers.get(flag.id))]
