"""The dialog asks every red-flag question in order and reaches the right outcome."""

from __future__ import annotations

import itertools

import pytest

from voice_assistant.dialog import COUNTDOWN, EMERGENCY, GUIDANCE, IDLE, TRIAGE, Dialog
from voice_assistant.events import Heard, Listen, Log, Say, Tick

FLAGS = ("cauda_equina", "trauma", "nerve", "systemic", "sciatica", "persistent")


def said(actions) -> list[str]:
    return [a.text for a in actions if isinstance(a, Say)]


def logs(actions, type_):
    return [a.data for a in actions if isinstance(a, Log) and a.type == type_]


def start(content) -> tuple[Dialog, list]:
    dialog = Dialog(content)
    actions = dialog.handle(Heard("my back is spasming", "start_guidance"), 0.0)
    return dialog, actions


def answer(dialog: Dialog, intent: str | None, t: float = 1.0):
    return dialog.handle(Heard(intent or "mumble", intent), t)


def test_comfort_comes_first_then_the_first_question_at_once(content):
    dialog, actions = start(content)
    lines = said(actions)
    comfort = content.session["comfort"]
    first_question = content.triage.flags[0].question
    assert lines.index(comfort[0]) < lines.index(content.triage.intro[0]) < lines.index(first_question[0])
    assert lines[-len(first_question):] == list(first_question)
    assert dialog.state == TRIAGE
    assert actions[-1] == Listen("yes_no")


@pytest.mark.parametrize("combo", list(itertools.product(("yes", "no"), repeat=6)))
def test_every_yes_no_combination_through_the_dialog(content, combo):
    dialog, _ = start(content)
    asked = [content.triage.flags[0].id]
    outcome = None
    for flag_id, reply in zip(FLAGS, combo):
        actions = answer(dialog, reply)
        triage_logs = logs(actions, "triage")
        if triage_logs:
            outcome = triage_logs[0]
            break
        asked.append(content.triage.flags[len(asked)].id)
    assert outcome is not None
    if combo[0] == "yes":
        assert outcome["disposition"] == "emergency"
        assert asked == ["cauda_equina"], "an emergency answer ends the questions at once"
        assert dialog.state == EMERGENCY
    elif "yes" in combo:
        assert outcome["disposition"] == "see_doctor"
        assert asked == list(FLAGS)
        assert dialog.state == GUIDANCE
    else:
        assert outcome["disposition"] == "self_care"
        assert asked == list(FLAGS)
    assert outcome["answers"] == {flag: reply for flag, reply in zip(asked, combo)}


def test_two_unclear_answers_count_as_yes(content):
    dialog, _ = start(content)
    first = answer(dialog, None)
    assert content.triage.flags[0].reask[0] in said(first)
    assert not logs(first, "triage")
    second = answer(dialog, None, 2.0)
    assert content.triage.counted_as_yes[0] in said(second)
    assert logs(second, "triage")[0]["disposition"] == "emergency"
    assert logs(second, "answer")[0] == {"flag": "cauda_equina", "answer": "unclear"}


def test_unclear_then_clear_answer_is_taken(content):
    dialog, _ = start(content)
    answer(dialog, None)
    actions = answer(dialog, "no", 2.0)
    assert logs(actions, "answer")[0] == {"flag": "cauda_equina", "answer": "no"}
    assert content.triage.flags[1].question[0] in said(actions)


def test_silence_is_never_no(content):
    dialog, _ = start(content)
    reprompts = []
    for second in range(1, 3600, 7):
        actions = dialog.handle(Tick(), float(second))
        reprompts.extend(said(actions))
        assert not logs(actions, "triage")
    assert dialog.state == TRIAGE and dialog.disposition is None
    # one reprompt, then quiet
    assert reprompts == list(content.triage.silence) + list(content.triage.flags[0].question)


def test_commands_during_triage_do_not_answer_the_question(content):
    dialog, _ = start(content)
    for intent in ("repeat", "help", "explain_causes", "time_left"):
        actions = answer(dialog, intent)
        assert not logs(actions, "answer"), intent
    actions = answer(dialog, "repeat")
    assert said(actions) == list(content.triage.flags[0].question)


def test_stop_before_the_end_of_triage_warns_and_records_unanswered(content):
    dialog, _ = start(content)
    answer(dialog, "no")
    actions = answer(dialog, "stop")
    assert content.session["stopped_before_triage"][-1] in said(actions)
    record = logs(actions, "triage")[0]
    assert record["complete"] is False
    assert record["answers"]["trauma"] == "unanswered"
    assert dialog.state == IDLE


def test_emergency_never_leads_to_exercises(content):
    dialog, _ = start(content)
    answer(dialog, "yes")
    for intent in ("next", "start_stretch", "start_ice_timer", "previous", "resume", None):
        actions = answer(dialog, intent)
        assert dialog.state == EMERGENCY
        assert not logs(actions, "countdown_started")
        assert not logs(actions, "step")
    actions = answer(dialog, "repeat")
    assert said(actions) == list(content.triage.outcomes["emergency"])


def test_see_doctor_gives_reasons_and_no_stretch(content):
    dialog, _ = start(content)
    answer(dialog, "no")
    actions = None
    for reply in ("yes", "no", "no", "no", "no"):
        actions = answer(dialog, reply)
    lines = said(actions)
    assert content.triage.flags[1].reason in lines
    assert "{reasons}" not in " ".join(lines)
    visited = []
    for _ in range(6):
        visited.extend(step["step"] for step in logs(answer(dialog, "next"), "step"))
    allowed = [s.id for s in content.steps if "see_doctor" in s.audience]
    assert visited == allowed[1:]
    assert not {"knee_to_chest", "pelvic_tilt", "massage"} & set(visited)
    for slots in ({}, {"stretch": "pelvic_tilt"}):
        stretch = dialog.handle(Heard("start", "start_stretch", slots), 9.0)
        assert content.session["stretch_not_allowed"][0] in said(stretch)
        assert dialog.state != COUNTDOWN
        assert not logs(stretch, "countdown_started")
