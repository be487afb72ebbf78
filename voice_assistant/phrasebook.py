"""The phrase corpus (``grammars/phrases.yaml``): how people talk, and what it must mean.

Each group names a context, the intent its sentences must mean there (``nothing`` for
phrasings that must not be taken as any command) and, optionally, the slots they fill.
``voice-assistant check`` and the tests run every sentence through the grammar.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from voice_assistant.datafile import DataFileError, load_yaml
from voice_assistant.files import check_inside
from voice_assistant.grammar import Grammar
from voice_assistant.names import Intent

PHRASES_FILE = "phrases.yaml"
NOTHING = "nothing"
"""The intent of a phrasing that must mean nothing in its context."""


@dataclass(frozen=True)
class Phrase:
    """One sentence and what it must mean in one context."""

    where: str
    context: str
    text: str
    intent: str | None
    slots: Mapping[str, Any] = field(default_factory=dict)


def load_phrases(directory: Path) -> list[Phrase]:
    """Every phrasing of ``directory/phrases.yaml``, validated (one-line errors)."""
    path = directory / PHRASES_FILE
    check_inside(path, directory)
    document = load_yaml(path)
    if not isinstance(document, dict) or set(document) != {"phrases"} or not isinstance(document["phrases"], list):
        raise DataFileError(f"{path}: expected a mapping with one key, 'phrases', holding a list of groups")
    phrases = []
    for index, group in enumerate(document["phrases"]):
        where = f"{path}: phrases[{index}]"
        if not isinstance(group, dict):
            raise DataFileError(f"{where}: expected a mapping with context, intent and sentences")
        unknown = set(group) - {"context", "intent", "slots", "sentences"}
        if unknown:
            raise DataFileError(f"{where}: unknown key '{sorted(unknown)[0]}'")
        context, intent = group.get("context"), group.get("intent")
        if not isinstance(context, str) or not context:
            raise DataFileError(f"{where}: missing context")
        if intent != NOTHING and intent not in Intent.values():
            raise DataFileError(f"{where}: intent must be one of the intents or '{NOTHING}' (got {intent!r})")
        slots = group.get("slots", {})
        if not isinstance(slots, dict) or (slots and intent == NOTHING):
            raise DataFileError(f"{where}: slots must be a mapping, and only with an intent")
        sentences = group.get("sentences")
        if not isinstance(sentences, list) or not sentences or not all(isinstance(s, str) and s.strip() for s in sentences):
            raise DataFileError(f"{where}: sentences must be a list of quoted sentences")
        for sentence in sentences:
            phrases.append(Phrase(where, context, sentence, None if intent == NOTHING else intent, dict(slots)))
    return phrases


def phrase_problems(grammar: Grammar, phrases: list[Phrase]) -> list[str]:
    """One line for every phrasing the grammar does not understand as it should."""
    problems = []
    for phrase in phrases:
        if phrase.context not in grammar.contexts:
            problems.append(f"{phrase.where}: unknown context '{phrase.context}'")
            continue
        match = grammar.match(phrase.text, phrase.context)
        got = match.intent if match else None
        got_slots = {key: match.slots.get(key) for key in phrase.slots} if match else {}
        if got != phrase.intent or got_slots != dict(phrase.slots):
            wanted = phrase.intent or NOTHING
            heard = f"{got or NOTHING}{' ' + str(match.slots) if match and match.slots else ''}"
            slots = f" {dict(phrase.slots)}" if phrase.slots else ""
            problems.append(f"{phrase.where}: '{phrase.text}' in {phrase.context} should mean {wanted}{slots}, "
                            f"but means {heard}")
    return problems
