"""Load and validate ``content/*.yaml`` into typed, frozen objects.

Every problem is reported as one line naming the file and the key, for example
``content/triage.yaml: flags[2].question: expected a list of sentences``.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from voice_assistant.datafile import DataFileError, load_yaml
from voice_assistant.files import check_inside
from voice_assistant.names import Answer, Context, Disposition, Flag, PainKind, TimerKind

Lines = tuple[str, ...]

SESSION_KEYS = (
    "live_welcome", "welcome", "comfort", "steps_done", "first_step", "not_understood", "reprompt", "paused",
    "resumed", "goodbye_self_care", "goodbye_see_doctor", "goodbye_emergency", "stopped_before_triage",
    "safety_net", "timers_keep_running", "emergency_reminder", "call_for_help", "back_to_question",
    "pain_stop", "pain_offer", "pain_during_questions", "pain_heard", "stretches_dropped",
    "session_ended", "stretch_not_allowed", "no_stretch_here",
)
VOLUNTEERED_KEYS = ("noted", "advice_changed", "tell_the_doctor")
COUNT_KEYS = (
    "number", "halfway", "release", "rest", "skipped", "stopped", "paused",
    "resumed", "done",
)
TIMER_LINE_KEYS = (
    "time_left_minutes", "time_left_seconds", "paused_left", "none_running", "cancelled",
    "paused", "resumed", "already_running", "out_of_range", "resumed_after_restart",
    "expired_while_down", "capped", "also_running", "which_timer", "cancel_choice", "alert_off",
    "not_running_to_start",
)


@dataclass(frozen=True)
class RedFlag:
    """One red-flag question and what a yes to it means."""

    id: str
    disposition: str
    question: Lines
    reask: Lines
    reason: str
    label: str


@dataclass(frozen=True)
class TriageContent:
    """The safety questions, in the order they are asked, and the outcome messages."""

    intro: Lines
    unclear: Lines
    counted_as_yes: Lines
    to_be_sure: Lines
    silence: Lines
    flags: tuple[RedFlag, ...]
    outcomes: Mapping[str, Lines]
    volunteered: Mapping[str, Lines]
    emergency_reminder_hours: int


@dataclass(frozen=True)
class Step:
    """One relief step, read out in full when reached."""

    id: str
    audience: frozenset[str]
    say: Lines
    stretch: str | None


@dataclass(frozen=True)
class Stretch:
    """A stretch the assistant counts out loud."""

    id: str
    name: str
    hold_seconds: int
    repetitions: int
    rest_seconds: int
    sides: tuple[str, ...]
    start: Lines
    hold: Lines


@dataclass(frozen=True)
class CountingContent:
    """Shared countdown lines and when to count every second."""

    lines: Mapping[str, str]
    count_every_second_up_to: int
    count_last_seconds: int


@dataclass(frozen=True)
class TimerPreset:
    """A named timer: ice, heat, or a custom length."""

    id: str
    label: str
    minutes: int | None
    started: str
    expired: str


@dataclass(frozen=True)
class TimerContent:
    """Timer presets, limits and lines."""

    cap_minutes: int
    custom_min: int
    custom_max: int
    presets: Mapping[str, TimerPreset]
    halfway: str
    one_minute_left: str
    alert_repeat_every_seconds: int
    alert_max_times: int
    lines: Mapping[str, str]


@dataclass(frozen=True)
class JournalContent:
    """The words of the journal summary and the printable page (``content/journal.yaml``)."""

    title: str
    intro: str
    not_medical_advice: str
    no_sessions: str
    headings: Mapping[str, str]
    speakers: Mapping[str, str]
    outcomes: Mapping[str, str]
    no_red_flags: str
    answers: Mapping[str, str]
    pain: Mapping[str, str]
    pain_during: str
    none: str
    timer_minutes: str
    timers: Mapping[str, str]
    timer_endings: Mapping[str, str]


@dataclass(frozen=True)
class ScreenContent:
    """The words of the full-screen view (``content/screen.yaml``)."""

    title: str
    listening: str
    talking: str
    heard: str
    heard_line: str
    not_understood: str
    nothing_heard: str
    timers: str
    no_timers: str
    paused: str
    type_here: str
    waiting: str


JOURNAL_HEADINGS = ("outcome", "why", "red_flags", "pain", "timers", "details")
UNFINISHED = "unfinished"
VOLUNTEERED = "volunteered"
NOT_ASKED = "not_asked"
TIMER_ENDINGS = ("expired", "cancelled", "running")


@dataclass(frozen=True)
class Content:
    """Everything the assistant can say, validated."""

    session: Mapping[str, Lines]
    triage: TriageContent
    steps: tuple[Step, ...]
    stretches: Mapping[str, Stretch]
    counting: CountingContent
    timers: TimerContent
    info: Mapping[str, Lines]
    help: Mapping[str, Lines]
    journal: JournalContent
    screen: ScreenContent


def packaged_content_dir() -> Path:
    """The content shipped with the package (or the checkout's ``content/``)."""
    checkout = Path(__file__).resolve().parent.parent / "content"
    if checkout.is_dir():
        return checkout
    return Path(__file__).resolve().parent / "data" / "content"


class _Node:
    """A value in a YAML file plus where it is, for one-line error messages."""

    def __init__(self, file: Path, where: str, value: Any) -> None:
        self.file, self.where, self.value = file, where, value

    def fail(self, problem: str) -> DataFileError:
        where = f"{self.where}: " if self.where else ""
        return DataFileError(f"{self.file}: {where}{problem}")

    def _child(self, key: str | int) -> "_Node":
        if isinstance(key, int):
            where = f"{self.where}[{key}]"
        else:
            where = f"{self.where}.{key}" if self.where else key
        return _Node(self.file, where, self.value[key])

    def mapping(self, required: tuple[str, ...] = (), optional: tuple[str, ...] = ()) -> "_Node":
        if not isinstance(self.value, dict):
            raise self.fail("expected a mapping of keys")
        for key in required:
            if key not in self.value:
                raise self.fail(f"missing key '{key}'")
        if required or optional:
            for key in self.value:
                if key not in required and key not in optional:
                    raise self.fail(f"unknown key '{key}'")
        return self

    def get(self, key: str) -> "_Node":
        self.mapping()
        if key not in self.value:
            raise self.fail(f"missing key '{key}'")
        return self._child(key)

    def items(self) -> list[tuple[str, "_Node"]]:
        self.mapping()
        return [(str(key), self._child(key)) for key in self.value]

    def elements(self) -> list["_Node"]:
        if not isinstance(self.value, list):
            raise self.fail("expected a list")
        return [self._child(index) for index in range(len(self.value))]

    def text(self, placeholders: tuple[str, ...] = ()) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.fail("expected a sentence in quotes")
        if any(ord(ch) < 32 or 0x7f <= ord(ch) < 0xa0 for ch in self.value):
            raise self.fail("control characters in the sentence")
        try:
            parts = [(name, spec, conversion) for _, name, spec, conversion in string.Formatter().parse(self.value)
                     if name is not None]
        except ValueError:
            raise self.fail("unbalanced { or } in the sentence") from None
        for name, spec, conversion in parts:
            if not name or spec or conversion:
                raise self.fail("a placeholder is just a name in braces, like {minutes}")
        fields = [name for name, _, _ in parts]
        for name in fields:
            if name not in placeholders:
                allowed = ", ".join("{" + p + "}" for p in placeholders) or "none"
                raise self.fail(f"unknown placeholder {{{name}}} (allowed: {allowed})")
        return self.value.strip()

    def lines(self, placeholders: tuple[str, ...] = ()) -> Lines:
        if not isinstance(self.value, list) or not self.value:
            raise self.fail("expected a list of sentences")
        return tuple(node.text(placeholders) for node in self.elements())

    def integer(self, low: int, high: int) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail("expected a whole number")
        if not low <= self.value <= high:
            raise self.fail(f"must be between {low} and {high}")
        return self.value

    def word(self) -> str:
        if not isinstance(self.value, str) or not self.value.strip():
            raise self.fail("expected a name")
        return self.value


def _root(directory: Path, name: str) -> _Node:
    path = directory / name
    check_inside(path, directory)
    return _Node(path, "", load_yaml(path))


def _load_triage(directory: Path) -> TriageContent:
    root = _root(directory, "triage.yaml").mapping(
        ("intro", "unclear", "counted_as_yes", "to_be_sure", "silence", "emergency_reminder_hours", "volunteered",
         "flags", "outcomes")
    )
    flags = []
    for node in root.get("flags").elements():
        node.mapping(("id", "label", "disposition", "question", "reask", "reason"))
        flag_id = node.get("id").word()
        if flag_id not in Flag.values():
            raise node.get("id").fail(f"unknown red flag '{flag_id}'")
        disposition = node.get("disposition").word()
        if disposition not in (Disposition.EMERGENCY, Disposition.SEE_DOCTOR):
            raise node.get("disposition").fail("must be emergency or see_doctor")
        flags.append(
            RedFlag(
                id=flag_id,
                disposition=disposition,
                question=node.get("question").lines(),
                reask=node.get("reask").lines(),
                reason=node.get("reason").text(),
                label=node.get("label").text(),
            )
        )
    order = tuple(flag.id for flag in flags)
    if order != Flag.values():
        raise root.get("flags").fail(
            "must list every red flag once, most dangerous first: " + ", ".join(Flag.values())
        )
    outcomes_node = root.get("outcomes").mapping(Disposition.values())
    outcomes = {
        name: outcomes_node.get(name).lines(("reasons",) if name != Disposition.SELF_CARE else ())
        for name in Disposition.values()
    }
    volunteered_node = root.get("volunteered").mapping(VOLUNTEERED_KEYS)
    volunteered_placeholders = {"advice_changed": ("reasons",), "tell_the_doctor": ("reason",)}
    volunteered = {key: volunteered_node.get(key).lines(volunteered_placeholders.get(key, ()))
                   for key in VOLUNTEERED_KEYS}
    return TriageContent(
        intro=root.get("intro").lines(),
        unclear=root.get("unclear").lines(),
        counted_as_yes=root.get("counted_as_yes").lines(),
        to_be_sure=root.get("to_be_sure").lines(),
        silence=root.get("silence").lines(),
        flags=tuple(flags),
        outcomes=outcomes,
        volunteered=volunteered,
        emergency_reminder_hours=root.get("emergency_reminder_hours").integer(0, 72),
    )


def _load_steps(directory: Path, stretches: Mapping[str, Stretch]) -> tuple[Step, ...]:
    root = _root(directory, "guidance.yaml").mapping(("steps",))
    steps, seen = [], set()
    for node in root.get("steps").elements():
        node.mapping(("id", "for", "say"), ("stretch",))
        step_id = node.get("id").word()
        if step_id in seen:
            raise node.get("id").fail(f"duplicate step id '{step_id}'")
        seen.add(step_id)
        audience = frozenset(item.word() for item in node.get("for").elements())
        for item in node.get("for").elements():
            if item.value not in (Disposition.SELF_CARE, Disposition.SEE_DOCTOR):
                raise item.fail("must be self_care or see_doctor")
        stretch = None
        if "stretch" in node.value:
            stretch = node.get("stretch").word()
            if stretch not in stretches:
                raise node.get("stretch").fail(f"unknown stretch '{stretch}'")
            if "see_doctor" in audience:
                raise node.get("for").fail("a stretch step cannot be given to see_doctor")
        steps.append(Step(step_id, audience, node.get("say").lines(), stretch))
    if not any("self_care" in step.audience for step in steps):
        raise root.get("steps").fail("needs at least one self_care step")
    if not any("see_doctor" in step.audience for step in steps):
        raise root.get("steps").fail("needs at least one see_doctor step")
    return tuple(steps)


def _load_stretches(directory: Path) -> tuple[Mapping[str, Stretch], CountingContent]:
    root = _root(directory, "stretches.yaml").mapping(
        ("count", "count_every_second_up_to", "count_last_seconds", "stretches")
    )
    count_node = root.get("count").mapping(COUNT_KEYS)
    count_placeholders = {"number": ("n",), "done": ("name",)}
    count = {key: count_node.get(key).text(count_placeholders.get(key, ())) for key in COUNT_KEYS}
    stretches = {}
    for stretch_id, node in root.get("stretches").items():
        node.mapping(
            ("name", "hold_seconds", "repetitions", "rest_seconds", "sides", "start", "hold")
        )
        stretches[stretch_id] = Stretch(
            id=stretch_id,
            name=node.get("name").text(),
            hold_seconds=node.get("hold_seconds").integer(1, 120),
            repetitions=node.get("repetitions").integer(1, 30),
            rest_seconds=node.get("rest_seconds").integer(1, 60),
            sides=tuple(side.word() for side in node.get("sides").elements()),
            start=node.get("start").lines(("side",)),
            hold=node.get("hold").lines(("side", "n", "total")),
        )
    counting = CountingContent(
        lines=count,
        count_every_second_up_to=root.get("count_every_second_up_to").integer(1, 120),
        count_last_seconds=root.get("count_last_seconds").integer(1, 30),
    )
    return stretches, counting


def _load_timers(directory: Path) -> TimerContent:
    root = _root(directory, "timers.yaml").mapping(
        (
            "cap_minutes", "custom_minutes", "presets", "halfway", "one_minute_left",
            "alert_repeat_every_seconds", "alert_max_times", "lines",
        )
    )
    cap = root.get("cap_minutes").integer(1, 60)
    custom = root.get("custom_minutes").mapping(("min", "max"))
    custom_min = custom.get("min").integer(1, 600)
    custom_max = custom.get("max").integer(custom_min, 600)
    presets_node = root.get("presets").mapping(TimerKind.values())
    presets = {}
    for preset_id in TimerKind.values():
        node = presets_node.get(preset_id)
        if preset_id == TimerKind.CUSTOM:
            node.mapping(("label", "started", "expired"))
            minutes = None
        else:
            node.mapping(("label", "minutes", "started", "expired"))
            minutes = node.get("minutes").integer(1, cap)
        presets[preset_id] = TimerPreset(
            id=preset_id,
            label=node.get("label").text(("minutes",)),
            minutes=minutes,
            started=node.get("started").text(("minutes",)),
            expired=node.get("expired").text(("minutes",)),
        )
    lines_node = root.get("lines").mapping(TIMER_LINE_KEYS)
    line_placeholders = {
        "time_left_minutes": ("label", "minutes"),
        "time_left_seconds": ("label", "seconds"),
        "paused_left": ("label", "minutes"),
        "none_running": (),
        "out_of_range": ("min", "max"),
        "resumed_after_restart": ("label", "minutes"),
        "capped": ("minutes",),
        "which_timer": ("count",),
        "alert_off": (),
    }
    lines = {
        key: lines_node.get(key).text(line_placeholders.get(key, ("label",)))
        for key in TIMER_LINE_KEYS
    }
    return TimerContent(
        cap_minutes=cap,
        custom_min=custom_min,
        custom_max=custom_max,
        presets=presets,
        halfway=root.get("halfway").text(("label",)),
        one_minute_left=root.get("one_minute_left").text(("label",)),
        alert_repeat_every_seconds=root.get("alert_repeat_every_seconds").integer(5, 600),
        alert_max_times=root.get("alert_max_times").integer(1, 10),
        lines=lines,
    )


def _load_journal(directory: Path) -> JournalContent:
    texts = ("title", "intro", "not_medical_advice", "no_sessions", "no_red_flags", "none")
    labelled = {
        "headings": JOURNAL_HEADINGS,
        "speakers": ("assistant", "person"),
        "outcomes": (*Disposition.values(), UNFINISHED),
        "answers": (*(answer.value for answer in Answer), VOLUNTEERED, NOT_ASKED),
        "pain": PainKind.values(),
        "timers": TimerKind.values(),
        "timer_endings": TIMER_ENDINGS,
    }
    templates = {"pain_during": ("stretch",), "timer_minutes": ("minutes",)}
    root = _root(directory, "journal.yaml").mapping((*texts, *templates, *labelled))

    def labels(key: str) -> dict[str, str]:
        node = root.get(key).mapping(labelled[key])
        return {name: node.get(name).text() for name in labelled[key]}

    return JournalContent(**{key: root.get(key).text() for key in texts},
                          **{key: root.get(key).text(names) for key, names in templates.items()},
                          **{key: labels(key) for key in labelled})


def _load_screen(directory: Path) -> ScreenContent:
    templates = {"heard_line": ("text",)}
    texts = tuple(name for name in ScreenContent.__dataclass_fields__ if name not in templates)
    root = _root(directory, "screen.yaml").mapping((*texts, *templates))
    return ScreenContent(**{key: root.get(key).text() for key in texts},
                         **{key: root.get(key).text(names) for key, names in templates.items()})


def load_content(directory: Path | None = None) -> Content:
    """Load every content file from ``directory`` (default: the packaged content)."""
    directory = directory or packaged_content_dir()
    if not directory.is_dir():
        raise DataFileError(f"{directory}: content folder not found")
    session_node = _root(directory, "session.yaml").mapping(SESSION_KEYS)
    session = {key: session_node.get(key).lines() for key in SESSION_KEYS}
    stretches, counting = _load_stretches(directory)
    info_node = _root(directory, "info.yaml").mapping(
        ("causes", "prevention", "when_to_see_doctor", "help")
    )
    help_node = info_node.get("help").mapping(Context.values())
    return Content(
        session=session,
        triage=_load_triage(directory),
        steps=_load_steps(directory, stretches),
        stretches=stretches,
        counting=counting,
        timers=_load_timers(directory),
        info={key: info_node.get(key).lines() for key in ("causes", "prevention", "when_to_see_doctor")},
        help={key: help_node.get(key).lines() for key in Context.values()},
        journal=_load_journal(directory),
        screen=_load_screen(directory),
    )
