"""pocketsphinx: the embedded default engine (its wheel ships a US-English model)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from voice_assistant.grammar import Grammar

EXTRA_PRONUNCIATIONS = "pronunciations.dict"


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


def extra_pronunciations(grammar: Grammar) -> dict[str, str]:
    """Pronunciations the grammar folder adds for words the dictionary lacks."""
    path = grammar.directory / EXTRA_PRONUNCIATIONS
    if not path.exists():
        return {}
    extra = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.startswith("#"):
            extra[parts[0]] = " ".join(parts[1:])
    return extra


def missing_words(grammar: Grammar) -> list[str]:
    """Grammar words pocketsphinx cannot pronounce, one problem line each."""
    known = dictionary_words(model_dir() / "cmudict-en-us.dict") | set(extra_pronunciations(grammar))
    path = grammar.directory / "intents.yaml"
    return [
        f"{path}: word '{word}' is not in the pocketsphinx dictionary; add it to {EXTRA_PRONUNCIATIONS}"
        for word in sorted(grammar.vocabulary() - known)
    ]
