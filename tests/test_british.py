"""British pronunciations as alternates: by rule, and heard on a British voice."""

from __future__ import annotations

import pytest

from speechgen import speech
from voice_assistant.asr import pocketsphinx_engine
from voice_assistant.asr.british import british
from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer, lexicon
from voice_assistant.audio.wav import read_wav
from voice_assistant.transcribe import recognise


@pytest.mark.parametrize("word, american, said", [
    ("start", "S T AA R T", "S T AA T"),  # no r before a consonant
    ("timer", "T AY M ER", "T AY M AH"),  # a final -er is a schwa
    ("here", "HH IY R", "HH IH AH"),
    ("where", "W EH R", "W EH AH"),
    ("more", "M AO R", "M AO"),
    ("hour", "AW ER", "AW AH"),
    ("stop", "S T AA P", "S T AO P"),  # the "lot" vowel, spelt with an o
    ("doctor", "D AA K T ER", "D AO K T AH"),
    ("can't", "K AE N T", "K AA N T"),  # the "bath" vowel
    ("after", "AE F T ER", "AA F T AH"),
    ("last", "L AE S T", "L AA S T"),
    ("very", "V EH R IY", "V EH R IY"),  # an r before a vowel is said
    ("ready", "R EH D IY", "R EH D IY"),
    ("hurts", "HH ER T S", "HH ER T S"),  # not at the end: kept
    ("cancel", "K AE N S AH L", "K AE N S AH L"),  # "bath" only before f, th, s or a final nt
    ("back", "B AE K", "B AE K"),
    ("father", "F AA DH ER", "F AA DH AH"),  # no o: the vowel stays
])
def test_a_british_speaker_says_a_word_by_three_regular_changes(word, american, said):
    assert " ".join(british(word, american.split())) == said


def test_the_lexicon_adds_the_british_form_of_the_first_pronunciation_only_for_the_grammars_words(tmp_path):
    """Not of an American alternate ("forget" F AO R G EH T), and not twice."""
    dictionary = tmp_path / "words.dict"
    dictionary.write_text("start S T AA R T\nstop S T AA P\nstop(2) S T AO P\nstar S T AA R\nback B AE K\n"
                          "forget F ER G EH T\nforget(2) F AO R G EH T\n")
    lines = lexicon({"start", "stop", "star", "back", "forget", "spasming"}, dictionary,
                    {"spasming": "S P AE Z M IH NG"}, accented={"start", "stop", "back", "forget"}).splitlines()
    assert lines == ["back B AE K", "forget F ER G EH T", "forget(2) F AO R G EH T", "spasming S P AE Z M IH NG",
                     "star S T AA R", "start S T AA R T", "start(2) S T AA T", "stop S T AA P", "stop(2) S T AO P"]


def test_a_british_start_the_timer_starts_it_and_does_not_cancel_it(grammar, monkeypatch):
    """Heard with American pronunciations only, hibari's voice speaking British English
    cancelled the ice and heat timers it was asked to start."""
    sentences = [("start the ice timer", "start_ice_timer"), ("start the heat timer", "start_heat_timer"),
                 ("start the heating pad timer", "start_heat_timer")]

    def heard(recognizer: PocketsphinxRecognizer) -> list[str | None]:
        return [recognise(recognizer, grammar, "guidance", read_wav(speech(text, "hibari-gb")))["intent"]
                for text, _ in sentences]

    assert heard(PocketsphinxRecognizer(grammar)) == [intent for _, intent in sentences]
    monkeypatch.setattr(pocketsphinx_engine, "british", lambda word, phones: phones)
    assert "cancel_timer" in heard(PocketsphinxRecognizer(grammar)), "American pronunciations alone"
