"""The free decode's language model cut to its words: the same probabilities, the same
decodes, and only ever used when it was cut for these words from this model."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from speech_corpus import IN_GRAMMAR, OUT_OF_GRAMMAR
from speechgen import speech
from voice_assistant.asr import free_decode_lm
from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer
from voice_assistant.asr.pocketsphinx_model import free_decode_vocabulary, model_dir
from voice_assistant.asr.trie_lm import TrieFormatError, keep_words, read_trie, write_trie
from voice_assistant.audio.wav import read_wav
from voice_assistant.transcribe import recognise

SOURCE = model_dir() / "en-us.lm.bin"


def load(path: Path):
    from pocketsphinx import Config, LogMath, NGramModel

    return NGramModel(Config(), LogMath(1.0001), str(path))


@pytest.fixture(scope="module")
def cut(tmp_path_factory, grammar):
    """The model cut to the free decode's words, built into a cache of the test's own."""
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CACHE_HOME", str(cache))
        vocabulary = free_decode_vocabulary(grammar)
        yield free_decode_lm.build(SOURCE, vocabulary), vocabulary


def paths(model, count: int, rng: random.Random) -> list[list[str]]:
    """``count`` n-grams of each order that the model holds, as pocketsphinx is asked for them
    (the word, then the words before it, nearest first): its trie stores them that way round."""
    words = [word.decode() for word in model.words]
    parent_of = [np.repeat(np.arange(len(model.unigrams) - 1), np.diff(model.unigrams["next"].astype(np.int64)))]
    for level in model.levels[:-1]:
        parent_of.append(np.repeat(np.arange(len(level.next) - 1), np.diff(level.next.astype(np.int64))))
    found = []
    for depth, level in enumerate(model.levels):
        for entry in rng.sample(range(len(level.words)), count):
            sequence = [words[level.words[entry]]]
            for up in range(depth, -1, -1):
                entry = parent_of[up][entry]
                sequence.append(words[entry] if up == 0 else words[model.levels[up - 1].words[entry]])
            found.append(sequence[::-1])
    return found


def test_reading_and_writing_the_model_gives_back_the_same_bytes(tmp_path):
    out = tmp_path / "copy.lm.bin"
    write_trie(read_trie(SOURCE), out)
    assert out.read_bytes() == SOURCE.read_bytes()


@pytest.mark.parametrize("keep", [0, 10, 1000, 5_000_000])
def test_a_file_that_is_not_a_whole_model_is_refused_in_one_line(tmp_path, keep):
    broken = tmp_path / "broken.lm.bin"
    broken.write_bytes(SOURCE.read_bytes()[:keep])
    with pytest.raises(TrieFormatError) as refused:
        read_trie(broken)
    assert str(refused.value).startswith(f"{broken}: not a") and "\n" not in str(refused.value)


def test_the_cut_model_gives_every_sequence_of_its_words_the_same_probability(cut):
    path, vocabulary = cut
    full, small, model = load(SOURCE), load(path), read_trie(path)
    assert {word.decode() for word in model.words} == (vocabulary & {w.decode() for w in read_trie(SOURCE).words}) \
        | {"<s>", "</s>"}
    assert path.stat().st_size < 0.9 * SOURCE.stat().st_size
    rng = random.Random(7)
    held = paths(model, 3000, rng)  # n-grams found in the trie
    words = sorted(vocabulary & {word.decode() for word in model.words})
    backed_off = [[rng.choice(words) for _ in range(rng.randint(1, 3))] for _ in range(3000)]
    different = [s for s in held + backed_off if full.prob(s) != small.prob(s)]
    assert different == []
    assert len({full.prob(s) for s in held}) > 1000  # the probabilities compared are not all alike


def test_the_free_decode_hears_the_same_with_the_cut_model(cut, grammar, monkeypatch):
    utterances = [(c, t) for c, t, _ in IN_GRAMMAR[::4]] + OUT_OF_GRAMMAR[::4]
    heard = []
    for cache in (None, str(cut[0].parent.parent)):
        monkeypatch.setenv("XDG_CACHE_HOME", cache or "/nonexistent")
        recognizer = PocketsphinxRecognizer(grammar)
        scores = []
        for context, text in utterances:
            recognise(recognizer, grammar, context, read_wav(speech(text)))
            scores.append(recognizer.last_scores)
        heard.append(scores)
    assert heard[0] == heard[1]
    assert sum(bool(s.get("free")) for s in heard[0]) > len(utterances) / 2  # the free decode said things


def test_only_a_model_cut_for_these_words_from_this_model_is_used(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    source = tmp_path / "source.lm.bin"
    model = read_trie(SOURCE)
    write_trie(keep_words(model, {"back", "hurts", "my", "stop"}), source)
    assert free_decode_lm.language_model(source, {"my", "back"}) == source  # not made yet
    made = free_decode_lm.build(source, {"my", "back"})
    assert free_decode_lm.language_model(source, {"my", "back"}) == made
    assert {w.decode() for w in read_trie(made).words} == {"<s>", "</s>", "back", "my"}
    assert free_decode_lm.language_model(source, {"my", "back", "stop"}) == source  # other words
    source.touch()  # the model itself changed
    assert free_decode_lm.language_model(source, {"my", "back"}) == source
    assert [p.name for p in tmp_path.joinpath("voice-assistant").iterdir()] == [made.name]  # nothing half-written


def test_the_build_command_reports_a_bad_grammar_folder_in_one_line(tmp_path, capsys):
    assert free_decode_lm.main(["--grammars", str(tmp_path / "missing")]) == 1
    error = capsys.readouterr().err
    assert error.startswith("free_decode_lm: ") and error.count("\n") == 1
