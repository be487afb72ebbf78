"""pocketsphinx's US-English model on disk, and the pronunciation lexicons made from it: which
words the grammar search and the free decode know, and how (British forms included)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Mapping

from voice_assistant.asr.british import british, only_the_last_consonant_differs
from voice_assistant.grammar import PRONUNCIATIONS_FILE, Grammar


def model_dir() -> Path:
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us"


@lru_cache(maxsize=2)
def dictionary_words(path: Path) -> frozenset[str]:
    """The words of a pronunciation dictionary (alternates like word(2) folded)."""
    words = set()
    with open(path, encoding="utf-8", errors="replace") as file:
        for line in file:
            if line.strip() and not line.startswith(";"):
                words.add(line.split()[0].split("(")[0])
    return frozenset(words)


FREE_DECODE_WORDS_FILE = Path(__file__).with_name("free_decode_words.txt")
"""The model's most frequent words, most frequent first, which the free decode knows besides
the grammar's: made by scripts/free_decode_words.py from the model."""


def lexicon(words: frozenset[str] | set[str], dictionary: Path, pronunciations: Mapping[str, str],
            accented: frozenset[str] | set[str] = frozenset()) -> str:
    """Dictionary lines for ``words``: the dictionary's (with alternates), then the grammar's
    own pronunciations (the only one of a word the dictionary lacks, one more of a word it
    has: "help" with its dark l heard as a vowel), then how a British speaker says the
    first pronunciation of each of ``accented`` where that differs, unless it would differ from
    a pronunciation of another of them only in its last consonant. (The British form of an
    American alternate, "forget" said F AO R G EH T, made F AO G EH T, which noise under a
    "pause the timer" matched as "forget timer". The British "start", S T AA T, let a bare
    "stop", S T AA P, over a fan start a stretch.)"""
    said: dict[str, list[str]] = {}
    with open(dictionary, encoding="utf-8", errors="replace") as file:
        for line in file:
            word, _, phones = line.strip().partition(" ")
            word = word.split("(")[0]
            if word in words:
                said.setdefault(word, []).append(phones.strip())
    for word, phones in pronunciations.items():
        if word in words and phones not in said.get(word, []):
            said.setdefault(word, []).append(phones)
    american = {phones for word in accented & said.keys() for phones in said[word]}
    for word in accented & said.keys():
        variant = " ".join(british(word, said[word][0].split()))
        if variant not in said[word] and not any(only_the_last_consonant_differs(variant, other) for other in american):
            said[word].append(variant)
    return "".join(f"{word}{f'({number})' if number > 1 else ''} {phones}\n"
                   for word in sorted(said) for number, phones in enumerate(said[word], start=1))


def free_decode_vocabulary(grammar: Grammar) -> set[str]:
    """The grammar's words and the model's most frequent ones."""
    frequent = FREE_DECODE_WORDS_FILE.read_text(encoding="utf-8").split()
    return set(frequent) | grammar.vocabulary()


def missing_words(grammar: Grammar) -> list[str]:
    """Grammar words pocketsphinx cannot pronounce, one problem line each."""
    known = dictionary_words(model_dir() / "cmudict-en-us.dict") | set(grammar.pronunciations)
    path = grammar.directory / "intents.yaml"
    return [
        f"{path}: word '{word}' is not in the pocketsphinx dictionary; add it to {PRONUNCIATIONS_FILE}"
        for word in sorted(grammar.vocabulary() - known)
    ]
