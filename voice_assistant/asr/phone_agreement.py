"""How nearly two word strings sound alike, phone by phone.

The free decode often hears a command as a near-homophone in a voice the model fits badly:
"now" for "no", "star in" for "start", "cold and" for "hold on". Counting shared words calls
those a disagreement, as it does "help" for "no". Counting shared phones tells them apart.
"""

from __future__ import annotations

Pronunciations = dict[str, tuple[str, ...]]


def pronunciations(lexicon: str) -> Pronunciations:
    """Each word's first pronunciation, from dictionary lines ("word PH ON ES"; alternates as
    ``word(2)`` are left out)."""
    found: Pronunciations = {}
    for line in lexicon.splitlines():
        word, *phones = line.split()
        if phones and "(" not in word:
            found.setdefault(word, tuple(phones))
    return found


def phones(words: str, known: Pronunciations) -> list[str]:
    """The phones of ``words`` (a word with no pronunciation adds none)."""
    return [phone for word in words.split() for phone in known.get(word, ())]


def _edit_distance_within(wanted: list[str], heard: list[str]) -> int:
    """The fewest phone edits that turn ``wanted`` into some stretch of ``heard``."""
    previous = [0] * (len(heard) + 1)  # a stretch may start anywhere in what was heard
    for row, phone in enumerate(wanted, start=1):
        current = [row] + [0] * len(heard)
        for column, other in enumerate(heard, start=1):
            current[column] = min(previous[column] + 1, current[column - 1] + 1,
                                  previous[column - 1] + (phone != other))
        previous = current
    return min(previous)  # and end anywhere


def phone_agreement(hypothesis: str, heard: str, known: Pronunciations) -> float:
    """The share of the hypothesis's phones found in order in what was heard (1: all of them;
    words heard before or after it cost nothing)."""
    wanted = phones(hypothesis, known)
    if not wanted:
        return 0.0
    return max(0.0, 1 - _edit_distance_within(wanted, phones(heard, known)) / len(wanted))
