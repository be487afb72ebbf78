"""Pick an engine: Vosk when a model is present, else the built-in pocketsphinx."""

from __future__ import annotations

from pathlib import Path

from voice_assistant.asr.base import Recognizer
from voice_assistant.asr.models import find_model
from voice_assistant.errors import UserFacingError
from voice_assistant.grammar import Grammar


def make_recognizer(engine: str, model: Path | None, grammar: Grammar) -> tuple[Recognizer, str]:
    """The recognizer and one line saying which engine was chosen and why."""
    if engine in ("auto", "vosk"):
        found = find_model(model)
        why = " (no Vosk model found)" if engine == "auto" else ""
        if found is not None:
            from voice_assistant.asr.vosk_engine import VoskRecognizer

            try:
                recognizer = VoskRecognizer(grammar, found)
            except UserFacingError as error:
                if engine == "vosk" or model is not None:
                    raise
                why = f" (the Vosk model found did not load: {error})"
            else:
                notes = "; ".join(recognizer.warnings)
                return recognizer, f"engine: vosk ({found})" + (f"; {notes}" if notes else "")
        elif engine == "vosk":
            raise UserFacingError("no Vosk model found; see 'voice-assistant models', or use --engine pocketsphinx")
    else:
        why = ""
    from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer

    return PocketsphinxRecognizer(grammar), f"engine: pocketsphinx{why}"
