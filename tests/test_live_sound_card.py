"""A whole live session through a sound card: PulseAudio null sinks on a private socket.

The user's side is played into a virtual "room" whose monitor is the microphone; the
assistant's loudspeaker is a second sink, recorded, and looped back into the room as echo.
Another process keeps one core busy. Checks the outcome, a bare "stop", that every sentence
said was played in full, and that nothing the assistant said was heard as the user.
"""

from __future__ import annotations

import json
import shutil
import signal
import statistics
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from sound_card import SoundCardError, virtual_sound_card
from speechgen import speech

ROOT = Path(__file__).resolve().parents[1]
PLAYBACK_RATE = 22050
PAD_AFTER_SPEECH = 0.6  # speechgen pads every phrase with this much silence at the end
WAV_HEADER_BYTES = 44  # the header parec writes before the samples
pytestmark = pytest.mark.skipif(shutil.which("pulseaudio") is None or shutil.which("paplay") is None,
                                reason="PulseAudio is not installed (scripts/setup --test installs it)")


@pytest.fixture(scope="module")
def sound_card(tmp_path_factory):
    """A private PulseAudio server; yields the environment that reaches it."""
    try:
        with virtual_sound_card(tmp_path_factory.mktemp("pulse")) as env:
            yield env
    except SoundCardError as error:
        pytest.fail(str(error))


class LiveSession:
    """The assistant running live, a recorder on its loudspeaker, and a user who waits their turn."""

    def __init__(self, env: dict, folder: Path) -> None:
        self.env, self.folder = env, folder
        self.log = folder / "log.jsonl"
        self.recorder_started = time.monotonic()
        self.recorder = subprocess.Popen(["parec", "-d", "speaker.monitor", f"--rate={PLAYBACK_RATE}",
                                          "--channels=1", "--format=s16le", "--file-format=wav",
                                          str(folder / "played.wav")], env=env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voice_assistant", "run", "--engine", "pocketsphinx", "--plain",
             "--log", str(self.log), "--journal", str(folder / "journal")],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=open(folder / "stdout", "w"),
            stderr=open(folder / "stderr", "w"))
        deadline = time.monotonic() + 30
        while not self.records():
            assert time.monotonic() < deadline and self.process.poll() is None, (folder / "stderr").read_text()
            time.sleep(0.05)
        self.zero = time.monotonic() - self.records()[0]["t"]
        self.speech_ended: list[float] = []

    def records(self) -> list[dict]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line.endswith("}")]

    def now(self) -> float:
        return time.monotonic() - self.zero

    def wait_until_quiet(self, timeout: float = 60.0) -> None:
        """Until the assistant's sentences are over, as scheduled and as heard: a sentence can
        start playing late (a new stream on a busy machine), and a person waits for it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            says = [r for r in self.records() if r["type"] == "say"]
            if self.now() > max((r["start"] + r["seconds"] for r in says), default=0.0) + 0.8 \
                    and self.loudspeaker_quiet_for(0.8):
                return
            time.sleep(0.1)
        raise AssertionError("the assistant never stopped talking")

    def loudspeaker_quiet_for(self, seconds: float) -> bool:
        """Whether the last ``seconds`` recorded from the loudspeaker are silence (the recorder
        writes as it goes: the null sink never suspends, so silence is recorded too)."""
        data = (self.folder / "played.wav").read_bytes()[WAV_HEADER_BYTES:]
        tail = np.frombuffer(data[:len(data) // 2 * 2], dtype=np.int16)[-int(seconds * PLAYBACK_RATE):]
        return len(tail) == int(seconds * PLAYBACK_RATE) and float(np.sqrt(np.mean(tail.astype(np.float64) ** 2))) < 100

    def user_says(self, text: str) -> None:
        self.wait_until_quiet()
        subprocess.run(["paplay", "--device=room", str(speech(text))], env=self.env, check=True)
        self.speech_ended.append(self.now() - PAD_AFTER_SPEECH)
        time.sleep(0.8)

    def stop(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text() if self.process.poll() is None else ""
        self.peak_memory_mb = next((int(line.split()[1]) / 1024 for line in status.splitlines()
                                    if line.startswith("VmHWM:")), float("nan"))
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=30)
        self.recorder.terminate()
        self.recorder.wait(timeout=10)
        return code

    def played(self) -> np.ndarray:
        with wave.open(str(self.folder / "played.wav")) as file:
            return np.frombuffer(file.readframes(file.getnframes()), dtype=np.int16)


def sounding(samples: np.ndarray, rate: int, reach: float = 0.3) -> np.ndarray:
    """For each 10 ms of the recording: is there sound within ``reach`` seconds (pauses between words count)."""
    block = rate // 100
    blocks = samples[: len(samples) // block * block].reshape(-1, block).astype(np.float64)
    loud = np.sqrt(np.mean(blocks ** 2, axis=1)) > 100
    spread = int(reach * 100)
    return np.convolve(loud, np.ones(2 * spread + 1), mode="same") > 0


@pytest.fixture
def busy_core():
    """Another program keeping one core busy for the whole test."""
    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    yield
    burner.kill()
    burner.wait()


def test_a_whole_live_session_with_echo_and_a_busy_core(sound_card, tmp_path, busy_core):
    said = ["I'm having a back spasm", "no", "nope", "no", "not really", "no", "no", "start the ice timer", "stop"]
    session = LiveSession(sound_card, tmp_path)
    try:
        for text in said:
            session.user_says(text)
        session.wait_until_quiet()
    finally:
        code = session.stop()
    records = session.records()
    assert code == 128 + signal.SIGTERM and records[-1]["type"] == "stopped", (tmp_path / "stderr").read_text()
    heard = [r for r in records if r["type"] == "heard"]
    assert [r["intent"] for r in heard] == ["start_guidance", *["no"] * 6, "start_ice_timer", "stop"], \
        "each utterance heard once, and nothing the assistant said heard as the user"
    triage = [r for r in records if r["type"] == "triage"]
    assert triage[-1]["disposition"] == "self_care"
    assert any(r["type"] == "session_ended" for r in records), "a bare 'stop' ended the session"

    # Every sentence said was played in full: the loudspeaker's recording has sound throughout
    # each one. The recording is lined up with the session clock once, for the whole session
    # (where the recorder's first sample falls is not known exactly); a sentence that slipped
    # later, or lost audio, would then fall outside its window, so "speaking_until" is
    # measured here, not assumed.
    playback = sounding(session.played(), PLAYBACK_RATE)
    says = [r for r in records if r["type"] == "say" and r["start"] + r["seconds"] < session.now()]
    total = sum(int(r["seconds"] * 100) for r in says)

    def covered(offset: float) -> int:
        return sum(int(playback[max(0, int((r["start"] + offset) * 100)):][:int(r["seconds"] * 100)].sum())
                   for r in says)

    guess = session.zero - session.recorder_started
    offset = max((guess + step / 100 for step in range(-300, 300, 2)), key=covered)
    played = covered(offset) / total
    assert played >= 0.97, f"{played:.1%} of the speech was played"

    # Turn latency: the end of the user's words to the start of the reply (printed; loosely held).
    latencies = []
    for ended, record in zip(session.speech_ended, heard):
        reply = [r["start"] for r in records if r["type"] == "say" and r["t"] >= record["t"]]
        if reply:
            latencies.append(reply[0] - ended)
    print(f"live turn latency: median {statistics.median(latencies) * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms over {len(latencies)} turns; "
          f"{played:.1%} of {total / 100:.0f} s of speech played; peak memory {session.peak_memory_mb:.0f} MB")
    assert statistics.median(latencies) < 1.5
