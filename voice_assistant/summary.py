"""Journal sessions for a doctor: a short summary each, the full record, as text or a printable page.

Every word shown comes from ``content/`` (``journal.yaml``, and the flag labels and reasons of
``triage.yaml``); records only supply ids, answers and times.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Iterable

from voice_assistant.content import NOT_ASKED, UNFINISHED, VOLUNTEERED, Content
from voice_assistant.names import Answer, TimerKind


@dataclass(frozen=True)
class FlagLine:
    """One red flag as the summary shows it."""

    label: str
    answer: str
    present: bool


@dataclass(frozen=True)
class SessionSummary:
    """One session in plain words."""

    started: str
    outcome: str
    why: tuple[str, ...]
    red_flags: tuple[FlagLine, ...]
    pain: tuple[str, ...]
    timers: tuple[str, ...]
    details: tuple[str, ...]


def summarise(records: list[dict[str, Any]], content: Content) -> SessionSummary:
    """A session's records (``session_started`` first) in the words of ``content``."""
    words = content.journal
    flags = {flag.id: flag for flag in content.triage.flags}
    answers: dict[str, dict[str, Any]] = {}
    asked: set[str] = set()
    outcome = UNFINISHED
    pain: list[str] = []
    timers: dict[str, list[str]] = {}
    for record in records:
        kind = record.get("type")
        name = str(record.get("name"))
        if kind == "answer" and _text(record, "flag") in flags:
            answers[record["flag"]] = record
        elif kind == "question":
            asked.add(_text(record, "flag"))
        elif kind == "triage" and _text(record, "disposition") in words.outcomes:
            outcome = record["disposition"] if record.get("complete", True) else UNFINISHED
        elif kind == "pain" and _text(record, "kind") in words.pain:
            pain.append(_pain_line(record, content))
        elif kind == "timer_started":
            timers[name] = [_timer_label(record, content), words.timer_endings["running"]]
        elif kind in ("timer_expired", "timer_cancelled") and name in timers:
            timers[name][1] = words.timer_endings[kind.removeprefix("timer_")]
    for flag_id in asked.intersection(flags).difference(answers):
        answers[flag_id] = {"answer": Answer.UNANSWERED.value}
    red_flags = tuple(_flag_line(flags[flag_id].label, answers.get(flag_id), content) for flag_id in flags)
    why = tuple(flags[flag_id].reason for flag_id, record in answers.items() if record.get("answer") != Answer.NO)
    if outcome == "self_care" and not why:
        why = (words.no_red_flags,)
    return SessionSummary(
        started=_date(records[0].get("wall")),
        outcome=words.outcomes[outcome],
        why=why,
        red_flags=red_flags,
        pain=tuple(pain),
        timers=tuple(f"{label}, {ending}" for label, ending in timers.values()),
        details=tuple(line for record in records[1:] for line in _detail_lines(record, content)),
    )


def as_text(sessions: Iterable[list[dict[str, Any]]], content: Content) -> str:
    """Summaries first (one a session), then everything that happened in each."""
    words = content.journal
    summaries = [summarise(records, content) for records in sessions]
    if not summaries:
        return words.no_sessions + "\n"
    out = [words.title, words.intro, ""]
    for summary in summaries:
        out += [summary.started,
                f"  {words.headings['outcome']}: {summary.outcome}",
                f"  {words.headings['why']}: {' '.join(summary.why) or words.none}",
                f"  {words.headings['red_flags']}:"]
        out += [f"    {line.label}: {line.answer}" for line in summary.red_flags]
        out += [f"  {words.headings['pain']}: {'; '.join(summary.pain) or words.none}",
                f"  {words.headings['timers']}: {'; '.join(summary.timers) or words.none}", ""]
    for summary in summaries:
        out += [f"{words.headings['details']}: {summary.started}", *(f"  {line}" for line in summary.details), ""]
    out.append(words.not_medical_advice)
    return "\n".join(out) + "\n"


def as_html(sessions: Iterable[list[dict[str, Any]]], content: Content, made: datetime) -> str:
    """One printable page: the summaries, then the full record of each session in small type."""
    words = content.journal
    summaries = [summarise(records, content) for records in sessions]
    e = html.escape
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(words.title)}</title>",
        f"<style>{_STYLE}</style></head><body>",
        f"<h1>{e(words.title)}</h1>",
        f'<p class="intro">{e(words.intro)} {e(_date(made.isoformat(timespec="seconds")))}</p>',
    ]
    if not summaries:
        parts.append(f"<p>{e(words.no_sessions)}</p>")
    for summary in summaries:
        flag_rows = "".join(
            f'<tr class="{"present" if line.present else "absent"}"><td>{e(line.label)}</td>'
            f"<td>{e(line.answer)}</td></tr>" for line in summary.red_flags)
        parts += [
            '<section class="session">',
            f"<h2>{e(summary.started)}</h2>",
            "<dl>",
            f"<dt>{e(words.headings['outcome'])}</dt><dd class=\"outcome\">{e(summary.outcome)}</dd>",
            f"<dt>{e(words.headings['why'])}</dt><dd>{e(' '.join(summary.why) or words.none)}</dd>",
            f"<dt>{e(words.headings['pain'])}</dt><dd>{e('; '.join(summary.pain) or words.none)}</dd>",
            f"<dt>{e(words.headings['timers'])}</dt><dd>{e('; '.join(summary.timers) or words.none)}</dd>",
            "</dl>",
            f"<h3>{e(words.headings['red_flags'])}</h3>",
            f'<table class="flags">{flag_rows}</table>',
            f"<h3>{e(words.headings['details'])}</h3>",
            '<ol class="details">' + "".join(f"<li>{e(line)}</li>" for line in summary.details) + "</ol>",
            "</section>",
        ]
    parts += [f'<p class="note">{e(words.not_medical_advice)}</p>', "</body></html>"]
    return "\n".join(parts) + "\n"


_STYLE = (
    "body{font-family:sans-serif;max-width:48em;margin:2em auto;line-height:1.4}"
    "h1{font-size:1.6em}h2{font-size:1.25em;border-bottom:1px solid #888}h3{font-size:1em;margin-bottom:.2em}"
    "dl{display:grid;grid-template-columns:max-content 1fr;gap:.2em 1em}dt{font-weight:bold}dd{margin:0}"
    "table.flags{border-collapse:collapse}table.flags td{padding:.1em .8em .1em 0;border-bottom:1px solid #ddd}"
    "tr.present td{font-weight:bold}.details{font-size:.8em;color:#333}.intro,.note{color:#444}"
    "@media print{body{margin:0;max-width:none}.session{break-inside:avoid-page}}"
)


def _flag_line(label: str, record: dict[str, Any] | None, content: Content) -> FlagLine:
    answers = content.journal.answers
    if record is None:
        return FlagLine(label, answers[NOT_ASKED], False)
    answer = str(record.get("answer"))
    words = answers.get(answer, answer)
    if record.get("volunteered"):
        words = f"{words} ({answers[VOLUNTEERED]})"
    return FlagLine(label, words, answer != Answer.NO)


def _pain_line(record: dict[str, Any], content: Content) -> str:
    words = content.journal
    line = f"{_time(record)} {words.pain[record['kind']]}".strip()
    stretch = content.stretches.get(str(record.get("stretch")))
    return f"{line} {words.pain_during.format(stretch=stretch.name)}" if stretch else line


def _timer_label(record: dict[str, Any], content: Content) -> str:
    words = content.journal
    name = str(record.get("name"))
    kind = words.timers.get(str(record.get("kind", name)), words.timers[TimerKind.CUSTOM])
    try:
        minutes = round(float(record.get("seconds", 0)) / 60)
    except (TypeError, ValueError):
        return kind
    return f"{kind} {words.timer_minutes.format(minutes=minutes)}"


def _detail_lines(record: dict[str, Any], content: Content) -> list[str]:
    """One record as a line of the full account (none for records a doctor does not need)."""
    words = content.journal
    kind = record.get("type")
    when = _time(record, seconds=True)
    flags = {flag.id: flag.label for flag in content.triage.flags}
    if kind == "answer" and _text(record, "flag") in flags:
        line = _flag_line(flags[record["flag"]], record, content)
        return [f"{when}  {line.label}: {line.answer}"]
    if kind == "triage" and _text(record, "disposition") in words.outcomes:
        return [f"{when}  {words.headings['outcome']}: {words.outcomes[record['disposition']]}"]
    if kind == "pain" and _text(record, "kind") in words.pain:
        return [f"{when}  {words.headings['pain']}: {_pain_line(record, content).removeprefix(_time(record)).strip()}"]
    if kind == "say" and record.get("kind") != "count":
        return [f"{when}  {words.speakers['assistant']}: {record.get('text')}"]
    if kind == "heard":
        return [f"{when}  {words.speakers['person']}: {record.get('text')}"]
    if kind == "timer_started":
        return [f"{when}  {words.headings['timers']}: {_timer_label(record, content)}"]
    if kind in ("timer_expired", "timer_cancelled"):
        ending = words.timer_endings[kind.removeprefix("timer_")]
        return [f"{when}  {words.headings['timers']}: {_timer_label(record, content)}, {ending}"]
    return []


def _text(record: dict[str, Any], key: str) -> str:
    """A field as text: an odd record (a list where a name belongs) matches nothing, never raises."""
    return str(record.get(key))


def _time(record: dict[str, Any], seconds: bool = False) -> str:
    wall = str(record.get("wall", ""))
    end = 19 if seconds else 16
    return wall[11:end] if len(wall) >= end else ""


def _date(wall: object) -> str:
    try:
        return datetime.fromisoformat(str(wall)).strftime("%A %d %B %Y, %H:%M")
    except ValueError:
        return str(wall)
