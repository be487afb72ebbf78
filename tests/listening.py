"""A recording heard through the listener's whole path (endpointer and recognizer) as live, for
the benchmarks: what each utterance it cut was heard as."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from voice_assistant.asr.base import Recognizer
from voice_assistant.audio.endpoint import frames
from voice_assistant.audio.wav import SAMPLE_RATE
from voice_assistant.clock import AudioClock
from voice_assistant.grammar import ContextPhrases, Grammar
from voice_assistant.listener import Listener


@dataclass(frozen=True)
class Heard:
    """One utterance the listener cut: its words ("" for none), meaning and confidence."""

    text: str
    intent: str | None
    confidence: float | None


class _Host:
    """The listener's host: one context, never talking after ``speaking_until``, every utterance kept."""

    def __init__(self, grammar: Grammar, context: str, speaking_until: float) -> None:
        self.clock = AudioClock(SAMPLE_RATE)
        self.context = context
        self.speaking_until = speaking_until
        self.heard: list[Heard] = []
        self._grammar = grammar

    def phrases(self, context: str) -> ContextPhrases:
        return self._grammar.phrases(context)

    def hear_utterance(self, text: str, confidence: float | None) -> None:
        match = self._grammar.match(text, self.context) if text else None
        self.heard.append(Heard(text, match.intent if match else None, confidence))


def listen(recognizer: Recognizer, grammar: Grammar, context: str, samples: np.ndarray,
           speaking_until: float = float("-inf")) -> list[Heard]:
    """Every utterance a listener cuts from ``samples`` in ``context``, in order (deaf until
    ``speaking_until`` and the echo tail after it, as after the assistant has talked)."""
    host = _Host(grammar, context, speaking_until)
    listener = Listener(host, recognizer)
    for frame in frames(samples):
        host.clock.add_samples(len(frame))
        listener.feed(frame)
    listener.finish()
    return host.heard
