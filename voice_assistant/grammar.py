"""Load ``grammars/``, expand templates per dialog context, and match text to intents.

The templates are Home Assistant ``hassil`` YAML. This module adds what hassil does not
know about: dialog contexts (which intents can be heard when), decoy intents, strict
validation, and compiling a context to what speech engines need (a phrase list for Vosk,
a minimal word graph for pocketsphinx).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

from hassil import Intents, recognize, sample_expression
from hassil.errors import HassilError
from hassil.parse_expression import parse_sentence
from hassil.parser import ParseError

from voice_assistant.datafile import DataFileError, load_yaml
from voice_assistant.names import Intent

LANGUAGE = "en"
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


@dataclass(frozen=True)
class Match:
    """What an utterance means in a context. ``intent`` is None for a decoy phrase."""

    text: str
    intent: str | None
    slots: Mapping[str, Any] = field(default_factory=dict)


def packaged_grammars_dir() -> Path:
    """The grammars shipped with the package (or the checkout's ``grammars/``)."""
    checkout = Path(__file__).resolve().parent.parent / "grammars"
    if checkout.is_dir():
        return checkout
    return Path(__file__).resolve().parent / "data" / "grammars"


def normalize(text: str) -> str:
    """Lower-case words with apostrophes kept, everything else dropped."""
    text = text.lower().replace("\u2019", "'").replace("-", " ")
    return " ".join(_WORD.findall(text))


def is_decoy(intent: str) -> bool:
    """Decoys soak up phrases that must not become a command."""
    return intent.startswith("_")


class Grammar:
    """All intents and the contexts they can be heard in."""

    def __init__(self, directory: Path, document: dict[str, Any], contexts: dict[str, tuple[str, ...]]):
        self.directory = directory
        self._document = document
        self.contexts: Mapping[str, tuple[str, ...]] = contexts
        self._all = Intents.from_dict(document)
        self._by_context = {name: self._subset(intents) for name, intents in contexts.items()}
        self._sentence_cache: dict[str, list[tuple[str, str]]] = {}
        self.language = str(document.get("language", LANGUAGE))

    def _subset(self, names: Iterable[str]) -> Intents:
        wanted = set(names)
        document = dict(self._document)
        document["intents"] = {k: v for k, v in self._document["intents"].items() if k in wanted}
        return Intents.from_dict(document)

    def slot_values(self, list_name: str) -> set[str]:
        """The values a {list} fills its slot with (empty for ranges or unknown lists)."""
        values = getattr(self._all.slot_lists.get(list_name), "values", None) or []
        return {str(value.value_out) for value in values}

    def fixed_slots(self) -> list[tuple[str, str, Any]]:
        """(intent, slot, value) for every slot a group of sentences fills ("slots:" in intents.yaml)."""
        return [(name, slot, value)
                for name, body in self._document["intents"].items()
                for data in body["data"] if isinstance(data, dict)
                for slot, value in (data.get("slots") or {}).items()]

    def _require(self, context: str) -> Intents:
        if context not in self._by_context:
            known = ", ".join(self._by_context)
            raise DataFileError(f"unknown context '{context}' (known: {known})")
        return self._by_context[context]

    def match(self, text: str, context: str) -> Match | None:
        """The intent and slots ``text`` means in ``context``, or None if it means nothing."""
        intents = self._require(context)
        clean = normalize(text)
        if not clean:
            return None
        result = recognize(clean, intents, language=self.language)
        if result is None:
            return None
        name = result.intent.name
        if is_decoy(name):
            return Match(clean, None, {})
        slots = {key: _slot_value(entity.value) for key, entity in result.entities.items()}
        return Match(clean, name, slots)

    def sentences(self, context: str) -> list[tuple[str, str]]:
        """Every (intent, sentence) a context allows, normalised, spoken numbers as words."""
        if context not in self._sentence_cache:
            intents = self._require(context)
            found: dict[tuple[str, str], None] = {}
            for name, intent in intents.intents.items():
                for data in intent.data:
                    rules = {**intents.expansion_rules, **data.expansion_rules}
                    for sentence in data.sentences:
                        for text in sample_expression(
                            sentence.expression, intents.slot_lists, rules, language=self.language
                        ):
                            if any(ch.isdigit() for ch in text):
                                continue
                            found[(name, normalize(text))] = None
            self._sentence_cache[context] = list(found)
        return self._sentence_cache[context]

    def vocabulary(self, context: str | None = None) -> set[str]:
        """Every word that can be said in a context (or in any context)."""
        contexts = [context] if context else list(self.contexts)
        return {word for ctx in contexts for _, text in self.sentences(ctx) for word in text.split()}

    def word_graph(self, context: str) -> WordGraph:
        """The context's sentences as the smallest word graph (for pocketsphinx)."""
        return minimal_word_graph(text for _, text in self.sentences(context))


@dataclass(frozen=True)
class WordGraph:
    """An acyclic automaton over words: (from, to, word) arcs, ``None`` for an empty step.

    Every path from ``start`` to ``final`` spells one sentence. States reached by the same
    remaining sentences are merged, so a decoder searches each shared ending once.
    """

    start: int
    final: int
    arcs: tuple[tuple[int, int, str | None], ...]

    def sentences(self) -> set[str]:
        """Every sentence the graph spells (for checking it)."""
        outgoing: dict[int, list[tuple[int, str | None]]] = {}
        for source, target, word in self.arcs:
            outgoing.setdefault(source, []).append((target, word))
        found: set[str] = set()
        stack: list[tuple[int, tuple[str, ...]]] = [(self.start, ())]
        while stack:
            state, words = stack.pop()
            if state == self.final:
                found.add(" ".join(words))
            for target, word in outgoing.get(state, []):
                stack.append((target, words + (word,) if word else words))
        return found


def minimal_word_graph(sentences: Iterable[str]) -> WordGraph:
    """Build a word trie of the sentences, then merge states with identical futures."""
    children: list[dict[str, int]] = [{}]
    ends: list[bool] = [False]
    for sentence in sentences:
        node = 0
        for word in sentence.split():
            if word not in children[node]:
                children.append({})
                ends.append(False)
                children[node][word] = len(children) - 1
            node = children[node][word]
        ends[node] = True
    merged: dict[int, int] = {}
    by_future: dict[tuple, int] = {}
    for node in reversed(range(len(children))):  # a child is always numbered after its parent
        future = (ends[node], tuple(sorted((word, merged[child]) for word, child in children[node].items())))
        merged[node] = by_future.setdefault(future, node)
    numbers: dict[int, int] = {}
    for node in sorted(set(merged.values())):
        numbers[node] = len(numbers)
    final = len(numbers)
    arcs: list[tuple[int, int, str | None]] = []
    for node, number in numbers.items():
        arcs.extend((number, numbers[merged[child]], word) for word, child in sorted(children[node].items()))
        if ends[node]:
            arcs.append((number, final, None))
    return WordGraph(numbers[merged[0]], final, tuple(arcs))


def _slot_value(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _validate_document(path: Path, document: Any) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise DataFileError(f"{path}: expected a mapping with 'intents'")
    allowed = {"language", "intents", "lists", "expansion_rules", "skip_words"}
    for key in document:
        if key not in allowed:
            raise DataFileError(f"{path}: unknown key '{key}'")
    intents = document.get("intents")
    if not isinstance(intents, dict) or not intents:
        raise DataFileError(f"{path}: intents: expected a mapping of intent names")
    for name, body in intents.items():
        where = f"{path}: intents.{name}"
        if not isinstance(name, str):
            raise DataFileError(f"{path}: intents: intent name {name!r} must be quoted text")
        if name not in Intent.values() and not is_decoy(name):
            raise DataFileError(f"{where}: unknown intent (known: {', '.join(Intent.values())})")
        if not isinstance(body, dict) or not isinstance(body.get("data"), list) or not body["data"]:
            raise DataFileError(f"{where}: has no sentences (expected data: - sentences: [...])")
        for index, data in enumerate(body["data"]):
            sentences = data.get("sentences") if isinstance(data, dict) else None
            if not isinstance(sentences, list) or not sentences:
                raise DataFileError(f"{where}.data[{index}]: has no sentences")
            for sentence in sentences:
                if not isinstance(sentence, str) or not sentence.strip():
                    raise DataFileError(f"{where}.data[{index}]: a sentence must be quoted text")
                try:
                    parse_sentence(sentence)
                except (HassilError, ParseError, ValueError, IndexError) as error:
                    raise DataFileError(f"{where}: bad template {sentence!r}: {error}") from None
    for rule, body in (document.get("expansion_rules") or {}).items():
        try:
            parse_sentence(str(body))
        except (HassilError, ParseError, ValueError, IndexError) as error:
            raise DataFileError(f"{path}: expansion_rules.{rule}: bad template: {error}") from None
    document.setdefault("language", LANGUAGE)
    return document


def _expand_groups(path: Path, where: str, members: list[str], groups: dict[str, Any],
                   inside: tuple[str, ...]) -> list[str]:
    """Intent names with every "@group" replaced by its members (groups may name groups)."""
    names: list[str] = []
    for member in members:
        if not member.startswith("@"):
            names.append(member)
            continue
        group = groups.get(member[1:])
        if not isinstance(group, list):
            raise DataFileError(f"{path}: {where}: unknown group '{member}'")
        if member in inside:
            raise DataFileError(f"{path}: {where}: group '{member}' includes itself")
        names.extend(_expand_groups(path, where, [str(item) for item in group], groups, inside + (member,)))
    return names


def _load_contexts(path: Path, intents: dict[str, Any]) -> dict[str, tuple[str, ...]]:
    document = load_yaml(path)
    if not isinstance(document, dict) or not isinstance(document.get("contexts"), dict):
        raise DataFileError(f"{path}: expected a mapping with 'contexts'")
    for key in document:
        if key not in ("groups", "contexts"):
            raise DataFileError(f"{path}: unknown key '{key}'")
    groups = document.get("groups") or {}
    if not isinstance(groups, dict):
        raise DataFileError(f"{path}: groups: expected a mapping")
    contexts: dict[str, tuple[str, ...]] = {}
    for context, members in document["contexts"].items():
        if not isinstance(members, list) or not members:
            raise DataFileError(f"{path}: contexts.{context}: expected a list of intents")
        names = _expand_groups(path, f"contexts.{context}", [str(m) for m in members], groups, ())
        for name in names:
            if name not in intents:
                raise DataFileError(
                    f"{path}: contexts.{context}: intent '{name}' has no sentences in intents.yaml"
                )
        contexts[str(context)] = tuple(dict.fromkeys(names))
    return contexts


def load_grammar(directory: Path | None = None) -> Grammar:
    """Load and validate the grammars in ``directory`` (default: the packaged ones)."""
    directory = directory or packaged_grammars_dir()
    if not directory.is_dir():
        raise DataFileError(f"{directory}: grammars folder not found")
    intents_path = directory / "intents.yaml"
    document = _validate_document(intents_path, load_yaml(intents_path))
    contexts = _load_contexts(directory / "contexts.yaml", document["intents"])
    try:
        return Grammar(directory, document, contexts)
    except (HassilError, ParseError, ValueError, KeyError, TypeError) as error:
        raise DataFileError(f"{intents_path}: {error}") from None


def conflicts(grammar: Grammar) -> list[str]:
    """Sentences claimed by two intents in one context, one line each."""
    problems = []
    for context in grammar.contexts:
        owner: dict[str, str] = {}
        for intent, text in grammar.sentences(context):
            if text in owner and owner[text] != intent:
                problems.append(
                    f"{grammar.directory / 'intents.yaml'}: context {context}: "
                    f"'{text}' is claimed by both {owner[text]} and {intent}"
                )
            owner.setdefault(text, intent)
    return problems
