"""End to end: a recorded user talks the whole session through ``run --input --speak-to``.

The user's side is natural (piper) speech laid out as one recording with the pauses a
person would leave; the assistant's side is rendered by its own voice into numbered WAVs.
A second pass mixes the assistant's rendered speech back into the microphone signal, as a
loudspeaker in the same room would, and must change nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from speechgen import speech
from voice_assistant.audio.wav import SAMPLE_RATE, read_wav, write_wav
from voice_assistant.cli import main

ROOM_NOISE_RMS = 30.0

# (seconds of quiet before the words, words). The pauses leave room for the assistant's
# longest turns: the opening with the first question, and the outcome with the first step.
SELF_CARE = [(1.0, "my back is spasming"), (32.0, "no"), (9.0, "nope"), (9.0, "no"), (9.0, "not really"),
             (9.0, "no"), (11.0, "no I haven't"), (34.0, "start the ice timer")]
SEE_DOCTOR = [(1.0, "I'm having a back spasm"), (32.0, "no"), (9.0, "yes I did"), (9.0, "no"), (9.0, "no"),
              (9.0, "no"), (11.0, "no")]
EMERGENCY = [(1.0, "my back is spasming"), (32.0, "yes"), (20.0, "say that again")]


def recording(turns: list[tuple[float, str]], tail_seconds: float, seed: int = 0) -> np.ndarray:
    """One recording of the user's side: quiet room noise with the phrases in it."""
    rng = np.random.default_rng(seed)
    parts = []
    for quiet, text in turns:
        parts.append(np.zeros(int(quiet * SAMPLE_RATE)))
        parts.append(read_wav(speech(text)).astype(np.float64))
    parts.append(np.zeros(int(tail_seconds * SAMPLE_RATE)))
    audio = np.concatenate(parts)
    audio += rng.normal(scale=ROOM_NOISE_RMS, size=len(audio))
    return np.clip(audio, -32768, 32767).astype(np.int16)


def run_recording(tmp_path: Path, name: str, audio: np.ndarray) -> tuple[list[dict], Path]:
    wav = tmp_path / f"{name}.wav"
    write_wav(wav, audio)
    log = tmp_path / f"{name}.jsonl"
    spoken = tmp_path / f"{name}-said"
    code = main(["run", "--input", str(wav), "--engine", "pocketsphinx", "--speak-to", str(spoken),
                 "--log", str(log), "--journal", str(tmp_path / f"{name}-journal")])
    assert code == 0
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()], spoken


def of_type(records: list[dict], type_: str) -> list[dict]:
    return [r for r in records if r["type"] == type_]


def with_echo(audio: np.ndarray, records: list[dict], spoken: Path, gain: float = 0.5) -> np.ndarray:
    """The recording as a microphone would hear it with the assistant talking in the room."""
    mixed = audio.astype(np.float64)
    for say in of_type(records, "say"):
        echo = read_wav(spoken / say["file"]).astype(np.float64) * gain
        start = int(say["start"] * SAMPLE_RATE)
        end = min(len(mixed), start + len(echo))
        mixed[start:end] += echo[: end - start]
    return np.clip(mixed, -32768, 32767).astype(np.int16)


def decisions(records: list[dict]) -> list[tuple]:
    """What the assistant understood and did, without the wording."""
    kept = []
    for record in records:
        if record["type"] == "heard" and record["intent"] is not None:
            kept.append(("heard", record["intent"], round(record["t"], 1)))
        elif record["type"] in ("triage", "timer_started", "timer_expired"):
            kept.append((record["type"], record.get("disposition") or record.get("name"), round(record["t"], 1)))
    return kept


@pytest.fixture(scope="module")
def self_care_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("self-care")
    audio = recording(SELF_CARE, tail_seconds=16 * 60)
    records, spoken = run_recording(tmp_path, "first", audio)
    return tmp_path, audio, records, spoken


def test_a_recorded_self_care_session_ends_with_the_ice_timer_on_time(self_care_run):
    _, _, records, _ = self_care_run
    heard = [r["intent"] for r in of_type(records, "heard") if r["intent"]]
    assert heard == ["start_guidance"] + ["no"] * 6 + ["start_ice_timer"]
    assert [r["disposition"] for r in of_type(records, "triage")] == ["self_care"]
    (started,) = of_type(records, "timer_started")
    (expired,) = of_type(records, "timer_expired")
    assert started["name"] == expired["name"] == "ice"
    assert abs(expired["t"] - (started["t"] + started["seconds"])) < 0.1


def test_every_sentence_is_one_audible_file_in_the_order_of_the_log(self_care_run):
    _, _, records, spoken = self_care_run
    says = of_type(records, "say")
    assert [say["file"] for say in says] == sorted(path.name for path in spoken.iterdir())
    assert any(say["kind"] == "alert" for say in says), "the expiry alert is spoken"
    for say in says:
        audio = read_wav(spoken / say["file"]).astype(np.float64)
        assert len(audio) / SAMPLE_RATE == pytest.approx(say["seconds"], abs=0.01)
        assert np.sqrt(np.mean(audio ** 2)) > 300, f"{say['file']} is silent"


def test_speech_is_queued_never_overlapping(self_care_run):
    _, _, records, _ = self_care_run
    says = of_type(records, "say")
    for before, after in zip(says, says[1:]):
        assert after["start"] >= before["start"] + before["seconds"] - 2e-3
        assert after["start"] >= after["t"] - 1e-3


def test_the_assistant_does_not_hear_itself(self_care_run):
    tmp_path, audio, records, spoken = self_care_run
    echoed, _ = run_recording(tmp_path, "echoed", with_echo(audio, records, spoken))
    assert decisions(echoed) == decisions(records)


@pytest.mark.parametrize("turns, disposition", [(SEE_DOCTOR, "see_doctor"), (EMERGENCY, "emergency")])
def test_recorded_sessions_reach_the_right_outcome(tmp_path, turns, disposition):
    records, _ = run_recording(tmp_path, "run", recording(turns, tail_seconds=20))
    assert [r["disposition"] for r in of_type(records, "triage")] == [disposition]
    if disposition == "emergency":
        assert of_type(records, "heard")[-1]["intent"] == "repeat"
        assert not of_type(records, "timer_started")
