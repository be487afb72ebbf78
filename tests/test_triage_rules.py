"""The red-flag rules, exhaustively: every combination of answers to the six flags."""

from __future__ import annotations

import itertools

import pytest

from voice_assistant import triage
from voice_assistant.names import Answer

# The spec's table, written out independently of the content file.
SPEC_TABLE = {
    "cauda_equina": "emergency",
    "trauma": "see_doctor",
    "nerve": "see_doctor",
    "systemic": "see_doctor",
    "sciatica": "see_doctor",
    "persistent": "see_doctor",
}
ALL_ANSWERS = (Answer.YES, Answer.NO, Answer.UNCLEAR, Answer.UNANSWERED, None)


def expected(answers: dict[str, Answer | None]) -> str:
    present = [flag for flag, answer in answers.items() if answer is not Answer.NO]
    if any(SPEC_TABLE[flag] == "emergency" for flag in present):
        return "emergency"
    return "see_doctor" if present else "self_care"


def test_content_follows_the_spec_table(content):
    assert [f.id for f in content.triage.flags] == list(SPEC_TABLE)
    assert {f.id: f.disposition for f in content.triage.flags} == SPEC_TABLE


def test_every_combination_of_answers(content):
    flags = content.triage.flags
    combos = 0
    for combo in itertools.product(ALL_ANSWERS, repeat=len(flags)):
        answers = {flag.id: answer for flag, answer in zip(flags, combo) if answer is not None}
        full = {flag.id: answer for flag, answer in zip(flags, combo)}
        assert triage.disposition(flags, answers) == expected(full), combo
        combos += 1
    assert combos == 5 ** 6


@pytest.mark.parametrize("answer", [Answer.UNCLEAR, Answer.UNANSWERED])
def test_only_a_clear_no_rules_a_flag_out(answer):
    assert triage.flag_present(answer)
    assert triage.flag_present(None)
    assert not triage.flag_present(Answer.NO)


def test_emergency_ends_questions_only_for_the_emergency_flag(content):
    for flag in content.triage.flags:
        for answer in Answer:
            ends = triage.ends_questions(flag, answer)
            assert ends == (flag.id == "cauda_equina" and answer is not Answer.NO)


def test_reasons_follow_question_order(content):
    flags = content.triage.flags
    answers = {f.id: Answer.NO for f in flags} | {"persistent": Answer.YES, "trauma": Answer.UNCLEAR}
    assert triage.reasons(flags, answers) == [flags[1].reason, flags[5].reason]
