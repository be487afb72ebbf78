"""The phrase corpus (grammars/phrases.yaml): how people talk, held against the templates."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from voice_assistant.grammar import normalize, packaged_grammars_dir
from voice_assistant.names import Intent
from voice_assistant.phrasebook import load_phrases, phrase_problems

PHRASES = load_phrases(packaged_grammars_dir())


@pytest.mark.parametrize("phrase", PHRASES, ids=lambda p: f"{p.context}:{p.text}")
def test_every_phrasing_means_what_the_corpus_says(grammar, phrase):
    assert phrase_problems(grammar, [phrase]) == []


def test_at_least_fifteen_phrasings_for_every_intent():
    counts = Counter(phrase.intent for phrase in PHRASES if phrase.intent)
    thin = {intent: counts[intent] for intent in Intent.values() if counts[intent] < 15}
    assert not thin, thin


def test_every_context_has_phrasings_that_must_mean_nothing(grammar):
    negative = {phrase.context for phrase in PHRASES if phrase.intent is None}
    assert {"idle", "yes_no", "guidance", "countdown", "emergency"} <= negative


def test_check_runs_the_corpus_and_names_the_phrasing_it_lost(data_copy):
    content_dir, grammars_dir = data_copy
    intents = grammars_dir / "intents.yaml"
    text = intents.read_text(encoding="utf-8")
    intents.write_text(text.replace("i fell (down the stairs|off a ladder|over|down)", "i fell (off a ladder|over|down)"),
                       encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "voice_assistant", "check", "--content", str(content_dir),
                             "--grammars", str(grammars_dir)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "'I fell down the stairs' in yes_no should mean report_symptom {'flag': 'trauma'}" in result.stdout


@pytest.mark.parametrize("document, problem", [
    ("phrases: {}", "expected a mapping with one key"),
    ("phrases:\n  - {context: idle, intent: dance, sentences: [\"hi\"]}", "intent must be one of"),
    ("phrases:\n  - {context: idle, intent: nothing, slots: {flag: nerve}, sentences: [\"hi\"]}", "slots must be"),
    ("phrases:\n  - {context: idle, intent: help}", "sentences must be a list"),
    ("phrases:\n  - {context: nowhere, intent: help, sentences: [\"help\"]}", "unknown context 'nowhere'"),
])
def test_a_broken_corpus_is_one_clear_line(data_copy, document, problem):
    content_dir, grammars_dir = data_copy
    (grammars_dir / "phrases.yaml").write_text(document + "\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "voice_assistant", "check", "--content", str(content_dir),
                             "--grammars", str(grammars_dir)], capture_output=True, text=True)
    assert result.returncode == 1
    assert problem in result.stdout
    assert "Traceback" not in result.stderr


def test_the_benchmark_phrasings_load_and_the_held_out_ones_stay_out_of_the_phrase_corpus(grammar):
    """benchmarks/held_out_phrasings measures phrasings the grammar was not written for: none of
    them may become a line of the corpus the grammar is held to."""
    benchmarks = Path(__file__).resolve().parents[1] / "benchmarks"
    held_out = load_phrases(benchmarks / "held_out_phrasings")
    tuning = load_phrases(benchmarks / "tuning_phrasings")  # may overlap the corpus, but must load
    assert {phrase.context for phrase in held_out + tuning} <= set(grammar.contexts)
    corpus = {(phrase.context, normalize(phrase.text)) for phrase in PHRASES}
    assert not [phrase.text for phrase in held_out if (phrase.context, normalize(phrase.text)) in corpus]


@pytest.mark.parametrize("folder", ["offered_phrasings", "start_stop_phrasings"])
def test_every_benchmark_phrasing_of_the_grammar_means_what_it_says(grammar, folder):
    """benchmarks/offered_phrasings compares ways of saying one thing, to choose the one a prompt
    offers, and benchmarks/start_stop_phrasings measures a start heard as a stop: each phrasing
    must be one the grammar takes, with the meaning given, or a mistake is not what it seems."""
    phrasings = load_phrases(Path(__file__).resolve().parents[1] / "benchmarks" / folder)
    assert phrasings
    assert phrase_problems(grammar, phrasings) == []
