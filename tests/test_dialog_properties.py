"""Property-based: random speech, silence and clock jumps never break the safety rules."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voice_assistant.dialog import Dialog
from voice_assistant.events import Heard, Log, Tick
from voice_assistant.names import Intent

SLOTS = st.fixed_dictionaries({}, optional={
    "minutes": st.integers(min_value=-5, max_value=100),
    "stretch": st.sampled_from(["knee_to_chest", "pelvic_tilt", "cobra"]),
    "timer_name": st.sampled_from(["ice", "heat"]),
    "target": st.just("timer"),
})
EVENT = st.one_of(
    st.tuples(st.just("heard"), st.sampled_from(Intent.values() + (None,)), SLOTS),
    st.tuples(st.just("wait"), st.floats(min_value=0, max_value=2000, allow_nan=False)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(events=st.lists(EVENT, max_size=80))
def test_random_sessions_keep_the_safety_rules(content, events):
    dialog = Dialog(content)
    now = 0.0
    logs: list[Log] = []

    def run(event) -> None:
        logs.extend(a for a in dialog.handle(event, now) if isinstance(a, Log))

    for event in [("heard", "start_guidance", {})] + events:
        if event[0] == "heard":
            run(Heard("text", event[1], event[2]))
        else:
            target = now + event[1]
            while (deadline := dialog.next_deadline()) is not None and deadline <= target:
                now = max(now, deadline)
                run(Tick())
            now = target
            run(Tick())

    disposition = None
    for log in logs:
        if log.type == "session_started":
            disposition = None
        elif log.type == "triage":
            disposition = log.data["disposition"]
        elif log.type in ("countdown_started", "countdown"):
            assert disposition == "self_care", "stretches only after a completed self-care triage"
        elif log.type == "step":
            assert disposition in ("self_care", "see_doctor"), "no steps before triage or after an emergency"
            step = next(s for s in content.steps if s.id == log.data["step"])
            assert disposition in step.audience

    started: dict[str, int] = {}
    for log in logs:
        name = log.data.get("name")
        if log.type == "timer_started":
            started[name] = started.get(name, 0) + 1
        elif log.type in ("timer_cancelled", "timer_expired"):
            started[name] -= 1
    running = {t.name for t in dialog.timers.running}
    for name, open_count in started.items():
        assert open_count == (1 if name in running else 0), (name, open_count, running)
