"""A person in pain leaves the script: scripted sessions through the real CLI, judged from the log."""

from __future__ import annotations

import json

import pytest

from conftest import of_type, replies_to

START = "my back is spasming"
ALL_NO = [START, "no", "no", "no", "no", "no", "no"]


def says(records: list[dict]) -> list[str]:
    return [r["text"] for r in of_type(records, "say")]


def dispositions(records: list[dict]) -> list[str]:
    return [r["disposition"] for r in of_type(records, "triage")]


def assert_every_answer_follows_its_question(records: list[dict], content) -> None:
    """Each answer counts only for the question said last before the person spoke."""
    questions = {flag.id: {flag.question[-1], flag.reask[-1]} for flag in content.triage.flags}
    last_said = None
    for record in records:
        if record["type"] == "say":
            last_said = record["text"]
        elif record["type"] == "heard":
            heard_after = last_said
        elif record["type"] == "answer" and not record.get("volunteered"):
            assert heard_after in questions[record["flag"]], (record, heard_after)


# ---------------------------------------------------------------- interruptions in the questions
@pytest.mark.parametrize("interruption", ["what causes this", "what can I say", "how much time is left",
                                          "set a timer for ten minutes", "call an ambulance", "it really hurts"])
def test_the_pending_question_is_asked_again_after_an_interruption(scripted, content, interruption):
    records = scripted(START, "no", interruption, "yes", "no", "no", "no", "no")
    assert_every_answer_follows_its_question(records, content)
    trauma = content.triage.flags[1]
    after = replies_to(records, interruption)
    assert after[-len(trauma.question):] == list(trauma.question)
    assert content.session["back_to_question"][0] in after
    answers = {r["flag"]: r["answer"] for r in of_type(records, "answer")}
    assert answers["trauma"] == "yes"
    assert dispositions(records) == ["see_doctor"]


def test_a_yes_to_a_timer_alert_is_not_a_red_flag_answer(scripted, content):
    records = scripted(START, "set a timer for one minute", "/wait 61", "okay", "no", "no", "no", "no", "no", "no")
    assert_every_answer_follows_its_question(records, content)
    assert of_type(records, "alert_acknowledged")
    assert [r["answer"] for r in of_type(records, "answer")] == ["no"] * 6
    assert dispositions(records) == ["self_care"]


def test_an_alert_between_question_and_answer_means_the_question_comes_again(scripted, content):
    records = scripted(START, "no", "set a timer for one minute", "/wait 59", "/wait 1.5", "no", "no", "no", "no", "no")
    alert_at = next(r["t"] for r in of_type(records, "say") if r["kind"] == "alert")
    asked_after = [r for r in of_type(records, "question") if r["t"] >= alert_at]
    assert asked_after and asked_after[0]["flag"] == "trauma"
    assert_every_answer_follows_its_question(records, content)


def test_a_pause_in_the_questions_then_resume_asks_again(scripted, content):
    records = scripted(START, "hold on", "/wait 300", "I'm back", "no", *ALL_NO[2:])
    assert_every_answer_follows_its_question(records, content)
    assert dispositions(records) == ["self_care"]


# ---------------------------------------------------------------- descriptions and volunteered symptoms
def test_descriptive_answers_count_for_the_question_asked(scripted, content):
    records = scripted(START, "no", "I fell off a ladder", "no", "no", "no", "it just started this morning")
    answers = {r["flag"]: r["answer"] for r in of_type(records, "answer")}
    assert answers["trauma"] == "yes" and answers["persistent"] == "no"
    assert dispositions(records) == ["see_doctor"]


def test_a_description_of_another_question_is_not_an_answer(scripted):
    records = scripted(START, "it just started this morning", "no")
    answers = of_type(records, "answer")
    assert [(r["flag"], r["answer"]) for r in answers] == [("cauda_equina", "no")]
    assert of_type(records, "question")[1]["reworded"] is True


@pytest.mark.parametrize("before, symptom, flag", [
    (["no"], "I've wet myself", "cauda_equina"),
    ([], "I can't feel my legs", "nerve"),
    ([], "I fell down the stairs this morning", "trauma"),
])
def test_a_symptom_volunteered_in_the_questions_is_recorded_as_that_flag(scripted, before, symptom, flag):
    records = scripted(START, *before, symptom, "no", "no", "no", "no", "no", "no")
    volunteered = [r for r in of_type(records, "answer") if r.get("volunteered")]
    assert [(r["flag"], r["answer"]) for r in volunteered] == [(flag, "yes")]
    final = of_type(records, "triage")[0]
    assert final["answers"][flag] == "yes"
    assert final["disposition"] == ("emergency" if flag == "cauda_equina" else "see_doctor")


def test_a_flag_already_volunteered_is_not_asked_again(scripted):
    records = scripted(START, "no", "no", "I've got a fever", "no", "no", "no")
    asked = [r["flag"] for r in of_type(records, "question")]
    assert asked.count("systemic") == 0
    assert dispositions(records) == ["see_doctor"]


def test_a_symptom_during_a_countdown_stops_it_and_changes_the_advice(scripted, content):
    records = scripted(*ALL_NO, "next", "start", "/wait 6", "my legs are going numb", "/wait 60", "next", "next",
                       "start the pelvic tilt")
    stopped = of_type(records, "countdown_stopped")
    assert [r["reason"] for r in stopped] == ["symptom"]
    assert not [r for r in of_type(records, "countdown") if r["t"] > stopped[0]["t"]]
    assert dispositions(records) == ["self_care", "see_doctor"]
    assert of_type(records, "triage")[1]["answers"]["nerve"] == "yes"
    assert content.session["stretch_not_allowed"][0] in says(records)
    assert len(of_type(records, "countdown_started")) == 1
    visited = [r["step"] for r in of_type(records, "step")]
    allowed = {s.id for s in content.steps if "see_doctor" in s.audience}
    after_symptom = visited[visited.index("knee_to_chest") + 1:]
    assert after_symptom and set(after_symptom) <= allowed


def test_an_emergency_symptom_in_guidance_overrides_everything(scripted, content):
    records = scripted(*ALL_NO, "next", "I think I've wet myself", "next", "start")
    assert dispositions(records)[-1] == "emergency"
    assert of_type(records, "state")[-1]["state"] == "emergency"
    assert content.triage.flags[0].reason in says(records)
    assert not of_type(records, "countdown_started")


# ---------------------------------------------------------------- pain
@pytest.mark.parametrize("complaint", ["it hurts", "ouch, stop", "I can't do this one", "this is making it worse"])
def test_pain_during_a_stretch_stops_the_count_at_once(scripted, content, complaint):
    records = scripted(*ALL_NO, "next", "start", "/wait 9", complaint, "/wait 60")
    stopped = of_type(records, "countdown_stopped")
    assert [r["reason"] for r in stopped] == ["pain"]
    assert not [r for r in of_type(records, "countdown") if r["t"] > stopped[0]["t"]]
    pain = of_type(records, "pain")
    assert len(pain) == 1 and pain[0]["stretch"] == "knee_to_chest"
    after = replies_to(records, complaint)
    assert content.session["pain_stop"][0] in after and content.session["pain_offer"][0] in after
    assert of_type(records, "state")[-1]["state"] == "guidance"


def test_help_during_a_stretch_holds_the_count_until_asked_to_go_on(scripted, content):
    """Mid-stretch, "help" may be someone in trouble, or a "stop" heard as "help": the count
    holds while what to say is said, and carries on only when asked."""
    records = scripted(*ALL_NO, "next", "start", "/wait 6", "what can I say", "/wait 100", "resume", "/wait 300")
    asked = next(r["t"] for r in of_type(records, "heard") if r["intent"] == "help")
    resumed = next(r["t"] for r in of_type(records, "heard") if r["intent"] == "resume")
    assert not [r for r in of_type(records, "countdown") if asked < r["t"] < resumed], "no count while held"
    assert replies_to(records, "what can I say") == list(content.help["paused"])
    assert of_type(records, "countdown")[-1]["step"] == "done"


def test_worse_pain_after_a_stretch_drops_the_remaining_stretches(scripted, content):
    records = scripted(*ALL_NO, "next", "start", "/wait 300", "that made the pain worse", "next", "start",
                       "let's do the pelvic tilt", "next")
    assert of_type(records, "stretches_dropped")
    assert len(of_type(records, "countdown_started")) == 1
    visited = [r["step"] for r in of_type(records, "step")]
    assert "pelvic_tilt" not in visited and "massage" in visited
    assert content.session["stretches_dropped"][0] in says(records)


def test_i_cant_do_this_one_skips_only_this_stretch(scripted):
    records = scripted(*ALL_NO, "next", "start", "/wait 4", "I can't do this one", "next", "start", "/wait 200")
    assert not of_type(records, "stretches_dropped")
    assert [r["stretch"] for r in of_type(records, "countdown_started")] == ["knee_to_chest", "pelvic_tilt"]


# ---------------------------------------------------------------- no dead ends
def test_cancel_alone_cancels_the_running_timer_and_keeps_the_session(scripted):
    records = scripted(*ALL_NO, "start the ice timer", "cancel", "/wait 1200")
    assert [r["name"] for r in of_type(records, "timer_cancelled")] == ["ice"]
    assert not of_type(records, "session_ended")
    assert not of_type(records, "timer_expired")


def test_cancel_with_several_timers_asks_which(scripted):
    records = scripted(*ALL_NO, "start the ice timer", "set a timer for ten minutes", "cancel",
                       "cancel the ten minute timer", "/wait 1200")
    cancelled = of_type(records, "timer_cancelled")
    assert [r["seconds"] for r in cancelled] == [600]
    asked = replies_to(records, "cancel")
    assert len(asked) == 3, "which one, then one line per timer"
    assert [r["name"] for r in of_type(records, "timer_expired")] == ["ice"]


@pytest.mark.parametrize("said, label", [("stop the ice timer", "ice"), ("cancel the heat timer", "heat")])
def test_stopping_a_pack_timer_that_is_not_running_says_how_to_start_one(scripted, content, said, label):
    """A British "start the ice timer" can be heard as "stop the ice timer": the words it offers
    instead start that timer, and hold no "start" to be heard as "stop" again."""
    reply = content.timers.lines["not_running_to_start"].format(label=label)
    offered = reply.split(", say ", 1)[1].rstrip(".")
    records = scripted(*ALL_NO, said, "/wait 5", offered, "/wait 5")
    assert replies_to(records, said) == [reply]
    assert not of_type(records, "timer_cancelled")
    assert "start" not in offered.split()
    assert [r["name"] for r in of_type(records, "timer_started")] == [label]


def test_stopping_a_timer_by_length_that_is_not_running_says_none_is(scripted, content):
    records = scripted(*ALL_NO, "start the ice timer", "cancel the ten minute timer", "/wait 5")
    assert replies_to(records, "cancel the ten minute timer") == [content.timers.lines["none_running"]]
    assert not of_type(records, "timer_cancelled")


def test_stop_ends_the_countdown_first_and_a_second_stop_ends_the_session(scripted, content):
    records = scripted(*ALL_NO, "next", "start", "/wait 5", "stop", "stop")
    assert [r["reason"] for r in of_type(records, "countdown_stopped")] == ["stop"]
    assert len(of_type(records, "session_ended")) == 1
    assert content.session["safety_net"][0] in says(records)


def test_stop_during_an_alert_only_silences_it(scripted):
    records = scripted(*ALL_NO, "set a timer for one minute", "/wait 61", "stop", "/wait 300")
    assert of_type(records, "alert_acknowledged")
    assert len([r for r in of_type(records, "say") if r["kind"] == "alert"]) == 1
    assert not of_type(records, "session_ended")


@pytest.mark.parametrize("acknowledgement", ["okay", "done", "it's off", "thanks", "got it"])
def test_acknowledging_an_alert_never_moves_a_step(scripted, acknowledgement):
    records = scripted(*ALL_NO, "start the ice timer", "/wait 900", acknowledgement, "/wait 300")
    assert of_type(records, "alert_acknowledged")
    assert not of_type(records, "step"), "still on the first step"
    assert len([r for r in of_type(records, "say") if r["kind"] == "alert"]) == 1


@pytest.mark.parametrize(("before", "heard"), [([], "go on"), ([], "go back"), (["next"], "start")])
def test_a_step_command_during_an_alert_only_silences_it(scripted, before, heard):
    """Some voices' "done" is heard as "go on" or "back": said to an alert, nothing moves. Said
    again once the alert is quiet, it does."""
    records = scripted(*ALL_NO, *before, "start the ice timer", "/wait 900", heard, "/wait 30")
    assert of_type(records, "alert_acknowledged")
    assert [r["t"] for r in of_type(records, "step") if r["t"] >= 900] == [], "the step stays"
    assert not of_type(records, "countdown_started"), "no stretch starts"
    assert len([r for r in of_type(records, "say") if r["kind"] == "alert"]) == 1
    again = scripted(*ALL_NO, *before, "start the ice timer", "/wait 900", "okay", heard, "/wait 30")
    assert [r for r in of_type(again, "step") if r["t"] >= 900] or of_type(again, "countdown_started"), \
        "after the alert, the same command moves"


@pytest.mark.parametrize("reply", ["okay", "got it", "done"])
def test_okay_to_a_stretch_step_does_not_skip_it(scripted, reply):
    records = scripted(*ALL_NO, "next", reply, "ready", "/wait 200")
    assert [r["step"] for r in of_type(records, "step")] == ["knee_to_chest"]
    assert [r["stretch"] for r in of_type(records, "countdown_started")] == ["knee_to_chest"]


def test_timers_answer_after_the_session_has_ended(scripted, content):
    records = scripted(*ALL_NO, "start the heat timer", "goodbye", "how much time is left", "what can I say",
                       "/wait 1200", "it's off", "/wait 300")
    assert of_type(records, "state")[-1]["state"] == "idle"
    assert any("heat" in text for text in replies_to(records, "how much time is left"))
    help_lines = list(content.help["idle"])
    assert replies_to(records, "what can I say")[: len(help_lines)] == help_lines
    assert of_type(records, "alert_acknowledged")
    assert content.session["timers_keep_running"][0] in says(records)


# ---------------------------------------------------------------- emergencies
def test_asked_to_call_someone_it_says_plainly_it_cannot_and_what_to_do(scripted, content):
    records = scripted(START, "yes", "call my husband", "goodbye")
    assert replies_to(records, "call my husband") == list(content.session["call_for_help"])
    goodbye = replies_to(records, "goodbye")
    assert goodbye[: len(content.session["goodbye_emergency"])] == list(content.session["goodbye_emergency"])
    assert not any("take it slowly" in line.lower() for line in says(records))


def test_the_words_offered_in_an_emergency_do_what_they_say(scripted, content):
    """"To hear this again, say: one more time" repeats what to do; "say bye" ends with the
    emergency goodbye (the offered words: tests/fixtures/offered_phrases.yaml)."""
    records = scripted(START, "yes", "one more time", "bye")
    message = replies_to(records, "yes")
    assert any("one more time" in line for line in message)
    assert replies_to(records, "one more time") == message
    goodbye = replies_to(records, "bye")
    assert goodbye[: len(content.session["goodbye_emergency"])] == list(content.session["goodbye_emergency"])


def test_the_words_offered_in_the_questions_and_a_pause_do_what_they_say(scripted, content):
    questions = scripted(START, "what can I say", "repeat the question")
    question = replies_to(questions, "repeat the question")
    assert question and replies_to(questions, START)[-len(question):] == question, "the question, asked again"
    assert any("repeat the question" in line for line in replies_to(questions, "what can I say"))
    count = scripted(*ALL_NO, "next", "start", "/wait 6", "wait", "/wait 100", "let's keep going", "/wait 300")
    assert any("let's keep going" in line for line in replies_to(count, "wait"))
    paused = next(r["t"] for r in of_type(count, "heard") if r["intent"] == "pause")
    resumed = next(r["t"] for r in of_type(count, "heard") if r["intent"] == "resume")
    assert not [r for r in of_type(count, "countdown") if paused < r["t"] < resumed], "no count while paused"
    assert of_type(count, "countdown")[-1]["step"] == "done", "the stretch carried on to its end"


def test_the_emergency_message_says_why(scripted, content):
    records = scripted(START, "yes")
    assert content.triage.flags[0].reason in says(records)


def test_a_new_session_soon_after_an_emergency_starts_with_a_reminder(scripted, content, tmp_path):
    scripted(START, "yes", "goodbye")
    records = scripted(START)
    reminder = content.session["emergency_reminder"]
    assert replies_to(records, START)[: len(reminder)] == list(reminder)
    assert of_type(records, "emergency_reminder")


def test_no_reminder_once_the_emergency_is_hours_old(scripted, content, tmp_path):
    scripted(START, "yes", "goodbye")
    journal = tmp_path / "journal"
    for path in journal.glob("session-*.jsonl"):
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        for record in lines:
            record["wall"] = "2000-01-01T00:00:00"
        path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
    records = scripted(START)
    assert not of_type(records, "emergency_reminder")


# ---------------------------------------------------------------- endings and quiet
@pytest.mark.parametrize("answers, goodbye", [
    (["no"] * 6, "goodbye_self_care"),
    (["no", "yes", "no", "no", "no", "no"], "goodbye_see_doctor"),
    (["no"], "stopped_before_triage"),
])
def test_every_ending_has_the_safety_net(scripted, content, answers, goodbye):
    records = scripted(START, *answers, "I'm done")
    ending = replies_to(records, "I'm done")
    assert ending[: len(content.session[goodbye])] == list(content.session[goodbye])
    assert all(line in ending for line in content.session["safety_net"])
    assert of_type(records, "session_ended")


def test_see_a_doctor_ending_reminds_them_to_book_the_visit(scripted, content):
    records = scripted(START, "no", "yes", "no", "no", "no", "no", "goodbye")
    assert content.session["goodbye_see_doctor"][-1] in replies_to(records, "goodbye")


def test_no_reprompt_while_resting_with_a_timer(scripted):
    records = scripted(*ALL_NO, "start the ice timer", "/wait 600")
    assert not of_type(records, "silence")


def test_ice_and_heat_take_a_duration_capped_at_the_contact_limit(scripted, content):
    records = scripted(*ALL_NO, "heat for fifteen minutes", "ice for thirty minutes")
    started = {r["name"]: r["seconds"] for r in of_type(records, "timer_started")}
    cap = content.timers.cap_minutes * 60
    assert started == {"heat": 900, "ice": cap}
    assert content.timers.lines["capped"].format(minutes=content.timers.cap_minutes) in says(records)


def test_a_second_custom_timer_runs_alongside_the_first(scripted):
    records = scripted(*ALL_NO, "set a timer for ten minutes", "set a timer for twenty five minutes", "/wait 1600")
    assert not of_type(records, "timer_cancelled")
    expired = sorted(r["seconds"] for r in of_type(records, "timer_expired"))
    assert expired == [600, 1500]


@pytest.mark.parametrize("phrase", ["I think I threw my back out", "I've done my back in", "ow, my back",
                                    "my back just locked up", "I need help with my back"])
def test_natural_ways_of_asking_for_help_start_a_session(scripted, phrase):
    records = scripted(phrase)
    assert of_type(records, "session_started")
