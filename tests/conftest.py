"""Shared fixtures: the packaged data, and a helper that runs scripted sessions."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from voice_assistant.cli import main
from voice_assistant.content import load_content, packaged_content_dir
from voice_assistant.grammar import load_grammar, normalize, packaged_grammars_dir


@pytest.fixture(scope="session")
def content():
    return load_content()


@pytest.fixture(scope="session")
def grammar():
    return load_grammar()


@pytest.fixture
def data_copy(tmp_path: Path) -> tuple[Path, Path]:
    """Editable copies of content/ and grammars/."""
    content_dir = tmp_path / "content"
    grammars_dir = tmp_path / "grammars"
    shutil.copytree(packaged_content_dir(), content_dir)
    shutil.copytree(packaged_grammars_dir(), grammars_dir)
    return content_dir, grammars_dir


@pytest.fixture
def scripted(tmp_path: Path, capsys):
    """Run a script through the real CLI; return its event log records."""

    def run(*lines: str, extra: tuple[str, ...] = ()) -> list[dict]:
        script = tmp_path / "session.txt"
        script.write_text("\n".join(lines) + "\n", encoding="utf-8")
        log = tmp_path / "log.jsonl"
        log.unlink(missing_ok=True)
        code = main(["run", "--script", str(script), "--log", str(log),
                     "--journal", str(tmp_path / "journal"), *extra])
        captured = capsys.readouterr()
        assert code == 0, captured.err
        return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]

    return run


def of_type(records: list[dict], type_: str) -> list[dict]:
    return [r for r in records if r["type"] == type_]


def replies_to(records: list[dict], text: str) -> list[str]:
    """What was said after the user said ``text`` (the first time), until the next thing heard."""
    start = next(i for i, r in enumerate(records) if r["type"] == "heard" and r["text"] == normalize(text))
    out = []
    for record in records[start + 1:]:
        if record["type"] == "heard":
            break
        if record["type"] == "say":
            out.append(record["text"])
    return out
