"""The noise floor pocketsphinx hears under an utterance: level, timing and repeatability."""

from __future__ import annotations

import numpy as np
import pytest

from voice_assistant.asr.noise_floor import (FLOOR_DB, LEVEL_BLOCK, LONGEST_WAIT, LOOKAHEAD, MIN_NOISE, ONSET_RMS,
                                             NoiseFloor)


def utterance(silence: float = 0.4, speech: float = 0.5, level: float = 3000.0) -> np.ndarray:
    """Digital silence, then a tone standing in for speech, then silence (16 kHz int16)."""
    tone = level * np.sqrt(2) * np.sin(2 * np.pi * 220 * np.arange(int(16000 * speech)) / 16000)
    quiet = np.zeros(int(16000 * silence))
    return np.concatenate([quiet, tone, quiet]).astype(np.int16)


def stream(floor: NoiseFloor, audio: np.ndarray, chunk: int = 480) -> tuple[list[int], np.ndarray]:
    floor.begin()
    sizes, pieces = [], []
    for start in range(0, len(audio), chunk):
        out = floor.push(audio[start:start + chunk])
        sizes.append(len(out))
        pieces.append(out)
    pieces.append(floor.flush())
    return sizes, np.concatenate(pieces)


def test_the_silence_before_a_word_gets_the_floor_the_word_needs():
    audio = utterance(level=3000.0)
    _, out = stream(NoiseFloor(), audio)
    assert len(out) == len(audio)
    lead = out[:6000].astype(np.float64)  # the digital silence before the tone
    expected = 3000.0 * 10 ** (-FLOOR_DB / 20)
    assert np.std(lead) == pytest.approx(expected, rel=0.1)


def test_the_floor_follows_the_speech_level_and_never_falls_below_rounding():
    _, loud = stream(NoiseFloor(), utterance(level=8000.0))
    _, quiet = stream(NoiseFloor(), utterance(level=200.0))
    assert np.std(loud[:6000]) / np.std(quiet[:6000]) == pytest.approx(40.0, rel=0.15)
    _, silent = stream(NoiseFloor(), np.zeros(16000, dtype=np.int16))
    assert np.std(silent) == pytest.approx(MIN_NOISE, rel=0.1)


def test_audio_is_held_only_until_enough_speech_is_heard():
    sizes, _ = stream(NoiseFloor(), utterance(silence=0.4, speech=1.0))
    first = next(i for i, size in enumerate(sizes) if size)
    heard = (first + 1) * 480  # samples pushed when the first audio went on
    assert 6400 + LOOKAHEAD <= heard <= 6400 + LOOKAHEAD + 960, "held through the onset and lookahead"
    assert sizes[first] == heard, "everything held goes on at once"
    assert all(size == 480 for size in sizes[first + 1:]), "then it streams as it comes"


def test_the_same_recording_always_gets_the_same_noise():
    floor = NoiseFloor()
    audio = utterance()
    first = stream(floor, audio)[1]
    assert np.array_equal(first, stream(floor, audio, chunk=1600)[1]), "chunking does not change it"
    assert np.array_equal(first, stream(floor, audio)[1]), "nor what came before"


@pytest.mark.parametrize("chunk", [160, 480, 1600, 7000])
def test_the_onset_is_where_speech_began_however_the_audio_is_chunked(chunk):
    floor = NoiseFloor()
    stream(floor, utterance(silence=0.4), chunk=chunk)
    assert floor.onset == 6400
    stream(floor, np.zeros(8000, dtype=np.int16), chunk=chunk)
    assert floor.onset is None, "no speech, no onset; and the last utterance's is forgotten"


def in_a_room(audio: np.ndarray, room_rms: float, seed: int = 3) -> np.ndarray:
    """``audio`` with a steady room noise of ``room_rms`` under it from the first sample."""
    noise = np.random.default_rng(seed).normal(scale=room_rms, size=len(audio))
    return np.clip(audio + noise, -32768, 32767).astype(np.int16)


@pytest.mark.parametrize("chunk", [160, 480, 1600])
def test_in_a_room_louder_than_the_onset_level_speech_begins_where_it_stands_clear(chunk):
    """A fan or hiss above ``ONSET_RMS`` from the first sample: where speech stands clear of it
    is still the word's, so the speaker's pitch can be told from speech and not the room."""
    floor = NoiseFloor()
    stream(floor, in_a_room(utterance(silence=0.5), room_rms=4 * ONSET_RMS), chunk=chunk)
    assert floor.clear_onset == 8000
    assert floor.onset == 0, "the room itself reached the onset level at once"


def test_speech_from_the_first_sample_stands_clear_there_once_a_second_has_passed():
    """No room before the word to compare with: after ``LONGEST_WAIT`` the first loud block is
    taken; the audio itself went on after the lookahead, as ever."""
    tone = utterance(silence=0.0, speech=2.0)
    floor = NoiseFloor()
    sizes, out = stream(floor, tone)
    assert floor.clear_onset == 0 and len(out) == len(tone)
    assert next(i for i, size in enumerate(sizes) if size) * 480 < LOOKAHEAD + 480
    floor.begin()
    floor.push(tone[:LONGEST_WAIT - LEVEL_BLOCK])
    assert floor.clear_onset is None, "not before a second has passed"
    floor.push(tone[LONGEST_WAIT - LEVEL_BLOCK:LONGEST_WAIT + LEVEL_BLOCK])
    assert floor.clear_onset == 0, "nor after, the utterance still going on"


def test_a_word_that_ends_before_it_stands_clear_of_the_room_still_gets_a_clear_onset():
    floor = NoiseFloor()
    word = in_a_room(utterance(silence=0.02, speech=0.05), room_rms=2 * ONSET_RMS)[:1000]
    sizes, out = stream(floor, word)
    assert not any(sizes) and len(out) == len(word), "all of it goes on at the end"
    assert floor.clear_onset is not None
