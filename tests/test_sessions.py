"""Scripted sessions through the real CLI, as the issue checks them."""

from __future__ import annotations

from conftest import of_type, replies_to

ALL_NO = ["my back is spasming", "nope", "no I haven't", "not really", "nah", "no", "no it hasn't"]


def test_yes_to_bladder_question_is_an_emergency_without_countdown(scripted):
    records = scripted("I'm having a back spasm", "yeah", "start the knee to chest stretch", "next",
                       "start", "/wait 120")
    assert of_type(records, "triage")[0]["disposition"] == "emergency"
    assert not of_type(records, "countdown")
    assert not of_type(records, "countdown_started")


def test_all_no_is_self_care_and_ice_timer_expires_on_time(scripted):
    records = scripted(*ALL_NO, "start the ice timer", "/wait 900")
    assert of_type(records, "triage")[0]["disposition"] == "self_care"
    started = of_type(records, "timer_started")[0]
    expired = of_type(records, "timer_expired")[0]
    assert started["name"] == expired["name"] == "ice"
    assert abs(expired["t"] - started["t"] - 900) < 1.0
    warnings = [(w["warning"], w["t"]) for w in of_type(records, "timer_warning")]
    assert warnings == [("halfway", started["t"] + 450), ("one_minute_left", started["t"] + 840)]


def test_two_unclear_answers_to_first_question_are_an_emergency(scripted):
    records = scripted("help my back is spasming", "maybe", "I'm not sure", "start", "/wait 60")
    assert of_type(records, "triage")[0]["disposition"] == "emergency"
    assert not of_type(records, "countdown")


def test_yes_to_fall_question_is_see_doctor_and_no_stretch_countdown(scripted):
    records = scripted("my back is spasming", "no", "yes I did", "no", "no", "no", "no",
                       "start the knee to chest stretch", "go on", "start", "next", "start",
                       "let's do the pelvic tilt", "/wait 120")
    assert of_type(records, "triage")[0]["disposition"] == "see_doctor"
    assert not of_type(records, "countdown")
    says = [r["text"] for r in of_type(records, "say")]
    assert any("doctor" in text for text in says)


def test_stretch_countdown_counts_and_finishes(scripted, content):
    records = scripted(*ALL_NO, "next", "start", "/wait 200")
    stretch = content.stretches["knee_to_chest"]
    counts = [r for r in of_type(records, "countdown") if r["step"] == "count"]
    assert len(counts) == (stretch.hold_seconds - 1) * stretch.repetitions * len(stretch.sides)
    releases = [r for r in of_type(records, "countdown") if r["step"] == "release"]
    assert len(releases) == stretch.repetitions * len(stretch.sides)
    assert of_type(records, "countdown")[-1]["step"] == "done"
    # the numbers land one second apart within a hold
    first_hold = [r["t"] for r in counts[: stretch.hold_seconds - 1]]
    assert [round(b - a, 3) for a, b in zip(first_hold, first_hold[1:])] == [1.0] * (len(first_hold) - 1)
    assert of_type(records, "state")[-1]["state"] == "guidance"


def test_skip_and_stop_interrupt_a_countdown(scripted):
    records = scripted(*ALL_NO, "next", "start", "/wait 8", "skip", "/wait 30")
    stopped = of_type(records, "countdown_stopped")
    assert stopped and stopped[0]["reason"] == "skip"
    assert not [r for r in of_type(records, "countdown") if r["t"] > stopped[0]["t"]]
    assert of_type(records, "step")[-1]["step"] == "pelvic_tilt"
    records = scripted(*ALL_NO, "next", "start", "/wait 8", "stop", "/wait 30", "next")
    assert of_type(records, "countdown_stopped")[0]["reason"] == "stop"
    assert of_type(records, "state")[-1]["state"] == "guidance", "stop ends the stretch, not the session"


def test_pause_and_resume_a_countdown_shifts_the_rest(scripted):
    records = scripted(*ALL_NO, "next", "start", "/wait 6", "hold on", "/wait 100", "resume", "/wait 300")
    pause_t = next(r["t"] for r in of_type(records, "heard") if r["intent"] == "pause")
    resume_t = next(r["t"] for r in of_type(records, "heard") if r["intent"] == "resume")
    during = [r for r in of_type(records, "countdown") if pause_t < r["t"] < resume_t]
    assert during == []
    assert of_type(records, "countdown")[-1]["step"] == "done"


def test_steps_next_previous_repeat(scripted, content):
    records = scripted(*ALL_NO, "next", "next", "go back", "one more time", "next", "next", "next", "next")
    steps = [r["step"] for r in of_type(records, "step")]
    ids = [s.id for s in content.steps if "self_care" in s.audience]
    assert steps == [ids[1], ids[2], ids[1], ids[2], ids[3], ids[4]]
    says = [r["text"] for r in of_type(records, "say")]
    assert content.session["steps_done"][0] in says


def test_timers_run_alongside_and_can_be_queried_and_cancelled(scripted):
    records = scripted(*ALL_NO, "start the heat timer", "set a timer for twenty minutes", "/wait 60",
                       "how much time is left", "cancel the heat timer", "/wait 1200")
    started = {r["name"]: r for r in of_type(records, "timer_started")}
    assert started["heat"]["seconds"] == 1200 and started["custom"]["seconds"] == 1200
    assert [r["name"] for r in of_type(records, "timer_cancelled")] == ["heat"]
    assert [r["name"] for r in of_type(records, "timer_expired")] == ["custom"]
    reply = replies_to(records, "how much time is left")
    assert len(reply) == 2 and all("19 minutes" in text for text in reply)
    assert "heat" in reply[0] and "20 minute" in reply[1]


def test_expiry_alert_repeats_a_few_times_then_stops(scripted, content):
    records = scripted(*ALL_NO, "set a timer for one minute", "/wait 600")
    alerts = [r for r in of_type(records, "say") if r["kind"] == "alert"]
    assert len(alerts) == content.timers.alert_max_times
    records = scripted(*ALL_NO, "set a timer for one minute", "/wait 61", "stop", "/wait 600")
    assert len([r for r in of_type(records, "say") if r["kind"] == "alert"]) == 1
    assert of_type(records, "state")[-1]["state"] == "guidance", "stop silences the alarm only"


def test_pause_the_timer_and_resume_it(scripted):
    records = scripted(*ALL_NO, "start the ice timer", "/wait 100", "pause the timer", "/wait 500",
                       "resume the ice timer", "/wait 800")
    resumed_t = next(r["t"] for r in of_type(records, "heard") if r["intent"] == "resume")
    expired = of_type(records, "timer_expired")[0]
    assert abs(expired["t"] - (resumed_t + 800)) < 1.0


def test_idle_ignores_chatter_and_never_starts_a_session_from_it(scripted):
    records = scripted("what's the weather", "yes", "next", "no way the game is on", "/wait 100")
    assert [r["state"] for r in of_type(records, "state")] == ["idle"]
    assert not of_type(records, "say")


def test_timers_work_while_idle_without_starting_a_session(scripted):
    records = scripted("start the ice timer", "how much time is left", "cancel", "/wait 1000")
    assert [r["state"] for r in of_type(records, "state")] == ["idle"]
    assert [r["name"] for r in of_type(records, "timer_started")] == ["ice"]
    assert [r["name"] for r in of_type(records, "timer_cancelled")] == ["ice"]
    assert not of_type(records, "timer_expired")


def test_questions_answered_at_any_time(scripted, content):
    records = scripted("my back is spasming", "why does this happen", "no", "how can I prevent this",
                       "when should I see a doctor")
    says = [r["text"] for r in of_type(records, "say")]
    for key in ("causes", "prevention", "when_to_see_doctor"):
        assert content.info[key][0] in says
    assert of_type(records, "answer")[0]["answer"] == "no"


def test_repeated_misses_get_a_hint_not_a_guess(scripted, content):
    records = scripted(*ALL_NO, "purple monkey dishwasher", "banana", "/wait 1")
    says = [r["text"] for r in of_type(records, "say")]
    assert says.count(content.session["not_understood"][0]) == 1
    assert not of_type(records, "step")


def test_long_silence_in_guidance_reprompts_once(scripted, content):
    records = scripted(*ALL_NO, "/wait 3600")
    assert len(of_type(records, "silence")) == 1
    assert content.session["reprompt"][0] in [r["text"] for r in of_type(records, "say")]
