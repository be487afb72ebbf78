"""The dialog asks every red-flag question in order and reaches the right outcome."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice_assistant.dialog import Dialog, DialogSettings
from voice_assistant.names import State
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
    assert dialog.state == State.TRIAGE
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
        assert dialog.state == State.EMERGENCY
    elif "yes" in combo:
        assert outcome["disposition"] == "see_doctor"
        assert asked == list(FLAGS)
        assert dialog.state == State.GUIDANCE
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
    assert dialog.state == State.TRIAGE and dialog.disposition is None
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
    assert dialog.state == State.IDLE


def test_emergency_never_leads_to_exercises(content):
    dialog, _ = start(content)
    answer(dialog, "yes")
    for intent in ("next", "start_stretch", "start_ice_timer", "previous", "resume", None):
        actions = answer(dialog, intent)
        assert dialog.state == State.EMERGENCY
        assert not logs(actions, "countdown_started")
        assert not logs(actions, "step")
    actions = answer(dialog, "repeat")
    reason = content.triage.flags[0].reason
    expected = [reason if line == "{reasons}" else line for line in content.triage.outcomes["emergency"]]
    assert said(actions) == expected, "the emergency message says why, in the flag's plain reason"


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
        assert dialog.state != State.COUNTDOWN
        assert not logs(stretch, "countdown_started")


# ---------------------------------------------------------------- a "no" heard with doubt
DOUBTFUL = 0.96
"""A recognised "no" the recogniser accepted but is not sure of (below sure_no_confidence)."""
DOUBTFUL_NO = "doubtful no"


def test_a_doubtful_no_is_asked_again_and_a_second_one_counts(content):
    run = Run(content)
    run.hear("start_guidance")
    first = content.triage.flags[0]
    assert DOUBTFUL < DialogSettings().sure_no_confidence
    out = run.hear("no", confidence=DOUBTFUL)
    assert not logs(out, "answer")
    assert logs(out, "answer_doubted") == [{"flag": first.id}]
    assert said(out) == list(content.triage.to_be_sure) + list(first.question)
    out = run.hear("no", confidence=DOUBTFUL)
    assert logs(out, "answer") == [{"flag": first.id, "answer": "no"}]
    second = content.triage.flags[1]
    out = run.hear("deny_symptom", {"flag": second.id}, confidence=DOUBTFUL)
    assert logs(out, "answer_doubted") == [{"flag": second.id}], "each question has its own doubt"


def test_after_a_doubtful_no_a_yes_or_a_sure_no_counts_and_doubt_is_not_unclear(content):
    run = Run(content)
    run.hear("start_guidance")
    run.hear("no", confidence=DOUBTFUL)
    out = run.hear("yes", confidence=DOUBTFUL)
    assert logs(out, "answer") == [{"flag": "cauda_equina", "answer": "yes"}]
    run = Run(content)
    run.hear("start_guidance")
    run.hear("no", confidence=DOUBTFUL)
    out = run.hear(None)
    assert not logs(out, "answer"), "one unclear answer after a doubt is still only one"
    out = run.hear("no", confidence=DialogSettings().sure_no_confidence)
    assert logs(out, "answer") == [{"flag": "cauda_equina", "answer": "no"}]


# ---------------------------------------------------------------- interruptions mixed in
INTERRUPTIONS = [
    [("help", {})], [("explain_causes", {})], [("time_left", {})], [("set_timer", {"minutes": 1}), "wait"],
    [("call_for_help", {})], [("pain", {"pain": "hurts"})], [("pause", {}), ("resume", {})], [("repeat", {})],
    ["wait"], [("start_ice_timer", {}), ("cancel_timer", {})], [("prevention_tips", {})],
]


class Run:
    """Drives a Dialog on a virtual clock and keeps every action, in order."""

    def __init__(self, content) -> None:
        self.dialog = Dialog(content)
        self.now = 0.0
        self.actions: list = []
        self.heard_after: list[tuple[str | None, list]] = []
        self.confidences: list[float | None] = []

    def hear(self, intent: str | None, slots=None, confidence: float | None = None) -> list:
        last = next((a.text for a in reversed(self.actions) if isinstance(a, Say)), None)
        self.now += 1.0
        out = self.dialog.handle(Heard(intent or "mumble", intent, slots or {}, confidence), self.now)
        self.actions.extend(out)
        self.heard_after.append((last, out))
        self.confidences.append(confidence)
        return out

    def wait(self, seconds: float) -> None:
        target = self.now + seconds
        while (deadline := self.dialog.next_deadline()) is not None and deadline <= target:
            self.now = max(self.now, deadline)
            self.actions.extend(self.dialog.handle(Tick(), self.now))
        self.now = target
        self.actions.extend(self.dialog.handle(Tick(), self.now))

    def interrupt(self, steps) -> None:
        for step in steps:
            if step == "wait":
                self.wait(61.0)
            else:
                self.hear(*step)


def a_doubtful_no_never_counts_alone(run: Run) -> None:
    """A doubtful "no" is taken only after an earlier doubtful "no" to the same question."""
    doubted: set[str] = set()
    for out, confidence in zip((out for _, out in run.heard_after), run.confidences):
        for record in logs(out, "answer"):
            if record["answer"] == "no" and confidence == DOUBTFUL:
                assert record["flag"] in doubted, record
            doubted.discard(record["flag"])
        doubted.update(record["flag"] for record in logs(out, "answer_doubted"))


def answers_follow_their_questions(run: Run, content) -> None:
    """Every answer counts only for the question said last before the person spoke."""
    last_lines = {flag.id: {flag.question[-1], flag.reask[-1]} for flag in content.triage.flags}
    for last_said, out in run.heard_after:
        for record in logs(out, "answer"):
            if not record.get("volunteered"):
                assert last_said in last_lines[record["flag"]], (record, last_said)


@pytest.mark.parametrize("combo", list(itertools.product(("yes", "no"), repeat=6)))
def test_every_combination_with_interruptions_before_each_answer(content, combo):
    run = Run(content)
    run.hear("start_guidance")
    outcome = None
    for index, reply in enumerate(combo):
        run.interrupt(INTERRUPTIONS[(index + combo.count("yes")) % len(INTERRUPTIONS)])
        outcome = logs(run.hear(reply), "triage") or None
        if outcome:
            break
    assert outcome is not None
    expected = "emergency" if combo[0] == "yes" else "see_doctor" if "yes" in combo else "self_care"
    assert outcome[0]["disposition"] == expected
    asked = list(outcome[0]["answers"])
    assert outcome[0]["answers"] == dict(zip(asked, combo))
    answers_follow_their_questions(run, content)


ANSWER = st.sampled_from(["yes", "no", None, DOUBTFUL_NO])
STEP = st.one_of(ANSWER.map(lambda a: ("answer", a)), st.sampled_from(INTERRUPTIONS).map(lambda i: ("interrupt", i)),
                 st.floats(min_value=0, max_value=400, allow_nan=False).map(lambda s: ("wait", s)))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(STEP, max_size=40))
def test_interrupted_questions_never_bind_an_answer_to_the_wrong_question(content, steps):
    run = Run(content)
    run.hear("start_guidance")
    for kind, value in steps:
        if run.dialog.state != State.TRIAGE and kind == "answer":
            continue
        if kind == "answer" and value == DOUBTFUL_NO:
            run.hear("no", confidence=DOUBTFUL)
        elif kind == "answer":
            run.hear(value)
        elif kind == "interrupt":
            run.interrupt(value)
        else:
            run.wait(value)
    answers_follow_their_questions(run, content)
    a_doubtful_no_never_counts_alone(run)
    answers = {r["flag"]: r["answer"] for r in logs(run.actions, "answer")}
    for record in logs(run.actions, "triage"):
        present = [f for f in content.triage.flags if record["answers"].get(f.id) != "no"]
        worst = "emergency" if any(f.disposition == "emergency" for f in present) else \
            "see_doctor" if present else "self_care"
        assert record["disposition"] == worst
        assert all(record["answers"][flag] == answer for flag, answer in answers.items())
    if run.dialog.state == State.TRIAGE:
        assert run.dialog.disposition is None, "silence and interruptions never finish the questions"


def test_an_answer_arriving_as_an_alert_falls_due_is_not_taken(content):
    """Live, an alert can fall due while the person is answering: the alert is said, then the question."""
    run = Run(content)
    run.hear("start_guidance")
    run.hear("set_timer", {"minutes": 1})
    run.now = 70.0  # no tick in between: the alert falls due in the same turn as the answer
    out = run.hear("yes")
    assert not logs(out, "answer")
    assert logs(out, "answer_not_taken") == [{"flag": "cauda_equina", "intent": "yes"}]
    lines = said(out)
    assert any(a.kind == "alert" for a in out if isinstance(a, Say))
    assert lines[-len(content.triage.flags[0].question):] == list(content.triage.flags[0].question)
    out = run.hear("no")
    assert logs(out, "answer") == [{"flag": "cauda_equina", "answer": "no"}]


def test_started_live_it_says_what_to_say_to_begin_and_stays_idle(content):
    dialog = Dialog(content)
    actions = dialog.greet(0.0)
    assert said(actions) == list(content.session["live_welcome"])
    assert dialog.state == State.IDLE and actions[-1] == Listen("idle")
    assert dialog.next_deadline() is None, "no reprompt while idle"
