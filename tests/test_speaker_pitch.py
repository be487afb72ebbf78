"""The speaker's pitch, on made tones and on the corpus voices, and the warp it calls for."""

from __future__ import annotations

import numpy as np
import pytest

from speech_corpus import IN_GRAMMAR
from speechgen import speech
from voice_assistant.asr.speaker_pitch import (HIGH_VOICE_PITCH, HIGH_VOICE_WARP, MODEL_WARP, SETTLED_UTTERANCES,
                                               PitchTrack, SpeakerPitch, voice_pitch, warp_for)
from voice_assistant.asr.noise_floor import LOOKAHEAD, NoiseFloor
from voice_assistant.audio.wav import SAMPLE_RATE, read_wav


def voiced(pitch: float, seconds: float = 0.5) -> np.ndarray:
    """A buzz at ``pitch`` with falling harmonics, as a vowel's source is."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    wave = sum(np.sin(2 * np.pi * pitch * k * t) / k for k in range(1, 12))
    return (3000 * wave).astype(np.int16)


def brown_noise(length: int, seed: int = 1) -> np.ndarray:
    """A fan's rumble, as tests/speechgen.py makes it."""
    hum = np.cumsum(np.random.default_rng(seed).normal(size=length))
    return hum - np.convolve(hum, np.ones(400) / 400, mode="same")


@pytest.mark.parametrize("pitch", [85.0, 110.0, 160.0, 220.0, 300.0])
def test_the_pitch_of_a_buzz_is_found(pitch):
    assert voice_pitch(voiced(pitch)) == pytest.approx(pitch, rel=0.03)


def test_a_pitch_followed_while_it_streams_is_the_pitch_of_the_whole():
    audio = read_wav(speech("I think I threw my back out", "hibari-heart"))
    track = PitchTrack()
    for start in range(0, len(audio), 1234):
        track.push(audio[start:start + 1234])
    assert track.pitch() == voice_pitch(audio) and track.pitch() > HIGH_VOICE_PITCH


def test_silence_hiss_and_a_short_blip_have_no_pitch():
    assert voice_pitch(np.zeros(SAMPLE_RATE, dtype=np.int16)) is None
    assert voice_pitch(np.random.default_rng(1).normal(scale=500, size=SAMPLE_RATE).astype(np.int16)) is None
    assert voice_pitch(voiced(120.0, seconds=0.03)) is None


def test_a_rumble_louder_than_the_voice_does_not_pass_for_a_high_pitch():
    """Brown noise has most of its power at the lowest frequencies; taken as power, its
    correlation falls from the shortest lag on, and a man's voice read as 350 Hz."""
    voice = voiced(110.0, seconds=1.0).astype(np.float64)
    noise = brown_noise(len(voice))
    noise *= np.sqrt(np.mean(voice ** 2) / np.mean(noise ** 2))
    assert voice_pitch(voice + noise / 4) == pytest.approx(110.0, rel=0.05), "12 dB under the voice, as the fan"
    for loudness in (1, 4):  # as loud as the voice, and twice as loud
        pitch = voice_pitch(voice + loudness * noise)
        assert pitch is None or pitch == pytest.approx(110.0, rel=0.05), "no pitch, or the voice's"


def median_pitch(voice: str, room: str = "clean") -> float:
    pitches = [voice_pitch(read_wav(speech(text, voice, room))) for _, text, _ in IN_GRAMMAR[:8]]
    return float(np.median([p for p in pitches if p is not None]))


@pytest.mark.parametrize("voice, warp", [
    *[(voice, MODEL_WARP) for voice in ("piper-joe", "joe-high", "espeak-us", "festival-kal", "festival-ked")],
    *[(voice, HIGH_VOICE_WARP) for voice in ("espeak-f4", "hibari-heart", "hibari-low", "festival-slt", "espeak-f2",
                                             "slt-high", "joe-woman", "kal-woman")],
])
def test_men_are_heard_as_the_model_was_trained_and_women_at_the_high_warp(voice, warp):
    assert warp_for(median_pitch(voice)) == warp


def test_a_man_over_a_fan_is_still_a_low_voice():
    audio = read_wav(speech("I think I threw my back out", "piper-joe")).astype(np.float64)
    noise = brown_noise(len(audio))
    noise *= np.sqrt(np.mean(audio ** 2) / np.mean(noise ** 2)) / 4  # 12 dB under the voice
    assert voice_pitch(audio + noise) < HIGH_VOICE_PITCH


def test_a_man_with_a_woman_on_the_television_behind_him_is_still_a_low_voice():
    """The television (slt reading the news, 12 dB under him) is periodic all through, his
    voice only while he speaks: only the loudest frames tell whose pitch it is."""
    assert median_pitch("piper-joe", "tv") < HIGH_VOICE_PITCH
    assert median_pitch("festival-kal", "tv") < HIGH_VOICE_PITCH


def test_the_speaker_s_pitch_is_the_median_of_the_latest_understood():
    speaker = SpeakerPitch()
    opening = voiced(210.0)
    assert speaker.for_utterance(opening) == pytest.approx(210.0, rel=0.03), "until one is understood, the opening says"
    speaker.understood(None)  # no pitch heard: nothing to settle
    assert speaker.for_utterance(voiced(110.0)) == pytest.approx(110.0, rel=0.03)
    for pitch in (110.0, 115.0, 300.0):  # one odd utterance cannot move it
        speaker.understood(pitch)
    assert speaker.for_utterance(opening) == 115.0
    for _ in range(SETTLED_UTTERANCES):  # a new speaker takes over
        speaker.understood(220.0)
    assert speaker.for_utterance(voiced(110.0)) == 220.0


def test_the_warp_follows_the_pitch():
    assert warp_for(None) == MODEL_WARP
    assert warp_for(HIGH_VOICE_PITCH - 1) == MODEL_WARP
    assert warp_for(HIGH_VOICE_PITCH) == HIGH_VOICE_WARP


@pytest.mark.parametrize("voice, room", [("kal-woman", "hiss"), ("joe-woman", "hiss"), ("piper-joe", "hiss")])
def test_over_a_hiss_where_speech_stands_clear_tells_the_speaker_s_pitch(voice, room):
    """The hiss is louder than the level at which sound is taken to begin, so the first 0.3 s of
    sound is the room alone, with no pitch; 0.3 s either side of where speech stood clear of
    the room tell a woman from a man, and a session's first words wait for that."""
    for text in ("I think I threw my back out", "my back went into spasm", "start the ice timer"):
        audio = read_wav(speech(text, voice, room))
        floor = NoiseFloor()
        held = floor.push(audio)
        assert floor.onset == 0, "the hiss itself reached the onset level"
        assert voice_pitch(held[:LOOKAHEAD]) is None
        clear = floor.clear_onset
        assert warp_for(voice_pitch(held[max(0, clear - LOOKAHEAD):clear + LOOKAHEAD])) == warp_for(median_pitch(voice))
