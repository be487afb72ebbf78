"""The journal for a doctor: a summary per session in content's words, and a printable page."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice_assistant.cli import main
from voice_assistant.content import load_content
from voice_assistant.journal import recent_sessions
from voice_assistant.names import Flag
from voice_assistant.summary import as_html, as_text, summarise

INJURY_SESSION = ["my back is spasming", "no", "yes", "no", "no", "no", "no", "it hurts",
                  "start the ice timer", "goodbye"]
STRETCH_SESSION = ["my back is spasming", *["no"] * 6, "start the heat timer", "next", "next", "ready", "/wait 3",
                   "it hurts", "set a timer for 2 minutes", "/wait 200", "cancel the heat timer", "goodbye"]


@pytest.fixture
def journal(tmp_path: Path, capsys):
    """Run scripted sessions into one journal folder; return the folder."""
    folder = tmp_path / "journal"

    def run(*sessions: list[str]) -> Path:
        for number, lines in enumerate(sessions):
            script = tmp_path / f"session-{number}.txt"
            script.write_text("\n".join(lines) + "\n", encoding="utf-8")
            assert main(["run", "--script", str(script), "--journal", str(folder)]) == 0
        capsys.readouterr()
        return folder

    return run


def journal_text(folder: Path, capsys, *extra: str) -> str:
    assert main(["journal", "--journal", str(folder), *extra]) == 0
    return capsys.readouterr().out


def summary_part(text: str) -> str:
    return text.split("Everything that happened")[0]


def test_the_journal_opens_with_a_summary_in_plain_words(journal, capsys):
    text = journal_text(journal(INJURY_SESSION, STRETCH_SESSION), capsys)
    words = load_content().journal
    first, second = summary_part(text).split("\n\n")[1:3]
    assert f"Outcome: {words.outcomes['see_doctor']}" in first
    assert "Why: The spasm started after an injury." in first
    assert "Started after a fall, accident or other injury: yes" in first
    assert "Lost bladder or bowel control, or numb groin: no" in first
    assert first.count(": no\n") == 5
    assert "Pain reported:" in first and "it hurts" in first
    assert "Timers: ice 15 min, still running at the end" in first

    assert f"Outcome: {words.outcomes['self_care']}" in second and words.no_red_flags in second
    assert "it hurts during the pelvic tilt" in second
    assert "Timers: heat 20 min, cancelled; timer 2 min, ran to the end" in second
    for flag in Flag.values():
        assert flag not in text, "flags are named by their labels, never their ids"


def test_unclear_unanswered_and_volunteered_answers_say_what_they_counted_as(journal, capsys):
    folder = journal(["my back is spasming", "no", "my legs are numb", "banana", "banana", "goodbye"])
    summary = summary_part(journal_text(folder, capsys))
    words = load_content().journal
    assert f"Started after a fall, accident or other injury: {words.answers['unclear']}" in summary
    assert (f"New numbness, tingling or weakness in legs or arms: yes ({words.answers['volunteered']})"
            in summary)
    assert f"Fever, chills or unexplained weight loss: {words.answers['unanswered']}" in summary
    assert f"Pain running down a leg below the knee: {words.answers['not_asked']}" in summary
    assert f"Outcome: {words.outcomes['unfinished']}" in summary
    assert "The spasm started after an injury." in summary, "an unclear answer counts as present"


def test_an_unfinished_session_says_so(journal, capsys):
    summary = summary_part(journal_text(journal(["my back is spasming", "no", "goodbye"]), capsys))
    words = load_content().journal
    assert f"Outcome: {words.outcomes['unfinished']}" in summary
    assert summary.count(words.answers["not_asked"]) == 4
    assert f"Started after a fall, accident or other injury: {words.answers['unanswered']}" in summary


def test_labels_come_from_content(journal, data_copy):
    folder = journal(INJURY_SESSION)
    content_dir, _ = data_copy
    triage = content_dir / "triage.yaml"
    triage.write_text(triage.read_text().replace('label: "Started after a fall, accident or other injury"',
                                                 'label: "Hurt in an accident"'))
    words = content_dir / "journal.yaml"
    words.write_text(words.read_text().replace('see_doctor: "Advised to see a doctor soon"',
                                               'see_doctor: "Doctor within days"'))
    summary = summarise(recent_sessions(folder, 1)[0], load_content(content_dir))
    assert summary.outcome == "Doctor within days"
    assert [line for line in summary.red_flags if line.present][0].label == "Hurt in an accident"


def test_no_sessions_is_one_plain_line(tmp_path, capsys):
    assert journal_text(tmp_path / "empty", capsys) == load_content().journal.no_sessions + "\n"
    assert as_text([], load_content()) == load_content().journal.no_sessions + "\n"


def test_the_page_is_private_and_bad_places_get_one_line(journal, tmp_path, capsys):
    folder = journal(INJURY_SESSION)
    page = tmp_path / "visit.html"
    assert main(["journal", "--journal", str(folder), "--html", str(page)]) == 0
    assert stat.S_IMODE(page.stat().st_mode) == 0o600, "it holds answers about bladder control"
    assert "http" not in page.read_text().replace("file://", ""), "the page needs no network"
    for bad, message in [(tmp_path, "is a folder"), (tmp_path / "missing" / "visit.html", "folder not found")]:
        assert main(["journal", "--journal", str(folder), "--html", str(bad)]) == 2
        error = capsys.readouterr().err
        assert error.count("\n") == 1 and message in error


def chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(chromium() is None, reason="no chromium: apt-get install chromium (scripts/setup --test does)")
def test_the_page_renders_and_prints_in_a_real_browser(journal, tmp_path, capsys):
    folder = journal(INJURY_SESSION, STRETCH_SESSION)
    page = tmp_path / "visit.html"
    assert main(["journal", "--journal", str(folder), "--html", str(page)]) == 0
    browser = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               f"--user-data-dir={tmp_path / 'profile'}"]
    environment = {**os.environ, "HOME": str(tmp_path)}
    dom = subprocess.run([*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True,
                         timeout=120, env=environment, check=True).stdout
    words = load_content().journal
    assert dom.count('<section class="session">') == 2
    assert words.outcomes["see_doctor"] in dom and words.outcomes["self_care"] in dom
    assert dom.count('<tr class="present">') == 1, "only the injury question was answered yes"
    assert "Started after a fall, accident or other injury" in dom
    pdf = tmp_path / "visit.pdf"
    subprocess.run([*browser, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()],
                   capture_output=True, timeout=120, env=environment, check=True)
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
                           | st.sampled_from([*Flag.values(), "yes", "no", "unclear", "ice", "hurts", "self_care"]),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                                        max_size=3), max_leaves=6)
RECORDS = st.lists(st.dictionaries(
    st.sampled_from(["type", "flag", "answer", "disposition", "complete", "kind", "name", "seconds", "stretch",
                     "text", "wall", "volunteered"]),
    JSON_VALUES | st.sampled_from(["answer", "question", "triage", "pain", "timer_started", "timer_expired",
                                   "say", "heard", "2026-11-25T10:00:00"]), max_size=6), max_size=12)


@given(RECORDS)
@settings(max_examples=300, deadline=None)
def test_odd_records_never_break_the_summary(records):
    content = load_content()
    sessions = [[{"type": "session_started", "wall": "2026-11-25T10:00:00"}, *records]]
    assert as_text(sessions, content).startswith(content.journal.title)
    assert "</html>" in as_html(sessions, content, datetime(2026, 11, 25))
