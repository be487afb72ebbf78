"""Read any common PCM WAV file as 16 kHz mono 16-bit samples, in blocks (soxr resamples).

Accepts 8/16/24/32-bit integer and 32/64-bit float PCM, any channel count and sample rate,
WAVE_FORMAT_EXTENSIBLE, and a header that overstates the data length. Everything else is
a one-line error naming the file.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import Iterator

import numpy as np
import soxr

from voice_assistant.errors import UserFacingError
from voice_assistant.files import regular_file

SAMPLE_RATE = 16_000
MAX_WAV_BYTES = 2 * 1024 ** 3
"""Largest recording read whole (transcribe); a session streams any length."""
MAX_FORMAT_BYTES = 1024
_PCM, _FLOAT, _EXTENSIBLE = 1, 3, 0xFFFE


class AudioFileError(UserFacingError):
    """An audio file that cannot be used."""


def _fail(path: Path, problem: str) -> AudioFileError:
    return AudioFileError(f"{path}: {problem}")


def read_wav(path: Path) -> np.ndarray:
    """The whole file's audio as int16 samples at 16 kHz, mono (for short recordings)."""
    with WavReader(path) as reader:
        if reader.data_bytes > MAX_WAV_BYTES:
            raise _fail(path, "too large to read whole; a session streams it with 'run --input'")
        return np.concatenate([np.zeros(0, dtype=np.int16), *reader.blocks()])


class WavReader:
    """A WAV file read in blocks: memory stays the same however long the recording is."""

    def __init__(self, path: Path) -> None:
        try:
            regular_file(path, "WAV file")
            self._file = open(path, "rb")
        except UserFacingError as error:
            raise AudioFileError(str(error)) from None
        except OSError as error:
            raise _fail(path, f"cannot read ({error.strerror})") from None
        self.path = path
        try:
            self._read_header()
        except BaseException:
            self._file.close()
            raise

    def __enter__(self) -> "WavReader":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def _read_header(self) -> None:
        path, file = self.path, self._file
        size_on_disk = os.fstat(file.fileno()).st_size
        head = file.read(12)
        if len(head) < 12 or head[:4] not in (b"RIFF", b"RIFX") or head[8:12] != b"WAVE":
            raise _fail(path, "not a WAV file (no RIFF/WAVE header)")
        if head[:4] == b"RIFX":
            raise _fail(path, "big-endian WAV is not supported; convert it with sox")
        fmt = None
        while True:
            chunk = file.read(8)
            if len(chunk) < 8:
                raise _fail(path, "WAV file has no audio data" if fmt else "WAV file has no format chunk")
            chunk_id, (size,) = chunk[:4], struct.unpack("<I", chunk[4:])
            if chunk_id == b"data":
                break
            if chunk_id == b"fmt ":
                fmt = file.read(min(size, MAX_FORMAT_BYTES))
                file.seek(size - len(fmt), os.SEEK_CUR)
            else:
                file.seek(size, os.SEEK_CUR)
            if size & 1:
                file.seek(1, os.SEEK_CUR)
        if fmt is None or len(fmt) < 16:
            raise _fail(path, "WAV file has no format chunk")
        tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", fmt)
        if tag == _EXTENSIBLE and len(fmt) >= 26:
            (tag,) = struct.unpack_from("<H", fmt, 24)
        if tag not in (_PCM, _FLOAT):
            raise _fail(path, f"unsupported WAV encoding (format {tag}); use PCM, e.g. 'sox in.wav -e signed -b 16 out.wav'")
        if channels < 1 or not 1000 <= rate <= 384_000 or bits not in (8, 16, 24, 32, 64):
            raise _fail(path, f"unsupported WAV layout ({channels} channels, {rate} Hz, {bits} bits)")
        if tag == _FLOAT and bits not in (32, 64):
            raise _fail(path, f"unsupported float WAV ({bits} bits)")
        self.tag, self.channels, self.rate, self.bits = tag, channels, rate, bits
        self.frame_bytes = bits // 8 * channels
        available = max(0, size_on_disk - file.tell())
        usable = min(size, available)  # a header that overstates the length is clamped
        self.data_bytes = usable - usable % self.frame_bytes
        self._data_start = file.tell()
        if self.data_bytes <= 0:
            raise _fail(path, "WAV file has no audio data (empty or truncated)")

    def blocks(self, seconds: float = 1.0) -> Iterator[np.ndarray]:
        """int16 16 kHz mono blocks of about ``seconds`` each, to the end of the audio."""
        self._file.seek(self._data_start)
        step = max(1, int(self.rate * seconds)) * self.frame_bytes
        stream = soxr.ResampleStream(self.rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ") \
            if self.rate != SAMPLE_RATE else None
        left = self.data_bytes
        while left > 0:
            raw = self._file.read(min(step, left))
            if len(raw) < self.frame_bytes:
                break
            raw = raw[: len(raw) - len(raw) % self.frame_bytes]
            left -= len(raw)
            samples = _decode(raw, self.tag, self.bits, self.channels)
            if stream is not None:
                samples = stream.resample_chunk(samples, last=left <= 0)
            yield _as_int16(samples)


def _decode(raw: bytes, tag: int, bits: int, channels: int) -> np.ndarray:
    """PCM or float bytes → mono float32 in [-1, 1]."""
    if tag == _FLOAT:
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
        samples = (np.frombuffer(raw, dtype=dtype).astype(np.float64) / float(1 << (bits - 1))).astype(np.float32)
    return samples.reshape(-1, channels).mean(axis=1).astype(np.float32)


def _as_int16(samples: np.ndarray) -> np.ndarray:
    return np.clip(np.round(samples * 32767.0), -32768, 32767).astype(np.int16)


def to_int16(samples: np.ndarray, rate: int, target: int = SAMPLE_RATE) -> np.ndarray:
    """Float mono samples at any rate → int16 at ``target`` (16 kHz unless told)."""
    if rate != target and len(samples):
        samples = soxr.resample(samples.astype(np.float32), rate, target, quality="HQ")
    return _as_int16(samples)


def write_wav(path: Path, samples: np.ndarray, rate: int = SAMPLE_RATE) -> None:
    """Write int16 mono samples as a PCM WAV file."""
    import wave

    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(np.asarray(samples, dtype=np.int16).tobytes())
