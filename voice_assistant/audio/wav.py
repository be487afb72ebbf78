"""Read any common PCM WAV file as 16 kHz mono 16-bit samples.

Accepts 8/16/24/32-bit integer and 32/64-bit float PCM, any channel count and sample rate,
WAVE_FORMAT_EXTENSIBLE, and a header that overstates the data length. Everything else is
a one-line error naming the file.
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np

from voice_assistant.errors import UserFacingError
from voice_assistant.files import read_limited

SAMPLE_RATE = 16_000
MAX_WAV_BYTES = 2 * 1024 ** 3
_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


class AudioFileError(UserFacingError):
    """An audio file that cannot be used."""


def _fail(path: Path, problem: str) -> AudioFileError:
    return AudioFileError(f"{path}: {problem}")


def read_wav(path: Path) -> np.ndarray:
    """The file's audio as int16 samples at 16 kHz, mono."""
    samples, rate = read_wav_native(path)
    return to_int16(samples, rate)


def read_wav_native(path: Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples in [-1, 1] and the file's own sample rate."""
    try:
        data = read_limited(path, MAX_WAV_BYTES, "WAV file")
    except UserFacingError as error:
        raise AudioFileError(str(error)) from None
    if len(data) < 12 or data[:4] not in (b"RIFF", b"RIFX") or data[8:12] != b"WAVE":
        raise _fail(path, "not a WAV file (no RIFF/WAVE header)")
    if data[:4] == b"RIFX":
        raise _fail(path, "big-endian WAV is not supported; convert it with sox")
    fmt = None
    payload = None
    offset = 12
    while offset + 8 <= len(data):
        chunk_id = data[offset:offset + 4]
        (size,) = struct.unpack_from("<I", data, offset + 4)
        body = data[offset + 8: offset + 8 + size]  # clamps when the header overstates
        if chunk_id == b"fmt ":
            fmt = body
        elif chunk_id == b"data":
            payload = body
            break
        offset += 8 + size + (size & 1)
    if fmt is None or len(fmt) < 16:
        raise _fail(path, "WAV file has no format chunk")
    if payload is None:
        raise _fail(path, "WAV file has no audio data")
    tag, channels, rate, _, block_align, bits = struct.unpack_from("<HHIIHH", fmt)
    if tag == _EXTENSIBLE and len(fmt) >= 26:
        (tag,) = struct.unpack_from("<H", fmt, 24)
    if tag not in (_PCM, _FLOAT):
        raise _fail(path, f"unsupported WAV encoding (format {tag}); use PCM, e.g. 'sox in.wav -e signed -b 16 out.wav'")
    if channels < 1 or not 1000 <= rate <= 384_000 or bits not in (8, 16, 24, 32, 64):
        raise _fail(path, f"unsupported WAV layout ({channels} channels, {rate} Hz, {bits} bits)")
    width = bits // 8
    frame = width * channels
    usable = len(payload) - len(payload) % frame
    if usable <= 0:
        raise _fail(path, "WAV file has no audio data (empty or truncated)")
    raw = payload[:usable]
    if tag == _FLOAT:
        if bits not in (32, 64):
            raise _fail(path, f"unsupported float WAV ({bits} bits)")
        samples = np.frombuffer(raw, dtype="<f4" if bits == 32 else "<f8").astype(np.float32)
        samples = np.nan_to_num(np.clip(samples, -1.0, 1.0))
    elif bits == 8:
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif bits == 24:
        triplets = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        values = triplets[:, 0] | (triplets[:, 1] << 8) | (triplets[:, 2] << 16)
        values = np.where(values >= 1 << 23, values - (1 << 24), values)
        samples = values.astype(np.float32) / float(1 << 23)
    else:
        dtype = {16: "<i2", 32: "<i4", 64: "<i8"}[bits]
        samples = np.frombuffer(raw, dtype=dtype).astype(np.float64) / float(1 << (bits - 1))
        samples = samples.astype(np.float32)
    mono = samples.reshape(-1, channels).mean(axis=1)
    return mono.astype(np.float32), rate


def resample(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Band-limit then interpolate: good enough for speech recognition."""
    if rate == target or len(samples) == 0:
        return samples
    if rate > target:
        cutoff = 0.45 * target / rate
        taps = np.arange(-32, 33)
        kernel = np.sinc(2 * cutoff * taps) * np.hamming(len(taps))
        kernel /= kernel.sum()
        samples = np.convolve(samples, kernel, mode="same").astype(np.float32)
    count = int(round(len(samples) * target / rate))
    positions = np.arange(count) * (rate / target)
    return np.interp(positions, np.arange(len(samples)), samples).astype(np.float32)


def to_int16(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Float mono samples at any rate → int16 at ``target`` (16 kHz unless told)."""
    converted = resample(samples, rate, target)
    return np.clip(np.round(converted * 32767.0), -32768, 32767).astype(np.int16)


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write int16 mono samples as a PCM WAV file."""
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.asarray(samples, dtype=np.int16).tobytes())
