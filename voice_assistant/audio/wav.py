"""Recordings in, as 16 kHz mono 16-bit samples in blocks; WAV out.

libsndfile (through ``soundfile``) reads the file, so any WAV it knows (integer or float PCM,
any channel count and rate, WAVE_FORMAT_EXTENSIBLE, a header that overstates the data length),
FLAC and OGG work; ``soxr`` resamples as a stream. Everything else is a one-line error naming
the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import numpy as np
import soxr

from voice_assistant.errors import UserFacingError
from voice_assistant.files import regular_file

SAMPLE_RATE = 16_000
MAX_WAV_BYTES = 2 * 1024 ** 3
"""Largest recording read whole (transcribe); a session streams any length."""


class AudioFileError(UserFacingError):
    """An audio file that cannot be used."""


def _fail(path: Path, problem: str) -> AudioFileError:
    return AudioFileError(f"{path}: {problem}")


def read_wav(path: Path) -> np.ndarray:
    """The whole file's audio as int16 samples at 16 kHz, mono (for short recordings)."""
    with WavReader(path) as reader:
        if reader.size_on_disk > MAX_WAV_BYTES:
            raise _fail(path, "too large to read whole; a session streams it with 'run --input'")
        return np.concatenate([np.zeros(0, dtype=np.int16), *reader.blocks()])


class WavReader:
    """A recording (WAV, FLAC, OGG) read in blocks: memory stays the same however long it is."""

    def __init__(self, path: Path) -> None:
        try:
            self.size_on_disk = regular_file(path, "recording").st_size
        except UserFacingError as error:
            raise AudioFileError(str(error)) from None
        self.path = path
        import soundfile  # only when a recording is read: ~3 MB a live session does without

        try:
            self._file = soundfile.SoundFile(str(path))
        except soundfile.LibsndfileError as error:
            problem = error.error_string.rstrip(".")
            if "not recognised" in problem:
                raise _fail(path, f"not an audio file ({problem}); give a WAV, FLAC or OGG recording") from None
            raise _fail(path, f"cannot read the recording ({problem})") from None
        except (OSError, RuntimeError) as error:
            raise _fail(path, f"cannot read ({error})") from None
        self.rate, self.channels = self._file.samplerate, self._file.channels
        if self._file.frames <= 0:
            self._file.close()
            raise _fail(path, "the recording has no audio data (empty or truncated)")

    def __enter__(self) -> "WavReader":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._file.close()

    def blocks(self, seconds: float = 1.0) -> Iterator[np.ndarray]:
        """int16 16 kHz mono blocks of about ``seconds`` each, to the end of the audio."""
        self._file.seek(0)
        stream = soxr.ResampleStream(self.rate, SAMPLE_RATE, 1, dtype="float32", quality="HQ") \
            if self.rate != SAMPLE_RATE else None
        step = max(1, int(self.rate * seconds))
        left = self._file.frames
        for block in self._file.blocks(step, dtype="float32", always_2d=True):
            left -= len(block)
            samples = np.nan_to_num(np.clip(block.mean(axis=1), -1.0, 1.0)).astype(np.float32)
            if stream is not None:
                samples = stream.resample_chunk(samples, last=left <= 0)
            yield _as_int16(samples)


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
