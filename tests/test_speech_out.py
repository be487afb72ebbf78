"""Speech out: the voice, the speakers, countdown timing, and failing cleanly without sound."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from voice_assistant.app import COUNT_LATE_SECONDS, Assistant
from voice_assistant.runners import advance
from voice_assistant.audio.devices import live_audio_problem
from voice_assistant.clock import VirtualClock
from voice_assistant.cli import main
from voice_assistant.dialog import Dialog
from voice_assistant.errors import UserFacingError
from voice_assistant.events import ALERT, COUNT
from voice_assistant.speech import Spoken, VoiceSpeaker, WavFolder
from voice_assistant.speech.voice import Pyttsx3Voice, VoiceSettings

from conftest import of_type

ROOT = Path(__file__).resolve().parents[1]

NO_SOUND_CARD = live_audio_problem() is not None
SELF_CARE = ["my back is spasming"] + ["no"] * 6


@pytest.fixture(scope="module")
def voice():
    rendered = Pyttsx3Voice(VoiceSettings())
    yield rendered
    rendered.close()


class SlowSpeaker:
    """A speaker (faked at the edge) whose every sentence takes a fixed time."""

    delay = 0.0

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.said: list[tuple[str, str]] = []

    def say(self, text: str, kind: str) -> Spoken:
        self.said.append((text, kind))
        return Spoken(self.seconds)

    def unplayed_seconds(self) -> float:
        return 0.0

    def close(self) -> None:
        pass


class Records(list):
    def write(self, record: dict) -> None:
        self.append(record)


def scripted_assistant(content, grammar, speaker) -> tuple[Assistant, VirtualClock, Records]:
    clock = VirtualClock()
    records = Records()
    return Assistant(Dialog(content), grammar, speaker, clock, [records]), clock, records


def test_the_voice_renders_audible_speech_without_a_long_closing_pause(voice):
    audio = voice.render("Say stop when you're done.")
    assert audio.rate == 22_050 and 1.0 < audio.seconds < 4.0
    loud = np.flatnonzero(np.abs(audio.samples.astype(np.int32)) > 200)
    assert len(loud) and (len(audio.samples) - loud[-1]) / audio.rate < 0.1


RENDER_IN_A_FRESH_PROCESS = """
import json, sys, time
import pyttsx3.drivers.espeak as espeak_driver
from voice_assistant.speech.voice import Pyttsx3Voice, VoiceSettings

synthesize = espeak_driver.EspeakDriver._onSynth
def on_a_busy_machine(self, *args):
    time.sleep(0.005)  # each block of audio arrives late, as on a loaded machine
    return synthesize(self, *args)
if sys.argv[1] == "slow":
    espeak_driver.EspeakDriver._onSynth = on_a_busy_machine
voice = Pyttsx3Voice(VoiceSettings())
print(json.dumps([len(voice.render(text).samples) for text in sys.argv[2:]]))
"""


def test_a_slow_synthesizer_is_waited_for_so_no_sentence_is_lost_or_cut():
    # espeak-ng renders on its own thread; pyttsx3 can return before it is done. Both runs are
    # fresh processes: espeak-ng's settings are process-wide, so another voice made earlier in
    # the test process could change what a sentence sounds like here.
    sentences = ["Lie flat on the floor.", "Ten.", "Do you have numbness in your groin or inner thighs?"]
    lengths = {}
    for pace in ("slow", "normal"):
        done = subprocess.run([sys.executable, "-c", RENDER_IN_A_FRESH_PROCESS, pace, *sentences], capture_output=True,
                              text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=120)
        assert done.returncode == 0, done.stderr
        lengths[pace] = json.loads(done.stdout)
    for text, slow, normal in zip(sentences, lengths["slow"], lengths["normal"]):
        assert slow == pytest.approx(normal, rel=0.02), text


def test_an_alert_opens_with_a_chime(voice, tmp_path):
    speaker = VoiceSpeaker(voice, WavFolder(tmp_path))
    plain = speaker.say("Time's up.", "speech")
    alert = speaker.say("Time's up.", ALERT)
    assert alert.seconds > plain.seconds + 0.4
    assert sorted(p.name for p in tmp_path.iterdir()) == ["00001-speech.wav", "00002-alert.wav"]


def test_a_wav_folder_deletes_nothing_and_numbers_after_what_is_there(voice, tmp_path):
    (tmp_path / "00007-speech.wav").write_bytes(b"old")
    (tmp_path / "notes.txt").write_text("mine")
    spoken = VoiceSpeaker(voice, WavFolder(tmp_path)).say("Hello.", "speech")
    assert spoken.file == "00008-speech.wav"
    assert (tmp_path / "00007-speech.wav").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["00007-speech.wav", "00008-speech.wav", "notes.txt"]


@pytest.mark.parametrize("stretch", ["knee to chest", "pelvic tilt"])
def test_countdown_numbers_land_on_their_second_with_the_real_voice(tmp_path, capsys, stretch):
    script = tmp_path / "s.txt"
    script.write_text("\n".join(SELF_CARE + [f"start {stretch}", "/wait 200"]) + "\n")
    log = tmp_path / "log.jsonl"
    assert main(["run", "--script", str(script), "--speak-to", str(tmp_path / "said"), "--log", str(log),
                 "--journal", str(tmp_path / "j")]) == 0
    records = [json.loads(line) for line in log.read_text().splitlines()]
    counts = [r for r in of_type(records, "say") if r["kind"] == COUNT]
    assert counts and not of_type(records, "countdown_skipped")
    assert all(abs(r["start"] - r["t"]) < 1e-6 for r in counts), "every number starts on its second"
    numbers = [r["start"] for r in counts if r["text"].isdigit()]
    gaps = np.diff(numbers)
    within_a_hold = gaps[gaps < 2]
    assert len(within_a_hold) >= len(numbers) // 2, "numbers follow each other within each hold"
    assert np.allclose(within_a_hold, 1.0), "consecutive numbers are one second apart"
    assert any(r["type"] == "countdown" and r["step"] == "done" for r in records)


def test_a_number_that_would_overrun_is_skipped_not_delayed(content, grammar):
    speaker = SlowSpeaker(seconds=1.6)  # every number outlasts the next second
    assistant, clock, records = scripted_assistant(content, grammar, speaker)
    assistant.start()
    for line in SELF_CARE + ["start knee to chest"]:
        assistant.hear_text(line)
    advance(assistant, clock, clock.now() + 400)
    said = [r for r in records if r["type"] == "say" and r["kind"] == COUNT]
    skipped = of_type(records, "countdown_skipped")
    assert said and skipped
    assert all(r["start"] - r["t"] <= COUNT_LATE_SECONDS for r in said)


def test_a_timer_alert_waits_for_the_end_of_the_sentence(content, grammar):
    speaker = SlowSpeaker(seconds=10.0)
    assistant, clock, records = scripted_assistant(content, grammar, speaker)
    assistant.start()
    for line in SELF_CARE + ["set a timer for 1 minute"]:
        assistant.hear_text(line)
    started = of_type(records, "timer_started")[0]
    advance(assistant, clock, started["t"] + 55)
    assistant.hear_text("how much time is left")  # a long answer is still being said at expiry
    busy_until = assistant.speaking_until
    advance(assistant, clock, started["t"] + 70)
    expired = of_type(records, "timer_expired")[0]
    alert = next(r for r in of_type(records, "say") if r["kind"] == ALERT)
    assert expired["t"] == pytest.approx(started["t"] + 60), "the timer runs out on time"
    assert alert["start"] == pytest.approx(busy_until), "its alert follows the sentence in progress"


def test_silence_is_counted_from_the_end_of_speech(content, grammar):
    speaker = SlowSpeaker(seconds=8.0)
    assistant, clock, records = scripted_assistant(content, grammar, speaker)
    assistant.start()
    assistant.hear_text("my back is spasming")
    end_of_speech = assistant.speaking_until
    advance(assistant, clock, end_of_speech + 29)
    assert not of_type(records, "silence")
    advance(assistant, clock, end_of_speech + 31)
    assert len(of_type(records, "silence")) == 1


@pytest.mark.skipif(not NO_SOUND_CARD, reason="this machine has a sound card")
def test_run_without_a_sound_card_fails_in_one_line_with_the_fix():
    result = subprocess.run([sys.executable, "-m", "voice_assistant", "run"], capture_output=True, text=True,
                            timeout=60)
    assert result.returncode != 0
    assert result.stderr.count("\n") == 1 and "--text" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.skipif(not NO_SOUND_CARD, reason="this machine has a sound card")
def test_no_loudspeaker_names_the_fix():
    from voice_assistant.speech import Loudspeaker

    with pytest.raises(UserFacingError, match="--speak-to"):
        Loudspeaker(22_050)


@pytest.mark.skipif(not NO_SOUND_CARD, reason="this machine has a sound card")
def test_plain_start_falls_back_to_text_mode_and_says_why(tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path)}
    result = subprocess.run([sys.executable, "-m", "voice_assistant"], input="my back is spasming\n",
                            capture_output=True, text=True, timeout=60, env=env)
    assert result.returncode == 0
    assert "text mode" in result.stderr and "assistant: " in result.stdout


def test_missing_espeak_is_one_line_naming_the_install(monkeypatch, tmp_path, capsys):
    import pyttsx3

    def no_library(*args, **kwargs):
        raise OSError("libespeak-ng.so.1: cannot open shared object file")

    monkeypatch.setattr(pyttsx3, "init", no_library)
    script = tmp_path / "s.txt"
    script.write_text("my back is spasming\n")
    code = main(["run", "--script", str(script), "--speak-to", str(tmp_path / "said"),
                 "--journal", str(tmp_path / "j")])
    err = capsys.readouterr().err
    assert code != 0 and err.count("\n") == 1 and "apt-get install espeak-ng" in err
    assert not (tmp_path / "j").exists(), "nothing is written when the voice cannot start"


def test_ctrl_c_ends_the_session_cleanly(tmp_path):
    log = tmp_path / "log.jsonl"
    # As in a terminal: a shell starts background jobs with Ctrl-C ignored, and a test run
    # from one would hand that on (the assistant does not override it).
    process = subprocess.Popen(
        [sys.executable, "-m", "voice_assistant", "run", "--text", "--log", str(log), "--journal", str(tmp_path / "j")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    assert process.stdin is not None
    process.stdin.write("my back is spasming\nno\nno\nno\nno\nno\nno\nstart the heat timer\n")
    process.stdin.flush()
    deadline = time.monotonic() + 30
    while not (log.exists() and "timer_started" in log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    records = [json.loads(line) for line in log.read_text().splitlines()]
    assert process.returncode == 130 and "Traceback" not in err and err.strip().endswith("stopped.")
    assert records[-1]["type"] == "stopped"
    saved = json.loads((tmp_path / "j" / "timers.json").read_text())
    assert [t["name"] for t in saved["timers"]] == ["heat"], "the running timer is kept for the next start"


class FakeOutputStream:
    """sounddevice.OutputStream at the edge: the test pulls audio as a sound card would."""

    def __init__(self, samplerate, channels, dtype, device, callback, latency=None):
        self.samplerate, self.callback = samplerate, callback
        self.latency = 0.04  # once open, sounddevice reports the latency it got, in seconds
        self.started = self.closed = False

    def start(self):
        self.started = True

    def stop(self):
        pass

    def close(self):
        self.closed = True

    def pull(self, frames: int, status=None) -> np.ndarray:
        out = np.ones((frames, 1), dtype=np.int16)
        self.callback(out, frames, None, status)
        return out[:, 0].copy()


def test_the_loudspeaker_plays_sentences_in_order_and_stops_on_request(monkeypatch):
    import types

    from voice_assistant.audio import devices
    from voice_assistant.speech import Loudspeaker
    from voice_assistant.speech.voice import Audio

    streams = []

    def make_stream(**kwargs):
        streams.append(FakeOutputStream(**kwargs))
        return streams[-1]

    monkeypatch.setattr(devices, "sounddevice_module", lambda: types.SimpleNamespace(OutputStream=make_stream))
    speaker = Loudspeaker(1000)
    assert speaker.delay == 0.04, "the stream's latency is how late each sentence starts"
    speaker.put(Audio(np.full(300, 5, dtype=np.int16), 1000), "speech")
    speaker.put(Audio(np.full(200, 7, dtype=np.int16), 1000), "speech")
    assert speaker.unplayed_seconds() == pytest.approx(0.5)
    played = np.concatenate([streams[0].pull(256), streams[0].pull(256)])
    assert list(played[:300]) == [5] * 300 and list(played[300:500]) == [7] * 200
    assert not played[500:].any(), "silence once the queue is empty"
    speaker.put(Audio(np.arange(1, 301, dtype=np.int16), 1000), "speech")
    starved = types.SimpleNamespace(output_underflow=True)
    for _ in range(200):  # a starved stream calling back in a rush
        assert not streams[0].pull(256, starved).any()
    assert list(streams[0].pull(300)) == list(range(1, 301)), "the speech resumes where it was, whole"
    assert speaker.underflows == 200
    speaker.put(Audio(np.full(2000, 9, dtype=np.int16), 2000), "alert")  # resampled to the stream's rate
    assert speaker.unplayed_seconds() == pytest.approx(1.0, abs=0.01)
    began = time.monotonic()
    speaker.close(drain=False)
    assert time.monotonic() - began < 0.5 and streams[0].closed


def test_the_piper_voice_speaks_words_a_recognizer_understands(tmp_path, grammar):
    from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer
    from voice_assistant.audio.wav import read_wav, write_wav
    from voice_assistant.speech.voice import PiperVoice
    from voice_assistant.transcribe import recognise

    audio = PiperVoice(VoiceSettings(voice="piper")).render("start the ice timer")
    assert audio.rate == 22050 and 0.8 < audio.seconds < 3.0
    path = tmp_path / "piper.wav"
    write_wav(path, audio.samples, audio.rate)
    heard = recognise(PocketsphinxRecognizer(grammar), grammar, "guidance", read_wav(path))
    assert heard["intent"] == "start_ice_timer"


def test_a_run_with_the_piper_voice_says_so_and_writes_its_speech(tmp_path, capsys):
    import wave

    script = tmp_path / "s.txt"
    script.write_text("my back is spasming\n", encoding="utf-8")
    assert main(["run", "--script", str(script), "--speak-to", str(tmp_path / "said"), "--voice", "piper"]) == 0
    assert "voice: Piper joe (natural)" in capsys.readouterr().err
    files = sorted((tmp_path / "said").iterdir())
    assert len(files) >= 5
    with wave.open(str(files[0])) as first:
        assert first.getframerate() == 22050 and first.getnframes() > 22050 // 2


class SecondPerSentence:
    """A voice at the edge: every sentence is one second of sound at 1 kHz."""

    def render(self, text: str):
        from voice_assistant.speech.voice import Audio

        return Audio(np.full(1000, 9, dtype=np.int16), 1000)

    def close(self) -> None:
        """Nothing to close."""


def test_when_the_loudspeaker_falls_behind_the_assistant_knows_it_is_still_talking(monkeypatch, content, grammar):
    import types

    from voice_assistant.audio import devices
    from voice_assistant.speech import Loudspeaker

    streams = []
    monkeypatch.setattr(devices, "sounddevice_module", lambda: types.SimpleNamespace(
        OutputStream=lambda **kwargs: streams.append(FakeOutputStream(**kwargs)) or streams[-1]))
    speaker = VoiceSpeaker(SecondPerSentence(), Loudspeaker(1000))
    assistant, clock, records = scripted_assistant(content, grammar, speaker)
    assistant.start()
    assistant.hear_text("my back is spasming")
    scheduled = len(of_type(records, "say")) * 1.0
    assert assistant.speaking_until == pytest.approx(scheduled)
    clock.advance_to(scheduled)  # the time has passed, but a starved stream played only half of it
    streams[0].pull(int(scheduled * 1000 / 2))
    assert assistant.speaking_until == pytest.approx(scheduled * 1.5, abs=0.01)
    assistant.hear_text("repeat")
    assert of_type(records, "say")[-1]["start"] >= scheduled * 1.5 - 0.01, "the next sentence follows what is unplayed"
