"""The mean an utterance's searches start from: its opening, and the session's settled mean."""

from __future__ import annotations

import numpy as np

from voice_assistant.asr.cepstral_mean import (LATEST_WEIGHT, OPENING_WEIGHT, SessionMean, parse, render,
                                                with_whole_recording)


def test_until_something_is_understood_the_opening_is_the_mean():
    opening = np.array([50.0, -3.0, 2.0])
    assert np.array_equal(SessionMean().for_utterance(opening), opening)


def test_the_opening_is_blended_with_what_the_session_has_understood():
    mean = SessionMean()
    mean.understood(np.array([60.0, 0.0]))
    blended = mean.for_utterance(np.array([40.0, 10.0]))
    assert np.allclose(blended, OPENING_WEIGHT * np.array([40.0, 10.0]) + (1 - OPENING_WEIGHT) * np.array([60.0, 0.0]))
    assert 40.0 < blended[0] < 60.0 and 0.0 < blended[1] < 10.0


def test_the_settled_mean_follows_the_latest_utterances():
    mean = SessionMean()
    for whole in ([60.0], [50.0], [50.0], [50.0]):
        mean.understood(np.array(whole))
    expected = 50.0 + 10.0 * (1 - LATEST_WEIGHT) ** 3
    assert np.allclose(mean.settled, [expected])
    assert 50.0 < mean.settled[0] < 60.0, "an older utterance still counts, less than the latest"


def test_a_mean_goes_to_pocketsphinx_and_back_unchanged():
    text = "45.640,2.410,-2.480,0.250"
    assert render(parse(text)) == text


def test_a_whole_recording_moves_its_openings_mean_a_quarter_of_the_way():
    blended = with_whole_recording(np.array([40.0, 8.0]), np.array([60.0, 0.0]))
    assert np.allclose(blended, [45.0, 6.0])
