"""Echo cancellation on the virtual sound card: could the assistant hear "stop" while it talks?

    .venv/bin/python benchmarks/echo.py

Starts a private PulseAudio server (tests/sound_card.py: the loudspeaker looped back into
the microphone as echo) and plays a 15-second assistant turn through sounddevice, as the
assistant does, keeping what the loudspeaker played and what the microphone heard, each
with the time it arrived. Once with the user silent, and once per command said into the
room over the assistant. Then, offline, runs the Speex echo canceller (libspeexdsp, Debian's
libspeexdsp1, through ctypes) and prints:

- how much of the echo it removes, second by second, while only the assistant talks;
- where a double-talk gate opens (cancelled sound louder than the loudspeaker's over the
  last 300 ms): on the assistant's own voice it must not, on the user's word it must;
- what the assistant's own listener (endpointer and pocketsphinx, in the "guidance" context)
  would hear in the microphone, raw and cancelled, and what pocketsphinx makes of just the
  cancelled half second where the gate opened.

Then the same turns again through PulseAudio's own echo canceller (module-echo-cancel with
WebRTC's audio processing, automatic gain control off), the way a desktop would set it up:
the assistant plays into its sink and listens to its source, and the raw microphone is
recorded beside it. For each: the echo removed second by second, and what the listener hears
in the cancelled audio.

This is the evidence behind the choice, for now, to stay deaf while talking (README).
"""

from __future__ import annotations

import ctypes
import os
import queue
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soxr

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from listening import listen  # noqa: E402
from sound_card import virtual_sound_card  # noqa: E402
from speechgen import speech  # noqa: E402

from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer  # noqa: E402
from voice_assistant.audio.wav import SAMPLE_RATE  # noqa: E402
from voice_assistant.grammar import Grammar, load_grammar  # noqa: E402
from voice_assistant.speech.voice import SYNTH_RATE, Pyttsx3Voice, VoiceSettings  # noqa: E402
from voice_assistant.transcribe import recognise  # noqa: E402

TURN = ("I'm here. Let's get you comfortable first. Lie on your back with your knees bent and your feet "
        "flat on the floor. Or on your side, with a pillow between your knees. Move slowly. I'll ask a few "
        "quick safety questions. Answer yes or no.")
COMMANDS = [("stop", 10.0), ("pause", 6.0), ("repeat that", 12.0)]
"""What the user says over the assistant, and when (seconds into its turn)."""
CANCEL_FRAME = 160
FILTER_SAMPLES = 1024
"""The echo path the canceller models: 64 ms at 16 kHz, after the latencies are taken off."""
LEAD_SECONDS = 0.05
"""The reference is moved this much earlier than the latencies say, so the echo never precedes it."""
GATE_FRAME = 480


class SpeexEcho:
    """libspeexdsp's echo canceller, with its residual-echo suppressor."""

    def __init__(self) -> None:
        lib = ctypes.CDLL("libspeexdsp.so.1")
        lib.speex_echo_state_init.restype = ctypes.c_void_p
        lib.speex_echo_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_echo_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_echo_cancellation.argtypes = [ctypes.c_void_p] * 4
        lib.speex_preprocess_state_init.restype = ctypes.c_void_p
        lib.speex_preprocess_state_init.argtypes = [ctypes.c_int, ctypes.c_int]
        lib.speex_preprocess_ctl.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p]
        lib.speex_preprocess_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        self._lib = lib
        self._echo = lib.speex_echo_state_init(CANCEL_FRAME, FILTER_SAMPLES)
        rate = ctypes.c_int(SAMPLE_RATE)
        lib.speex_echo_ctl(self._echo, 24, ctypes.byref(rate))  # SPEEX_ECHO_SET_SAMPLING_RATE
        self._suppress = lib.speex_preprocess_state_init(CANCEL_FRAME, SAMPLE_RATE)
        lib.speex_preprocess_ctl(self._suppress, 24, ctypes.c_void_p(self._echo))  # ..._SET_ECHO_STATE
        off = ctypes.c_int(0)
        lib.speex_preprocess_ctl(self._suppress, 0, ctypes.byref(off))  # no denoising: echo only

    def cancel(self, heard: np.ndarray, played: np.ndarray) -> np.ndarray:
        out = np.zeros_like(heard)
        block = np.zeros(CANCEL_FRAME, dtype=np.int16)
        for start in range(0, len(heard) - CANCEL_FRAME + 1, CANCEL_FRAME):
            mic = np.ascontiguousarray(heard[start:start + CANCEL_FRAME])
            ref = np.ascontiguousarray(played[start:start + CANCEL_FRAME])
            self._lib.speex_echo_cancellation(self._echo, mic.ctypes.data, ref.ctypes.data, block.ctypes.data)
            self._lib.speex_preprocess_run(self._suppress, block.ctypes.data)
            out[start:start + CANCEL_FRAME] = block
        return out


def record(env: dict, turn: np.ndarray, word: Path | None, at: float) -> tuple[np.ndarray, np.ndarray]:
    """The microphone, and what the loudspeaker played lined up with it (both 16 kHz)."""
    import sounddevice as sd  # after PULSE_SERVER is set: PortAudio reads it once

    played: list[tuple[float, np.ndarray]] = []
    heard: queue.Queue[tuple[float, np.ndarray]] = queue.Queue()
    position = [0]

    def fill(out, count, time_info, status) -> None:
        out.fill(0)
        chunk = turn[position[0]:position[0] + count]
        out[:len(chunk), 0] = chunk
        position[0] += count
        played.append((time.monotonic(), out[:, 0].copy()))

    def arrive(data, count, time_info, status) -> None:
        heard.put((time.monotonic(), np.frombuffer(bytes(data), dtype=np.int16).copy()))

    output = sd.OutputStream(samplerate=SYNTH_RATE, channels=1, dtype="int16", callback=fill, latency="high")
    microphone = sd.RawInputStream(samplerate=SAMPLE_RATE, blocksize=GATE_FRAME, channels=1, dtype="int16",
                                   callback=arrive)
    with microphone:
        time.sleep(0.5)
        with output:
            started = time.monotonic()
            if word is not None:
                time.sleep(at)
                subprocess.run(["paplay", "--device=room", str(word)], env=env, check=True)
            time.sleep(max(0.0, len(turn) / SYNTH_RATE + 1.0 - (time.monotonic() - started)))
    chunks = [heard.get() for _ in range(heard.qsize())]
    mic = np.concatenate([chunk for _, chunk in chunks])
    played_audio = np.concatenate([chunk for _, chunk in played])
    # Times are counted back from the last callbacks: a new stream's first ones can come in a
    # burst, late, but by the end both streams run steadily.
    mic_start = chunks[-1][0] - microphone.latency - len(mic) / SAMPLE_RATE
    played_start = played[-1][0] + output.latency + (len(played[-1][1]) - len(played_audio)) / SYNTH_RATE
    reference = (soxr.resample(played_audio.astype(np.float32) / 32768, SYNTH_RATE, SAMPLE_RATE)
                 * 32767).astype(np.int16)
    # Where the latencies say the echo is, then the lag that fits best near there, less the lead.
    guess = int(round((played_start - mic_start) * SAMPLE_RATE))
    shift = best_lag(mic, reference, guess) - int(LEAD_SECONDS * SAMPLE_RATE)
    if shift < 0:  # the microphone's stream began after the loudspeaker's
        reference, shift = reference[-shift:], 0
    aligned = np.zeros_like(mic)
    length = max(0, min(len(mic) - shift, len(reference)))
    aligned[shift:shift + length] = reference[:length]
    return mic, aligned


def best_lag(mic: np.ndarray, reference: np.ndarray, guess: int, reach: float = 0.5) -> int:
    """The offset of the reference in the microphone, within ``reach`` seconds of ``guess``."""
    window = reference[: 3 * SAMPLE_RATE].astype(np.float64)
    step, spread = SAMPLE_RATE // 1000, int(reach * SAMPLE_RATE)

    def fit(lag: int) -> float:
        heard, played = (mic[lag:], window) if lag >= 0 else (mic, window[-lag:])
        length = min(len(heard), len(played))
        return float(np.dot(heard[:length].astype(np.float64), played[:length])) if length else float("-inf")

    return max(range(guess - spread, guess + spread, step), key=fit)


def levels(samples: np.ndarray) -> np.ndarray:
    """dB per 30 ms frame."""
    blocks = samples[: len(samples) // GATE_FRAME * GATE_FRAME].reshape(-1, GATE_FRAME).astype(np.float64)
    return 10 * np.log10(np.mean(blocks ** 2, axis=1) + 1.0)


def gate_opens(cancelled: np.ndarray, played: np.ndarray) -> np.ndarray:
    """Frame times where the cancelled sound is louder than anything played over the last 300 ms."""
    out, ref = levels(cancelled), levels(played)
    recent = np.array([ref[max(0, i - 10):i + 1].max() for i in range(len(ref))])
    return np.flatnonzero((out > recent) & (out > 60)) * GATE_FRAME / SAMPLE_RATE


def heard_in(recognizer: PocketsphinxRecognizer, grammar: Grammar, samples: np.ndarray) -> list[str]:
    """What the assistant's own listener would hear in ``samples`` in "guidance", were it not
    deaf while talking: each utterance's words and confidence."""
    return [f"{heard.text or '(nothing)'} {heard.confidence or 0.0:.2f}"
            for heard in listen(recognizer, grammar, "guidance", samples, speaking_until=0.0)]


def heard_where_the_gate_opens(recognizer: PocketsphinxRecognizer, grammar: Grammar, cancelled: np.ndarray,
                               opens: np.ndarray) -> str:
    """The cancelled audio from 0.24 s before the middle of the gate's opening to 0.3 s after,
    decoded in "guidance" (which has stop, pause and repeat): the grammar's result, and the free decode's."""
    if not len(opens):
        return "(the gate did not open)"
    middle = int(opens[len(opens) // 2] * SAMPLE_RATE)
    window = cancelled[max(0, middle - int(0.24 * SAMPLE_RATE)):middle + int(0.3 * SAMPLE_RATE)]
    result = recognise(recognizer, grammar, "guidance", window)
    return (f"{result['text'] or '(rejected)'} {result['confidence']:.2f}, "
            f"free decode: {recognizer.last_scores.get('free', '')!r}")


WEBRTC_CANCELLER = ("module-echo-cancel", "source_master=mic", "sink_master=speaker", "aec_method=webrtc",
                    "source_name=cancelled_mic", "sink_name=cancelled_speaker",
                    'aec_args="analog_gain_control=0 digital_gain_control=0"')
"""PulseAudio's canceller between the virtual card's microphone and loudspeaker. Its automatic
gain control would turn the microphone down by some 20 dB while the assistant talks."""


def record_through_webrtc(env: dict, turn: np.ndarray, word: Path | None, at: float) -> tuple[np.ndarray, np.ndarray]:
    """The raw microphone and the cancelled one, with the canceller loaded and made the default."""
    with tempfile.TemporaryDirectory() as folder:
        raw = Path(folder) / "raw.pcm"
        recorder = subprocess.Popen(["parec", "-d", "mic", f"--rate={SAMPLE_RATE}", "--channels=1",
                                     "--format=s16le", "--raw", str(raw)], env=env)
        try:
            cancelled, _ = record(env, turn, word, at)
        finally:
            recorder.terminate()
            recorder.wait(timeout=10)
        return np.frombuffer(raw.read_bytes(), dtype=np.int16), cancelled


def echo_removed(raw: np.ndarray, cancelled: np.ndarray) -> str:
    """Medians, second by second, of how much quieter the cancelled sound is (the two start apart
    by a stream's start-up, well under a second)."""
    removed = levels(raw)[:len(levels(cancelled))] - levels(cancelled)[:len(levels(raw))]
    return " ".join(f"{float(np.median(removed[i:i + 33])):.0f}" for i in range(33, len(removed) - 33, 33)) + " dB"


def main() -> None:
    turn = Pyttsx3Voice(VoiceSettings()).render(TURN).samples
    grammar = load_grammar()
    recognizer = PocketsphinxRecognizer(grammar)
    with tempfile.TemporaryDirectory() as folder, virtual_sound_card(Path(folder)) as env:
        os.environ["PULSE_SERVER"] = env["PULSE_SERVER"]
        print("times are seconds into each recording; the assistant starts about 0.6 s in")
        mic, played = record(env, turn, None, 0.0)
        cancelled = SpeexEcho().cancel(mic, played)
        print(f"assistant alone, {len(turn) / SYNTH_RATE:.1f} s; echo removed, second by second:")
        removed = levels(mic) - levels(cancelled)
        per_second = [float(np.median(removed[i:i + 33])) for i in range(33, len(removed) - 33, 33)]
        print("  " + " ".join(f"{db:.0f}" for db in per_second) + " dB")
        print(f"  gate opens at: {np.round(gate_opens(cancelled, played), 2).tolist()}")
        print(f"  heard raw: {heard_in(recognizer, grammar, mic)}")
        print(f"  heard cancelled: {heard_in(recognizer, grammar, cancelled)}")
        for word, at in COMMANDS:
            mic, played = record(env, turn, speech(word), at)
            cancelled = SpeexEcho().cancel(mic, played)
            opens = gate_opens(cancelled, played)
            print(f'"{word}" said {at:.0f} s into the turn:')
            print(f"  gate opens at: {np.round(opens, 2).tolist()}")
            print(f"  heard raw: {heard_in(recognizer, grammar, mic)}")
            print(f"  heard cancelled: {heard_in(recognizer, grammar, cancelled)}")
            print(f"  heard where the gate opens: {heard_where_the_gate_opens(recognizer, grammar, cancelled, opens)}")
        subprocess.run(["pactl", "load-module", *WEBRTC_CANCELLER], env=env, check=True, capture_output=True)
        subprocess.run(["pactl", "set-default-sink", "cancelled_speaker"], env=env, check=True)
        subprocess.run(["pactl", "set-default-source", "cancelled_mic"], env=env, check=True)
        print("WebRTC's canceller (PulseAudio module-echo-cancel):")
        for word, at in [(None, 0.0), (None, 0.0), *COMMANDS]:
            raw, cancelled = record_through_webrtc(env, turn, None if word is None else speech(word), at)
            said = "assistant alone" if word is None else f'"{word}" said {at:.0f} s into the turn'
            print(f"  {said}: echo removed, second by second: {echo_removed(raw, cancelled)}")
            print(f"    heard cancelled: {heard_in(recognizer, grammar, cancelled)}")


if __name__ == "__main__":
    main()
