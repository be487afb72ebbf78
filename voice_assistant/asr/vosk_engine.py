"""Vosk: the primary engine, with a runtime phrase list per dialog context."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from voice_assistant.asr.base import Transcript
from voice_assistant.asr.models import ignores_grammars, validate_model
from voice_assistant.audio.wav import SAMPLE_RATE
from voice_assistant.errors import UserFacingError
from voice_assistant.grammar import Grammar

UNKNOWN = "[unk]"


class VoskRecognizer:
    """Vosk with the current context's sentences as its phrase list."""

    engine = "vosk"

    def __init__(self, grammar: Grammar, model_dir: Path) -> None:
        import vosk

        validate_model(model_dir)
        vosk.SetLogLevel(-1)
        try:
            self._model = vosk.Model(str(model_dir))
        except Exception as error:  # noqa: BLE001 - vosk raises a bare Exception
            raise UserFacingError(f"{model_dir}: Vosk could not load this model ({error}); unpack it again, "
                                  "or use --engine pocketsphinx") from None
        self._vosk = vosk
        self.grammar = grammar
        self.model_dir = model_dir
        self.warnings: list[str] = []
        if ignores_grammars(model_dir):
            self.warnings.append(f"{model_dir}: a large model ignores grammars; short commands will be less reliable")
        self.missing_words = sorted(w for w in grammar.vocabulary() if not self.knows(w))
        if self.missing_words:
            self.warnings.append("words not in the Vosk model (their sentences are left out): "
                                 + ", ".join(self.missing_words[:20]))
        self._recognizers: dict[str, object] = {}
        self._phrases: dict[str, set[str]] = {}
        self._active = None
        self.context = ""

    def knows(self, word: str) -> bool:
        return self._model.vosk_model_find_word(word) >= 0

    def set_context(self, context: str) -> None:
        if context not in self._recognizers:
            missing = set(self.missing_words)
            phrases = sorted(text for text in self.grammar.phrases(context).sentences
                             if not missing.intersection(text.split()))
            self._phrases[context] = set(phrases)
            listed = phrases + ([UNKNOWN] if self.knows(UNKNOWN) else [])
            recognizer = self._vosk.KaldiRecognizer(self._model, SAMPLE_RATE, json.dumps(listed, ensure_ascii=False))
            recognizer.SetWords(True)
            self._recognizers[context] = recognizer
        self.context = context

    def begin(self) -> None:
        self._active = self._recognizers[self.context]
        self._active.Reset()

    def accept(self, audio: np.ndarray) -> None:
        self._active.AcceptWaveform(np.ascontiguousarray(audio, dtype=np.int16).tobytes())

    def partial(self) -> str:
        return " ".join(str(json.loads(self._active.PartialResult()).get("partial", "")).split())

    def new_speaker(self, recording: np.ndarray | None = None) -> None:
        """Nothing to forget: every utterance starts from a reset recognizer (``begin``)."""

    def end(self) -> Transcript:
        result = json.loads(self._active.FinalResult())
        text = " ".join(str(result.get("text", "")).split())
        words = result.get("result") or []
        confidence = round(float(np.mean([w.get("conf", 0.0) for w in words])), 3) if words else 0.0
        # Vosk turns the phrase list into a bigram model, so it can return word sequences
        # no template allows: only whole sentences of this context are accepted.
        if not text or UNKNOWN in text.split() or text not in self._phrases[self.context]:
            return Transcript("", confidence)
        return Transcript(text, confidence)
