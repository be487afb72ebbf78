"""benchmarks/background_talk.py's streams, and the live path the benchmarks hear them through
(tests/listening.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from listening import listen
from speechgen import speech
from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer
from voice_assistant.audio.wav import SAMPLE_RATE, read_wav

BENCHMARK = Path(__file__).resolve().parents[1] / "benchmarks" / "background_talk.py"


@pytest.fixture(scope="module")
def background_talk():
    spec = importlib.util.spec_from_file_location("background_talk", BENCHMARK)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_words_come_when_asked_with_the_talk_12_db_under_them(background_talk):
    rng = np.random.default_rng(1)
    words = (3000 * np.sin(2 * np.pi * 200 * np.arange(SAMPLE_RATE // 2) / SAMPLE_RATE)).astype(np.int16)
    talk = rng.normal(scale=500.0, size=3 * SAMPLE_RATE)
    audio = background_talk.stream(words, talk, before=1.0, after=0.5, offset=1234).astype(np.float64)
    assert len(audio) == int(1.5 * SAMPLE_RATE) + len(words)
    under = audio[:SAMPLE_RATE]  # the talk alone, before the words
    both = audio[SAMPLE_RATE:SAMPLE_RATE + len(words)]
    assert 10 * np.log10(np.mean(both ** 2) / np.mean(under ** 2)) == pytest.approx(
        10 * np.log10(1 + 10 ** (background_talk.UNDER_THE_VOICE_DB / 10)), abs=0.3)
    assert np.corrcoef(under, np.roll(talk, -1234)[:SAMPLE_RATE])[0, 1] > 0.999, "the talk starts where asked"


def test_a_stop_in_a_quiet_stream_is_heard_through_the_listener(background_talk, grammar):
    """The benchmarks' live path (``listen``), with next to no talk: the endpointer cuts the
    words out of the stream and the recognizer hears them."""
    words = read_wav(speech("stop", "hibari-heart", "clean"))
    hush = np.random.default_rng(2).normal(size=4 * SAMPLE_RATE)
    audio = background_talk.stream(words, hush, before=2.0, after=1.0, offset=0, under_db=60.0)
    heard = listen(PocketsphinxRecognizer(grammar), grammar, "guidance", audio)
    assert [u.intent for u in heard] == ["stop"], heard
