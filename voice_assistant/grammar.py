"""Load ``grammars/``, expand templates per dialog context, and match text to intents.

The templates are Home Assistant ``hassil`` YAML. This module adds what hassil does not
know about: dialog contexts (which intents can be heard when), decoy intents, strict
validation, added pronunciations, and ``ContextPhrases``: everything a speech engine needs
to listen in one context (engines compile it their own way, in ``asr/``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Mapping

from hassil import Intents, recognize, sample_expression
from hassil.errors import HassilError
from hassil.expression import Group, ListReference, RuleReference
from hassil.parse_expression import parse_sentence
from hassil.parser import ParseError

from voice_assistant.datafile import MAX_DATA_FILE_BYTES, DataFileError, load_yaml
from voice_assistant.files import check_inside, read_limited
from voice_assistant.names import Intent

LANGUAGE = "en"
MAX_SENTENCES_PER_CONTEXT = 200_000
"""More sentences than this in one context is a template mistake (alternatives nested too deep)."""
MAX_RANGE_VALUES = 1000
PRONUNCIATIONS_FILE = "pronunciations.dict"
ARPABET = frozenset("AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG OW OY P R S SH T TH UH UW V W "
                    "Y Z ZH".split())
"""The phones a pronunciation may use (CMU ARPAbet, no stress marks)."""
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


@dataclass(frozen=True)
class ContextPhrases:
    """What a speech engine needs to listen in one context: each sentence and what it means."""

    context: str
    meanings: Mapping[str, str]
    """Normalised sentence → intent (a decoy's name starts with "_")."""
    pronunciations: Mapping[str, str]
    """Word → ARPAbet phones, for words a speech dictionary may lack."""
    cautious: Mapping[str, float] = field(default_factory=dict)
    """Intent → the least confidence it is heard at, for intents where a wrong one is worse
    than asking again (a recognizer reporting calibrated confidence applies it)."""
    stop_first: bool = False
    """Whether a "stop" heard anywhere in an utterance outweighs an answer that moves the
    session on (a recognizer with a second opinion on the words applies it)."""

    @property
    def sentences(self) -> list[str]:
        return list(self.meanings)

    @cached_property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(word for text in self.meanings for word in text.split())

    @property
    def harmless(self) -> dict[str, str]:
        """The sentences (and meanings) of the intents the context is not cautious about."""
        return {text: intent for text, intent in self.meanings.items() if intent not in self.cautious}

    @cached_property
    def closed(self) -> frozenset[str]:
        """Sentences no other sentence of the context goes on from ("stop", but not "no":
        "no I haven't" goes on from it), so nothing more is to be waited for after them."""
        ordered = sorted(self.meanings)
        return frozenset(text for text, after in zip(ordered, [*ordered[1:], ""])
                         if not after.startswith(text + " "))


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

    def __init__(self, directory: Path, document: dict[str, Any], contexts: dict[str, tuple[str, ...]],
                 pronunciations: Mapping[str, str] | None = None,
                 cautious: Mapping[str, Mapping[str, float]] | None = None,
                 stop_first: frozenset[str] = frozenset()):
        self.directory = directory
        self.stop_first = stop_first
        """The contexts where a "stop" outweighs an answer that moves on (contexts.yaml)."""
        self.pronunciations: Mapping[str, str] = pronunciations or {}
        self.cautious: Mapping[str, Mapping[str, float]] = cautious or {}
        self._document = document
        self.contexts: Mapping[str, tuple[str, ...]] = contexts
        self._all = Intents.from_dict(document)
        self._by_context = {name: self._subset(intents) for name, intents in contexts.items()}
        self._sentence_cache: dict[str, list[tuple[str, str]]] = {}
        self._intent_cache: dict[str, tuple[int, list[str]]] = {}
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
            found: dict[tuple[str, str], None] = {}
            made = 0
            for name in self._require(context).intents:
                count, texts = self._intent_sentences(name, context)
                made += count
                if made > MAX_SENTENCES_PER_CONTEXT:
                    raise self._too_many(context)
                found.update(((name, text), None) for text in texts)
            self._sentence_cache[context] = list(found)
        return self._sentence_cache[context]

    def _intent_sentences(self, name: str, context: str) -> tuple[int, list[str]]:
        """How many sentences an intent makes, and those without digits, normalised.

        Contexts share most intents (help, stop, the timers), so each is expanded once;
        ``context`` only names where a runaway expansion was found.
        """
        if name not in self._intent_cache:
            intents = self._all
            made, texts = 0, []
            for data in intents.intents[name].data:
                rules = {**intents.expansion_rules, **data.expansion_rules}
                for sentence in data.sentences:
                    for text in sample_expression(sentence.expression, intents.slot_lists, rules,
                                                  language=self.language):
                        made += 1
                        if made > MAX_SENTENCES_PER_CONTEXT:
                            raise self._too_many(context)
                        if not any(map(str.isdigit, text)):
                            texts.append(normalize(text))
            self._intent_cache[name] = (made, texts)
        return self._intent_cache[name]

    def _too_many(self, context: str) -> DataFileError:
        return DataFileError(f"{self.directory / 'intents.yaml'}: context {context}: more than "
                             f"{MAX_SENTENCES_PER_CONTEXT} sentences; are alternatives nested too deep?")

    def vocabulary(self, context: str | None = None) -> set[str]:
        """Every word that can be said in a context (or in any context)."""
        contexts = [context] if context else list(self.contexts)
        return {word for ctx in contexts for _, text in self.sentences(ctx) for word in text.split()}

    def phrases(self, context: str) -> ContextPhrases:
        """What a speech engine needs to listen in ``context``."""
        meanings = {text: intent for intent, text in self.sentences(context)}
        return ContextPhrases(context, meanings, self.pronunciations, self.cautious.get(context, {}),
                              context in self.stop_first)


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
    rules: dict[str, Any] = {}
    for rule, body in (document.get("expansion_rules") or {}).items():
        try:
            rules[str(rule)] = parse_sentence(str(body))
        except (HassilError, ParseError, ValueError, IndexError) as error:
            raise DataFileError(f"{path}: expansion_rules.{rule}: bad template: {error}") from None
    lists = _validate_lists(path, document.get("lists") or {})
    for name, body in intents.items():
        for index, data in enumerate(body["data"]):
            for sentence in data["sentences"]:
                _check_references(path, f"intents.{name}", parse_sentence(sentence), lists, rules)
    for rule, expression in rules.items():
        _check_references(path, f"expansion_rules.{rule}", expression, lists, rules, (rule,))
    document.setdefault("language", LANGUAGE)
    return document


def _validate_lists(path: Path, lists: Any) -> set[str]:
    """The list names, after checking each is values (in/out) or a small range."""
    if not isinstance(lists, dict):
        raise DataFileError(f"{path}: lists: expected a mapping of list names")
    for name, body in lists.items():
        where = f"{path}: lists.{name}"
        if not isinstance(body, dict) or not ({"values"} == set(body) or {"range"} == set(body)):
            raise DataFileError(f"{where}: expected either 'values' or 'range'")
        if "values" in body:
            values = body["values"]
            if not isinstance(values, list) or not values or not all(
                    isinstance(v, str) or (isinstance(v, dict) and set(v) == {"in", "out"}
                                           and isinstance(v["in"], str)) for v in values):
                raise DataFileError(f"{where}.values: expected a list of text, or of 'in'/'out' pairs")
        else:
            span = body["range"]
            ends = (span.get("from"), span.get("to")) if isinstance(span, dict) else (None, None)
            if not all(isinstance(end, int) and not isinstance(end, bool) for end in ends) or ends[0] > ends[1]:
                raise DataFileError(f"{where}.range: expected whole numbers 'from' and 'to'")
            if ends[1] - ends[0] + 1 > MAX_RANGE_VALUES:
                raise DataFileError(f"{where}.range: at most {MAX_RANGE_VALUES} values")
    return {str(name) for name in lists}


def _check_references(path: Path, where: str, expression: Any, lists: set[str], rules: dict[str, Any],
                      inside: tuple[str, ...] = ()) -> None:
    """Every {list} and <rule> a template names exists, and no rule includes itself."""
    stack = [getattr(expression, "expression", expression)]
    while stack:
        item = stack.pop()
        if isinstance(item, ListReference) and item.list_name not in lists:
            raise DataFileError(f"{path}: {where}: unknown list {{{item.list_name}}}")
        if isinstance(item, RuleReference):
            if item.rule_name not in rules:
                raise DataFileError(f"{path}: {where}: unknown rule <{item.rule_name}>")
            if item.rule_name in inside:
                raise DataFileError(f"{path}: {where}: rule <{item.rule_name}> includes itself")
            _check_references(path, where, rules[item.rule_name], lists, rules, inside + (item.rule_name,))
        if isinstance(item, Group):
            stack.extend(item.items)


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


def _load_contexts(path: Path, intents: dict[str, Any]) -> tuple[dict[str, tuple[str, ...]],
                                                                  dict[str, dict[str, float]], frozenset[str]]:
    """Each context's intents, the least confidence for the intents each context is cautious
    about, and the contexts where a "stop" comes first."""
    document = load_yaml(path)
    if not isinstance(document, dict) or not isinstance(document.get("contexts"), dict):
        raise DataFileError(f"{path}: expected a mapping with 'contexts'")
    for key in document:
        if key not in ("groups", "contexts", "cautious", "stop_first"):
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
    cautious_node = document.get("cautious") or {}
    if not isinstance(cautious_node, dict):
        raise DataFileError(f"{path}: cautious: expected a mapping of context to intents")
    cautious: dict[str, dict[str, float]] = {}
    for context, members in cautious_node.items():
        if context not in contexts or not isinstance(members, dict):
            raise DataFileError(f"{path}: cautious.{context}: expected a known context with a mapping of "
                                "intent to least confidence")
        for intent, least in members.items():
            if not isinstance(intent, str) or intent not in contexts[context]:
                raise DataFileError(f"{path}: cautious.{context}: '{intent}' is not heard in that context "
                                    "(quote yes and no: YAML reads them as true and false)")
            if isinstance(least, bool) or not isinstance(least, (int, float)) or not 0 < least < 1:
                raise DataFileError(f"{path}: cautious.{context}.{intent}: expected a confidence between 0 and 1")
        cautious[str(context)] = {intent: float(least) for intent, least in members.items()}
    stop_first = document.get("stop_first") or []
    if not isinstance(stop_first, list) or any(context not in contexts for context in stop_first):
        raise DataFileError(f"{path}: stop_first: expected a list of known contexts")
    return contexts, cautious, frozenset(stop_first)


def _load_pronunciations(path: Path) -> dict[str, str]:
    """``word PH ON ES`` a line ("#" comments), a word once; a missing file means none."""
    if not path.exists():
        return {}
    check_inside(path, path.parent)
    try:
        text = read_limited(path, MAX_DATA_FILE_BYTES, "pronunciations file").decode("utf-8")
    except UnicodeDecodeError:
        raise DataFileError(f"{path}: not UTF-8 text") from None
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        parts = line.split()
        if not parts or parts[0].startswith("#"):
            continue
        bad = [phone for phone in parts[1:] if phone not in ARPABET]
        if len(parts) < 2 or bad:
            raise DataFileError(f"{path}:{number}: expected a word and its phones "
                                f"({'unknown phone ' + bad[0] if bad else 'no phones'}; phones are ARPAbet, like S P AE Z M)")
        if parts[0].lower() in found:
            raise DataFileError(f"{path}:{number}: '{parts[0]}' is listed twice; give a word one pronunciation here")
        found[parts[0].lower()] = " ".join(parts[1:])
    return found


def load_grammar(directory: Path | None = None) -> Grammar:
    """Load and validate the grammars in ``directory`` (default: the packaged ones)."""
    directory = directory or packaged_grammars_dir()
    if not directory.is_dir():
        raise DataFileError(f"{directory}: grammars folder not found")
    intents_path = directory / "intents.yaml"
    for name in ("intents.yaml", "contexts.yaml", PRONUNCIATIONS_FILE):
        check_inside(directory / name, directory)
    document = _validate_document(intents_path, load_yaml(intents_path))
    contexts, cautious, stop_first = _load_contexts(directory / "contexts.yaml", document["intents"])
    pronunciations = _load_pronunciations(directory / PRONUNCIATIONS_FILE)
    try:
        return Grammar(directory, document, contexts, pronunciations, cautious, stop_first)
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
