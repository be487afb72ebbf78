"""The grammars understand how people actually talk, per context."""

from __future__ import annotations

import pytest

from voice_assistant.asr.word_graph import meaning_uniform_priors, minimal_word_graph

PHRASES = [
    ("idle", "My back is spasming!", "start_guidance", {}),
    ("idle", "I'm having a back spasm", "start_guidance", {}),
    ("idle", "help, my back is killing me", "start_guidance", {}),
    ("yes_no", "yeah", "yes", {}),
    ("yes_no", "Yep.", "yes", {}),
    ("yes_no", "yes I have", "yes", {}),
    ("yes_no", "nope", "no", {}),
    ("yes_no", "not really", "no", {}),
    ("yes_no", "No, I haven't.", "no", {}),
    ("guidance", "go on", "next", {}),
    ("guidance", "one more time", "repeat", {}),
    ("guidance", "hold on", "pause", {}),
    ("guidance", "that's enough", "stop", {}),
    ("guidance", "start the ice timer", "start_ice_timer", {}),
    ("guidance", "start the heating pad timer", "start_heat_timer", {}),
    ("guidance", "set a timer for twenty minutes", "set_timer", {"minutes": 20}),
    ("guidance", "set a timer for forty-five minutes", "set_timer", {"minutes": 45}),
    ("guidance", "how much time is left", "time_left", {}),
    ("guidance", "cancel the timer", "cancel_timer", {}),
    ("guidance", "pause the timer", "pause", {"target": "timer"}),
    ("guidance", "go back", "previous", {}),
    ("guidance", "start the pelvic tilt", "start_stretch", {"stretch": "pelvic_tilt"}),
    ("guidance", "why does this happen", "explain_causes", {}),
    ("guidance", "how can I prevent this", "prevention_tips", {}),
    ("guidance", "when should I see a doctor", "when_to_see_doctor", {}),
    ("guidance", "what can I say", "help", {}),
    ("countdown", "skip", "next", {}),
    ("paused", "resume", "resume", {}),
    ("emergency", "say that again", "repeat", {}),
]


@pytest.mark.parametrize("context, text, intent, slots", PHRASES)
def test_phrasings(grammar, context, text, intent, slots):
    match = grammar.match(text, context)
    assert match is not None and match.intent == intent
    assert {k: v for k, v in match.slots.items() if k in slots} == slots


@pytest.mark.parametrize("text", ["maybe", "I'm not sure", "I don't know", "I don't think so"])
def test_unsure_answers_are_never_yes_or_no(grammar, text):
    match = grammar.match(text, "yes_no")
    assert match is None or match.intent is None


@pytest.mark.parametrize("context, text", [
    ("idle", "yes"), ("idle", "next"), ("idle", "what's on tv tonight"),
    ("yes_no", "next"), ("yes_no", "skip"), ("emergency", "start the stretch"), ("guidance", "banana bread"),
])
def test_phrases_outside_the_context_mean_nothing(grammar, context, text):
    assert grammar.match(text, context) is None


def test_sentences_expand_numbers_as_words(grammar):
    sentences = {text for intent, text in grammar.sentences("guidance") if intent == "set_timer"}
    assert "set a timer for twenty five minutes" in sentences
    assert not any(ch.isdigit() for text in sentences for ch in text)


def test_every_sentence_matches_back_to_its_intent(grammar):
    for context in grammar.contexts:
        for intent, text in grammar.sentences(context)[::7]:
            match = grammar.match(text, context)
            assert match is not None
            assert match.intent == (None if intent.startswith("_") else intent), (context, text)


def test_the_word_graph_spells_exactly_the_sentences_and_shares_endings():
    sentences = ["start the ice timer", "start the heat timer", "cancel the timer", "stop", "stop it"]
    graph = minimal_word_graph({text: 1 / len(sentences) for text in sentences})
    assert set(graph.sentences()) == set(sentences)
    timers = [arc for arc in graph.arcs if arc[2] == "timer"]
    assert len(timers) == 1, "the three sentences ending in 'timer' share one arc"


def test_every_meaning_gets_the_same_share_however_many_ways_it_is_said():
    meanings = {"stop": "stop", "set a timer for one minute": "set_timer", "set a timer for two minutes": "set_timer",
                "set a timer for three minutes": "set_timer", "stop the timer": "cancel_timer"}
    graph = minimal_word_graph(meaning_uniform_priors(meanings))
    priors = graph.sentences()
    assert set(priors) == set(meanings)
    assert priors["stop"] == pytest.approx(1 / 3)
    assert priors["set a timer for two minutes"] == pytest.approx(1 / 9)
    assert sum(priors.values()) == pytest.approx(1.0)


def test_every_context_compiles_to_a_graph_of_its_own_sentences_and_priors(grammar):
    for context in grammar.contexts:
        meanings = grammar.phrases(context).meanings
        priors = meaning_uniform_priors(meanings)
        graph = minimal_word_graph(priors)
        spelled = graph.sentences()
        assert set(spelled) == {text for _, text in grammar.sentences(context)}
        assert all(spelled[text] == pytest.approx(prior, rel=1e-6) for text, prior in priors.items()), context
