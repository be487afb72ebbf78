"""How a British speaker says a word, in the US model's phones, as one more pronunciation.

The model and its dictionary are American; a British speaker drops the r of "timer" and rounds
the o of "stop". The variant makes three regular changes, by rule rather than word by word:
- no r after a vowel unless a vowel follows ("start" S T AA T, "timer" T AY M AH, "here" HH IH AH);
- the "lot" vowel rounded where the spelling has an "o" ("stop" S T AO P, "not" N AO T);
- the "bath" vowel long before f, th, s and a final nt ("can't" K AA N T, "last" L AA S T).
A form that would differ from another command word only in its last consonant is not used
(``only_the_last_consonant_differs``): a word's end is its faintest part, and the British
"start" (S T AA T) let a bare "stop" (S T AA P) over a fan start a stretch. So a British
"start the ice timer" can still be heard as "stop the ice timer", which the dialog answers
safely when that timer is not running, and which the engine's rival check (``RIVAL_MARGIN``)
rejects when "start" fits nearly as well.
"""

from __future__ import annotations

VOWELS = frozenset({"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"})

_BEFORE_LOST_R = {"AA": ["AA"], "AO": ["AO"], "OW": ["AO"], "ER": ["AH"], "EH": ["EH", "AH"],
                  "IH": ["IH", "AH"], "IY": ["IH", "AH"], "UH": ["UH", "AH"], "UW": ["UH", "AH"],
                  "AY": ["AY", "AH"], "AW": ["AW", "AH"], "EY": ["EH", "AH"], "AH": ["AH"], "AE": ["AE"],
                  "OY": ["OY", "AH"]}
"""A vowel and the r after it, as said without the r."""

_BATH_BEFORE = frozenset({"F", "TH", "S"})


def _without_r(phones: list[str]) -> list[str]:
    said: list[str] = []
    for index, phone in enumerate(phones):
        following = phones[index + 1] if index + 1 < len(phones) else None
        vowel_follows = following in VOWELS
        if phone == "R" and said and said[-1] in VOWELS and not vowel_follows:
            said[-1:] = _BEFORE_LOST_R[said[-1]]
        elif phone == "ER" and following is None:
            said.append("AH")  # a final -er is a schwa ("timer"; "her" and "were" get their weak form)
        else:
            said.append(phone)
    return said


def _lot_and_bath(word: str, phones: list[str]) -> list[str]:
    said = list(phones)
    for index, phone in enumerate(phones):
        after = phones[index + 1:index + 3]
        if phone == "AA" and "o" in word and after[:1] != ["R"]:
            said[index] = "AO"
        elif phone == "AE" and (after[:1] and after[0] in _BATH_BEFORE and (len(after) < 2 or after[1] not in VOWELS)
                                or after == ["N", "T"] and index + 3 == len(phones)):
            said[index] = "AA"
    return said


def british(word: str, phones: list[str]) -> list[str]:
    """``word``'s American ``phones`` as a British speaker says them."""
    return _without_r(_lot_and_bath(word, phones))


def only_the_last_consonant_differs(phones: str, other: str) -> bool:
    """Whether two pronunciations (space-separated phones) differ only in their last phone, a
    consonant in both: the faintest part of a word, which a fan or a quick speaker loses."""
    said, other_said = phones.split(), other.split()
    return (len(said) == len(other_said) > 1 and said[:-1] == other_said[:-1] and said[-1] != other_said[-1]
            and said[-1] not in VOWELS and other_said[-1] not in VOWELS)
