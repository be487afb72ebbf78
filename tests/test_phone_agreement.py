"""Phone agreement: near-homophones agree in part, other words not at all, words around cost nothing."""

import pytest

from voice_assistant.asr.phone_agreement import phone_agreement, pronunciations

KNOWN = pronunciations("""no N OW
now N AW
help HH EH L P
hold HH OW L D
cold K OW L D
on AA N
and AH N D
the DH AH
please P L IY Z
please(2) P L IY S
""")


def test_first_pronunciation_is_kept_and_alternates_left_out():
    assert KNOWN["please"] == ("P", "L", "IY", "Z")
    assert "please(2)" not in KNOWN


@pytest.mark.parametrize("hypothesis, heard, expected", [
    ("no", "no", 1.0),
    ("no", "now", 0.5),  # one phone of two differs
    ("no", "help", 0.0),
    ("hold on", "cold and", 4 / 6),  # HH/K and AA/AH differ; the D of "and" is past the end
    ("no", "the no please", 1.0),  # found inside what was heard
    ("no", "", 0.0),
    ("", "no", 0.0),
    ("no", "unheard of", 0.0),  # words with no pronunciation add no phones
])
def test_agreement(hypothesis, heard, expected):
    assert phone_agreement(hypothesis, heard, KNOWN) == pytest.approx(expected)
