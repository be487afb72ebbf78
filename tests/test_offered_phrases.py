"""What the assistant tells the person to say is what its grammar understands, where it is said
(tests/fixtures/offered_phrases.yaml)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

import pytest

from voice_assistant.content import packaged_content_dir
from voice_assistant.datafile import load_yaml

OFFERED = load_yaml(Path(__file__).parent / "fixtures" / "offered_phrases.yaml")["offered"]


def strings(value: Any) -> Iterator[str]:
    """Every string in a loaded YAML document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def offers(line: str, phrase: str) -> bool:
    """Whether ``line`` tells the person to say (or ask) something, ``phrase`` among it."""
    return (re.search(r"\b(say|ask)\b", line, re.IGNORECASE) is not None
            and re.search(rf"\b{re.escape(phrase)}\b", line, re.IGNORECASE) is not None)


@pytest.mark.parametrize("entry", OFFERED, ids=lambda e: f"{e['file']}:{e['context']}:{e['phrase']}")
def test_every_offered_phrase_is_offered_and_means_what_it_should(grammar, entry):
    lines = list(strings(load_yaml(packaged_content_dir() / entry["file"])))
    assert any(offers(line, entry["phrase"]) for line in lines), f"{entry['file']} does not offer it"
    match = grammar.match(entry["phrase"], entry["context"])
    assert match is not None and match.intent == entry["intent"], match


def test_every_line_that_says_how_to_begin_offers_the_same_words(content):
    """The welcome, the idle help, the screen and the goodbye all say what to say to begin."""
    telling = [content.session["live_welcome"][-1], content.session["session_ended"][-1], content.help["idle"][0],
               content.screen.waiting]
    starts = {entry["phrase"] for entry in OFFERED if entry["intent"] == "start_guidance"}
    assert len(starts) == 1
    assert all(offers(line, next(iter(starts))) for line in telling), telling
