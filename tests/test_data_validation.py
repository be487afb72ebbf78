"""Broken content and grammars give one-line errors naming the file and key."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from voice_assistant.check import run_check
from voice_assistant.cli import main
from voice_assistant.content import load_content
from voice_assistant.datafile import DataFileError, load_yaml
from voice_assistant.grammar import load_grammar


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def one_line_error(callable_, *args) -> str:
    with pytest.raises(DataFileError) as caught:
        callable_(*args)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    "text, expected",
    [
        ("a: 1\na: 2\n", "duplicate key 'a'"),
        ("a:\n\t- b\n", "line 2"),
        ("base: &x [1, 2]\nmore: *x\n", "anchors and aliases"),
        ("x: !!python/object/apply:os.system ['echo hacked']\n", "could not determine a constructor"),
        ("a: [1, 2\n", "line"),
        ("- " * 5000 + "x\n", "nested too deeply"),
    ],
)
def test_yaml_hazards_are_refused(tmp_path, text, expected):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    message = one_line_error(load_yaml, path)
    assert str(path) in message and expected in message


def test_huge_and_binary_and_missing_files(tmp_path):
    huge = tmp_path / "huge.yaml"
    huge.write_text("a: " + "x" * 2_000_000, encoding="utf-8")
    assert "too large" in one_line_error(load_yaml, huge)
    binary = tmp_path / "binary.yaml"
    binary.write_bytes(b"\xff\xfe\x00junk")
    assert "not UTF-8" in one_line_error(load_yaml, binary)
    assert "not found" in one_line_error(load_yaml, tmp_path / "missing.yaml")
    assert "folder" in one_line_error(load_yaml, tmp_path)


@pytest.mark.parametrize(
    "file, old, new, expected",
    [
        ("triage.yaml", "    reason: \"The spasm started after an injury.\"\n", "", "flags[1]: missing key 'reason'"),
        ("triage.yaml", "  - id: trauma\n", "  - id: trama\n", "unknown red flag 'trama'"),
        ("triage.yaml", "    disposition: see_doctor\n    question:\n      - \"Do you have any new numbness", "    disposition: maybe\n    question:\n      - \"Do you have any new numbness", "flags[2].disposition"),
        ("stretches.yaml", "hold_seconds: 5", "hold_seconds: five", "hold_seconds: expected a whole number"),
        ("guidance.yaml", "stretch: pelvic_tilt", "stretch: cobra", "unknown stretch 'cobra'"),
        ("timers.yaml", "minutes: 15", "minutes: 45", "presets.ice.minutes: must be between 1 and 20"),
        ("session.yaml", "\"Paused. When you're ready, say: let's keep going.\"", "\"Paused {name}.\"", "unknown placeholder {name}"),
        ("info.yaml", "causes:", "cause:", "missing key 'causes'"),
        ("info.yaml", "help:\n", "hints: []\nhelp:\n", "unknown key 'hints'"),
    ],
)
def test_content_mistakes_name_file_and_key(data_copy, file, old, new, expected):
    content_dir, _ = data_copy
    edit(content_dir / file, old, new)
    message = one_line_error(load_content, content_dir)
    assert file in message and expected in message


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("  previous:\n", "  previously:\n", "intents.previously: unknown intent"),
        ('          - "(go back|back|previous', '          - "(go back|back|previous(', "bad template"),
        ("  help:\n    data:\n", "  help:\n    data: []\n  _help_sentences_now_unused:\n    data:\n",
         "intents.help: has no sentences"),
    ],
)
def test_grammar_mistakes_name_the_file(data_copy, old, new, expected):
    _, grammars_dir = data_copy
    edit(grammars_dir / "intents.yaml", old, new)
    message = one_line_error(load_grammar, grammars_dir)
    assert "intents.yaml" in message and expected in message


def test_check_passes_on_shipped_data(capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 1 and out[0].startswith("ok:")


def test_the_installed_package_finds_its_own_data(tmp_path):
    """Run from elsewhere, so a non-editable install must find content and grammars inside itself."""
    result = subprocess.run([sys.executable, "-m", "voice_assistant", "check"], cwd=tmp_path,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok:")


def test_check_reports_a_sentence_claimed_by_two_intents(data_copy):
    _, grammars_dir = data_copy
    edit(grammars_dir / "intents.yaml", '"(next|next step|', '"(next|help|next step|')
    problems, summary = run_check(None, grammars_dir)
    assert any("'help' is claimed by both" in p for p in problems)
    assert "1 problem" in summary or "problem" in summary


def test_check_reports_a_missing_dialog_intent_and_unknown_word(data_copy):
    _, grammars_dir = data_copy
    edit(grammars_dir / "contexts.yaml", "countdown: [next, ", "countdown: [")
    edit(grammars_dir / "intents.yaml", '"(help|help me|', '"(help|help me|flibbertigibbet|')
    code = subprocess.run([sys.executable, "-m", "voice_assistant", "check", "--grammars", str(grammars_dir)],
                          capture_output=True, text=True)
    assert code.returncode == 1
    assert "contexts.countdown: the dialog listens for 'next'" in code.stdout
    assert "'flibbertigibbet' is not in the pocketsphinx dictionary" in code.stdout
    assert "Traceback" not in code.stderr


def test_check_fails_in_one_line_on_broken_yaml(data_copy):
    content_dir, _ = data_copy
    (content_dir / "timers.yaml").write_text("cap_minutes: [20\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "voice_assistant", "check", "--content", str(content_dir)],
                            capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout.count("\n") == 1 and "timers.yaml" in result.stdout
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "script, expected",
    [
        (b"my back is spasming\n/jump 5\n", "session.txt:2: unknown command '/jump'"),
        (b"/wait soon\n", "/wait needs a number"),
        (b"/wait -5\n", "/wait must be between"),
        (b"hello\n\xff\xfe\x00\x01binary\n", "session.txt:2: not UTF-8"),
        (b"hello\x00there\n", "control characters"),
    ],
)
def test_malformed_script_is_one_line_and_non_zero(tmp_path, script, expected):
    path = tmp_path / "session.txt"
    path.write_bytes(script)
    result = subprocess.run([sys.executable, "-m", "voice_assistant", "run", "--script", str(path),
                             "--journal", str(tmp_path / "j")], capture_output=True, text=True)
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0 and expected in result.stderr
    assert "Traceback" not in result.stderr


def test_malformed_content_dir_for_run_is_one_line(tmp_path, data_copy):
    content_dir, _ = data_copy
    (content_dir / "triage.yaml").write_text("flags: {a: 1\n", encoding="utf-8")
    script = tmp_path / "s.txt"
    script.write_text("my back is spasming\n")
    for bad in (content_dir, tmp_path / "nowhere"):
        result = subprocess.run([sys.executable, "-m", "voice_assistant", "run", "--script", str(script),
                                 "--content", str(bad), "--journal", str(tmp_path / "j")],
                                capture_output=True, text=True)
        assert result.returncode != 0
        assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ('yes_no: {"no": 0.95,', "yes_no: {no: 0.95,", "'False' is not heard in that context (quote yes and no"),
        ('yes_no: {"no": 0.95,', 'yes_no: {"no": 1.5,', "cautious.yes_no.no: expected a confidence between 0 and 1"),
        ('yes_no: {"no": 0.95,', 'yes_no: {"no": "high",', "cautious.yes_no.no: expected a confidence between 0 and 1"),
        ('yes_no: {"no": 0.95, deny_symptom: 0.9, cancel_timer: 0.95}', 'yes_no: ["no"]', "cautious.yes_no: expected a known context with a mapping"),
        ("idle: {start_guidance: 0.95,", "idle: {next: 0.9,", "cautious.idle: 'next' is not heard in that context"),
    ],
)
def test_a_cautious_intent_needs_a_known_intent_and_a_confidence(data_copy, old, new, expected):
    _, grammars_dir = data_copy
    edit(grammars_dir / "contexts.yaml", old, new)
    assert expected in one_line_error(load_grammar, grammars_dir)


@pytest.mark.parametrize("new", ["stop_first: [counting]", "stop_first: countdown"])
def test_stop_first_names_known_contexts(data_copy, new):
    _, grammars_dir = data_copy
    edit(grammars_dir / "contexts.yaml", "stop_first: [countdown]", new)
    assert "stop_first: expected a list of known contexts" in one_line_error(load_grammar, grammars_dir)


def test_a_stop_comes_first_only_in_the_contexts_that_say_so(data_copy):
    _, grammars_dir = data_copy
    grammar = load_grammar(grammars_dir)
    assert {c for c in grammar.contexts if grammar.phrases(c).stop_first} == {"countdown"}
    edit(grammars_dir / "contexts.yaml", "stop_first: [countdown]", "stop_first: [countdown, guidance]")
    grammar = load_grammar(grammars_dir)
    assert {c for c in grammar.contexts if grammar.phrases(c).stop_first} == {"countdown", "guidance"}


def test_the_cautious_intents_and_their_least_confidence_reach_the_recognizer(data_copy):
    _, grammars_dir = data_copy
    edit(grammars_dir / "contexts.yaml", "idle: {start_guidance: 0.95,", "idle: {start_guidance: 0.97,")
    grammar = load_grammar(grammars_dir)
    written = load_yaml(grammars_dir / "contexts.yaml")["cautious"]
    assert grammar.phrases("idle").cautious["start_guidance"] == 0.97
    for context in grammar.contexts:
        assert grammar.phrases(context).cautious == written.get(context, {})
    assert all("cancel_timer" in grammar.phrases(context).cautious for context in grammar.contexts)


def test_a_cautious_answer_is_searched_again_against_every_other_sentence_of_its_context(grammar):
    """The rival check's sentences: decoys and every intent the context is not cautious about."""
    harmless = grammar.phrases("yes_no").harmless
    assert not {"no", "no fever", "i can feel my legs fine", "stop the ice timer"} & harmless.keys()
    assert {"yes", "help", "i can't feel my legs", "not sure"} <= harmless.keys()
    assert harmless["not sure"].startswith("_")
