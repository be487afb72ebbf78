"""Validate content and grammars together: what `voice-assistant check` runs."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Sequence

from voice_assistant.content import Content, load_content
from voice_assistant.dialog import LISTENS_FOR
from voice_assistant.errors import UserFacingError
from voice_assistant.grammar import Grammar, conflicts, load_grammar
from voice_assistant.names import Flag, PainKind, TimerKind
from voice_assistant.phrasebook import load_phrases, phrase_problems

SLOT_VALUES = {
    "timer_name": {TimerKind.ICE.value, TimerKind.HEAT.value},
    "flag": set(Flag.values()),
    "pain": set(PainKind.values()),
}
"""What the dialog understands in each slot a grammar list or a sentence fills."""


def cross_check(content: Content, grammar: Grammar) -> list[str]:
    """Problems between what the dialog needs and what the grammars offer."""
    path = grammar.directory / "contexts.yaml"
    problems = []
    for context, needed in LISTENS_FOR.items():
        if context not in grammar.contexts:
            problems.append(f"{path}: context '{context}' is missing")
            continue
        for intent in sorted(needed - set(grammar.contexts[context])):
            problems.append(f"{path}: contexts.{context}: the dialog listens for '{intent}' but it is not listed")
    intents_path = grammar.directory / "intents.yaml"
    for list_name, known in (("stretch", set(content.stretches)), ("timer_name", SLOT_VALUES["timer_name"])):
        for value in sorted(grammar.slot_values(list_name) - known):
            problems.append(f"{intents_path}: lists.{list_name}: '{value}' is not one of {', '.join(sorted(known))}")
    for intent, slot, value in grammar.fixed_slots():
        known = SLOT_VALUES.get(slot)
        if known is not None and str(value) not in known:
            problems.append(f"{intents_path}: intents.{intent}: slot {slot} '{value}' is not one of "
                            f"{', '.join(sorted(known))}")
    return problems


def run_check(
    content_dir: Path | None,
    grammars_dir: Path | None,
    vocabulary_checks: Sequence[Callable[[Grammar], list[str]]] = (),
) -> tuple[list[str], str]:
    """All problems found (one line each) and a one-line summary."""
    problems: list[str] = []
    content = grammar = None
    try:
        content = load_content(content_dir)
    except UserFacingError as error:
        problems.append(str(error))
    try:
        grammar = load_grammar(grammars_dir)
    except UserFacingError as error:
        problems.append(str(error))
    if grammar is not None:
        try:
            problems.extend(conflicts(grammar))
            for check in vocabulary_checks:
                problems.extend(check(grammar))
            problems.extend(phrase_problems(grammar, load_phrases(grammar.directory)))
        except UserFacingError as error:
            problems.append(str(error))
    if content is not None and grammar is not None:
        problems.extend(cross_check(content, grammar))
    if problems:
        return problems, f"{len(problems)} problem(s) found"
    sentences = sum(len(grammar.sentences(c)) for c in grammar.contexts)  # type: ignore[union-attr]
    phrases = len(load_phrases(grammar.directory))  # type: ignore[union-attr]
    summary = (
        f"ok: {len(content.steps)} steps, {len(content.triage.flags)} red flags, "  # type: ignore[union-attr]
        f"{len(grammar.contexts)} contexts, {sentences} sentences, {phrases} phrasings understood"  # type: ignore[union-attr]
    )
    return [], summary
