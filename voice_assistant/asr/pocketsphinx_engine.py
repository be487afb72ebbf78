"""pocketsphinx: the embedded default engine (its wheel ships a US-English model)."""

from __future__ import annotations

import os
import math
from functools import lru_cache
from pathlib import Path

import numpy as np

from voice_assistant.asr.base import Transcript
from voice_assistant.errors import UserFacingError
from voice_assistant.grammar import Grammar

EXTRA_PRONUNCIATIONS = "pronunciations.dict"


def model_dir() -> Path:
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us"


@lru_cache(maxsize=2)
def dictionary_words(path: Path) -> frozenset[str]:
    """The words of a pronunciation dictionary (alternates like word(2) folded)."""
    words = set()
    with open(path, encoding="utf-8", errors="replace") as file:
        for line in file:
            if line.strip() and not line.startswith(";"):
                words.add(line.split()[0].split("(")[0])
    return frozenset(words)


def extra_pronunciations(grammar: Grammar) -> dict[str, str]:
    """Pronunciations the grammar folder adds for words the dictionary lacks."""
    path = grammar.directory / EXTRA_PRONUNCIATIONS
    if not path.exists():
        return {}
    extra = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 2 and not line.startswith("#"):
            extra[parts[0]] = " ".join(parts[1:])
    return extra


def missing_words(grammar: Grammar) -> list[str]:
    """Grammar words pocketsphinx cannot pronounce, one problem line each."""
    known = dictionary_words(model_dir() / "cmudict-en-us.dict") | set(extra_pronunciations(grammar))
    path = grammar.directory / "intents.yaml"
    return [
        f"{path}: word '{word}' is not in the pocketsphinx dictionary; add it to {EXTRA_PRONUNCIATIONS}"
        for word in sorted(grammar.vocabulary() - known)
    ]


# A grammar forces every sound onto some sentence, so two signals decide whether to trust it:
# how well the best grammar path scores per frame (pocketsphinx scores are log base 1.0001,
# relative to the best state of each frame), and how much a free decode with the general
# English language model agrees with it. Thresholds measured on synthetic speech in
# benchmarks/recognition.py: clear speech scores above -24 a frame; out-of-grammar speech
# mostly below, and then only a free decode that agrees with the grammar can save it.
ACCEPT_SCORE_PER_FRAME = -24.0
RESCUE_SCORE_PER_FRAME = -34.0
RESCUE_AGREEMENT = 0.75
_LOG_BASE = math.log(1.0001)


def _common_words(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two word lists."""
    row = [0] * (len(b) + 1)
    for word in a:
        previous = 0
        for j, other in enumerate(b, start=1):
            current = row[j]
            row[j] = previous + 1 if word == other else max(row[j], row[j - 1])
            previous = current
    return row[-1]


class PocketsphinxRecognizer:
    """Grammar-constrained pocketsphinx with rejection by a free-decode cross-check."""

    engine = "pocketsphinx"

    def __init__(self, grammar: Grammar) -> None:
        from pocketsphinx import Config, Decoder

        self.grammar = grammar
        base = model_dir()
        common = {"hmm": str(base / "en-us"), "dict": str(base / "cmudict-en-us.dict"),
                  "logfn": os.devnull, "bestpath": False}
        try:
            self._decoder = Decoder(Config(lm=None, **common))
            self._free = Decoder(Config(lm=str(base / "en-us.lm.bin"), **common))
        except (RuntimeError, ValueError) as error:
            raise UserFacingError(f"pocketsphinx model failed to load ({error})") from None
        known = dictionary_words(base / "cmudict-en-us.dict")
        for word, phones in extra_pronunciations(grammar).items():
            if word not in known:
                self._decoder.add_word(word, phones, True)
        self._searches: set[str] = set()
        self._audio: list[bytes] = []
        self.context = ""

    def set_context(self, context: str) -> None:
        if context not in self._searches:
            try:
                self._decoder.add_jsgf_string(context, self.grammar.jsgf(context))
            except (RuntimeError, ValueError) as error:
                raise UserFacingError(f"grammar for context '{context}' failed to compile ({error})") from None
            self._searches.add(context)
        self.context = context

    def begin(self) -> None:
        self._audio = []
        self._decoder.activate_search(self.context)
        self._decoder.start_utt()
        self._free.start_utt()

    def accept(self, audio: np.ndarray) -> None:
        data = np.ascontiguousarray(audio, dtype=np.int16).tobytes()
        self._audio.append(data)
        self._decoder.process_raw(data, False, False)
        self._free.process_raw(data, False, False)

    def end(self) -> Transcript:
        """Decode as the audio came; if that is doubtful, decode the whole utterance again.

        Streaming decoding normalises the audio with a running estimate, which is poor for
        a short word in an unfamiliar room ("no" can come out as "help"). When the grammar
        result scores low or the free decode disagrees with it, the utterance is decoded
        once more with normalisation over all of it (grammar search only: it is fast), and
        that result decides, judged against the free decode already made.
        """
        self._decoder.end_utt()
        self._free.end_utt()
        verdict = self._verdict()
        if verdict is not None and verdict[2]:
            return Transcript(verdict[0], verdict[1])
        self._decoder.activate_search(self.context)
        self._decoder.start_utt()
        self._decoder.process_raw(b"".join(self._audio), False, True)
        self._decoder.end_utt()
        verdict = self._verdict()
        if verdict is None:
            return Transcript("", 0.0)
        text, confidence, sure = verdict
        per_frame_ok = confidence >= 0.5
        return Transcript(text if sure or per_frame_ok else "", confidence)

    def _verdict(self) -> tuple[str, float, bool] | None:
        """(grammar text, confidence, sure) from the last decode; None when nothing was decoded."""
        hyp = self._decoder.hyp()
        free = self._free.hyp()
        text = hyp.hypstr.strip() if hyp is not None else ""
        heard = free.hypstr.split() if free is not None else []
        if not text:
            return None
        per_frame = math.log(max(hyp.score, 1e-300)) / _LOG_BASE / max(1, self._decoder.n_frames())
        agreement = _common_words(text.split(), heard) / len(text.split())
        confidence = round(1.0 / (1.0 + math.exp(-(per_frame - ACCEPT_SCORE_PER_FRAME) / 3.0)), 3)
        sure = (per_frame >= ACCEPT_SCORE_PER_FRAME and agreement > 0) or (
            per_frame >= RESCUE_SCORE_PER_FRAME and agreement >= RESCUE_AGREEMENT
        )
        return text, confidence, sure
