"""The second chance: the free decode's words, read for the nearest sentence of the context."""

from __future__ import annotations

from pathlib import Path

import pytest

from voice_assistant.asr.nearest_sentence import NearestSentence
from voice_assistant.datafile import load_yaml

CASES = load_yaml(Path(__file__).parent / "fixtures" / "second_chance.yaml")["cases"]


@pytest.mark.parametrize("case", CASES, ids=[f"{case['context']}: {case['heard']}{' (grammar agrees)' if 'grammar' in case else ''}" for case in CASES])
def test_the_second_chance_takes_what_the_words_clearly_say_and_nothing_it_must_not(grammar, case):
    phrases = grammar.phrases(case["context"])
    grammar_meaning = phrases.meanings[case["grammar"]] if "grammar" in case else None
    sentence = NearestSentence(phrases).sentence_for(case["heard"], grammar_meaning, case.get("levels", {}).items())
    match = grammar.match(sentence, case["context"]) if sentence else None
    if case["intent"] == "nothing":
        assert sentence is None, sentence
    else:
        assert sentence in phrases.meanings  # whatever reads the result sees a sentence of the context
        assert (match.intent, dict(match.slots)) == (case["intent"], case.get("slots", {})), sentence


def test_a_cautious_meaning_is_a_second_chance_only_when_the_grammars_answer_meant_it_too(grammar):
    phrases = grammar.phrases("guidance")
    heard = "cancel the ice timer now"
    assert phrases.cautious["cancel_timer"]
    assert NearestSentence(phrases).sentence_for(heard) is None
    assert NearestSentence(phrases).sentence_for(heard, "start_ice_timer") is None
    assert NearestSentence(phrases).sentence_for(heard, "cancel_timer") == "cancel the ice timer"
