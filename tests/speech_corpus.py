"""Utterances for recognition tests and benchmarks.

``IN_GRAMMAR`` and ``OUT_OF_GRAMMAR`` are the small fixed sets the tests use. ``corpus()``
builds the development corpus of the benchmark: phrasings from grammars/phrases.yaml, every
single-word command alone in every context where it is valid, and speech that sounds close to
a command but is not one (near misses, chatter, television).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from voice_assistant.dialog.settings import DialogSettings
from voice_assistant.grammar import Grammar, packaged_grammars_dir
from voice_assistant.names import MOVES_ON
from voice_assistant.phrasebook import load_phrases

IN_GRAMMAR = [
    ("idle", "my back is spasming", "start_guidance"),
    ("idle", "I'm having a back spasm", "start_guidance"),
    ("idle", "help my back has locked up", "start_guidance"),
    ("yes_no", "yes", "yes"),
    ("yes_no", "yeah", "yes"),
    ("yes_no", "yes I do", "yes"),
    ("yes_no", "no", "no"),
    ("yes_no", "nope", "no"),
    ("yes_no", "not really", "no"),
    ("yes_no", "no I haven't", "no"),
    ("yes_no", "repeat the question", "repeat"),
    ("guidance", "next", "next"),
    ("guidance", "go on", "next"),
    ("guidance", "go back", "previous"),
    ("guidance", "one more time", "repeat"),
    ("guidance", "hold on", "pause"),
    ("guidance", "that's enough", "stop"),
    ("guidance", "what can I say", "help"),
    ("guidance", "start the ice timer", "start_ice_timer"),
    ("guidance", "start the heat timer", "start_heat_timer"),
    ("guidance", "set a timer for twenty minutes", "set_timer"),
    ("guidance", "how much time is left", "time_left"),
    ("guidance", "cancel the timer", "cancel_timer"),
    ("guidance", "start the knee to chest stretch", "start_stretch"),
    ("guidance", "why does this happen", "explain_causes"),
    ("guidance", "how can I prevent this", "prevention_tips"),
    ("guidance", "when should I see a doctor", "when_to_see_doctor"),
    ("countdown", "skip", "next"),
    ("countdown", "pause", "pause"),
    ("paused", "resume", "resume"),
    ("emergency", "say that again", "repeat"),
]

OUT_OF_GRAMMAR = [
    ("idle", "I'm going to the shops later"),
    ("idle", "my phone is ringing"),
    ("idle", "what's on television tonight"),
    ("yes_no", "what's the weather like today"),
    ("yes_no", "I went to the park yesterday"),
    ("yes_no", "the kettle has boiled"),
    ("guidance", "turn on the kitchen lights"),
    ("guidance", "play some music please"),
    ("guidance", "the cat sat on the mat"),
    ("guidance", "where did I leave my keys"),
]

# Every single-word command, alone, in every context where it is valid.
SINGLE_WORDS = [
    *[(context, "stop", "stop") for context in ("yes_no", "guidance", "countdown", "paused", "emergency")],
    ("yes_no", "yes", "yes"), ("yes_no", "no", "no"), ("yes_no", "nope", "no"), ("yes_no", "yeah", "yes"),
    *[(context, "help", "help") for context in ("idle", "yes_no", "guidance", "countdown", "paused", "emergency")],
    *[(context, "next", "next") for context in ("guidance", "countdown")],
    *[(context, "wait", "pause") for context in ("yes_no", "guidance", "countdown")],
    *[(context, "cancel", "cancel_timer") for context in ("idle", "guidance", "countdown", "paused")],
    ("guidance", "skip", "next"), ("countdown", "skip", "next"), ("countdown", "pause", "pause"),
    ("paused", "resume", "resume"), ("yes_no", "repeat", "repeat"), ("emergency", "repeat", "repeat"),
    ("guidance", "okay", "acknowledge"), ("countdown", "okay", "acknowledge"), ("guidance", "done", "acknowledge"),
    ("guidance", "back", "previous"), ("countdown", "ouch", "pain"), ("guidance", "ready", "start_stretch"),
    ("guidance", "start", "start_stretch"), ("guidance", "goodbye", "end_session"), ("emergency", "goodbye", "end_session"),
]

# Speech close to a command that must not be taken as one, and television.
NEAR_MISSES = [
    ("idle", "can you open the window"), ("idle", "stop by the shop later"), ("idle", "no way the game is on"),
    ("idle", "my back garden needs weeding"), ("idle", "back to you in the studio"), ("idle", "help yourself to cake"),
    ("idle", "and now the weather for the weekend ahead"), ("idle", "the doctor will see you now"),
    ("idle", "he hurt his back playing football"), ("idle", "set the table for dinner"),
    ("yes_no", "can you open the window"), ("yes_no", "no way the game is on"), ("yes_no", "the kettle has boiled"),
    ("yes_no", "nobody told me about it"), ("yes_no", "know what I mean"), ("yes_no", "I went to the park yesterday"),
    ("yes_no", "never mind"),
    ("guidance", "stop by the shop later"), ("guidance", "next door's dog is barking"), ("guidance", "turn on the lights"),
    ("guidance", "where did I leave my keys"), ("guidance", "after the break we'll be talking to the star of the new film"),
    ("countdown", "the cat sat on the mat"), ("countdown", "scientists say the discovery could change everything"),
    ("emergency", "play some music please"),
]
ANSWERS_NO = {"no", "deny_symptom"}
"""Intents that can answer a red-flag question "no"."""
DOUBTED_NO = "not-a-no heard as a doubtful no, asked again"
"""Not a hazard by itself: the dialog asks the question again (see ``hazard``)."""


@dataclass(frozen=True)
class Utterance:
    """One corpus line: what is said, where, and what it must mean (None: nothing)."""

    context: str
    text: str
    intent: str | None
    single_word: bool = False


def corpus(every: int = 3) -> list[Utterance]:
    """The development corpus: every ``every``-th phrasing of the phrase corpus, all single
    words, all near misses and the out-of-grammar lines."""
    phrases = [p for p in load_phrases(packaged_grammars_dir()) if p.intent is not None][::every]
    items = [Utterance(p.context, p.text, p.intent) for p in phrases]
    items += [Utterance(c, t, i) for c, t, i in IN_GRAMMAR]
    items += [Utterance(c, t, i, single_word=True) for c, t, i in SINGLE_WORDS]
    items += [Utterance(c, t, None) for c, t in NEAR_MISSES + OUT_OF_GRAMMAR]
    return items


def phrasings(folder: Path) -> list[Utterance]:
    """Every phrasing of ``folder``'s phrases.yaml (the held-out phrasings), one-word ones marked."""
    return [Utterance(p.context, p.text, p.intent, single_word=len(p.text.split()) == 1) for p in load_phrases(folder)]


def sentence_intent(grammar: Grammar, text: str, context: str) -> str | None:
    """What a sentence of ``context`` means: a grammar answer's intent, as the benchmarks log and
    replay it (None for no sentence, or a decoy)."""
    match = grammar.match(text, context) if text else None
    return match.intent if match else None


def hazard(item: Utterance, heard: str | None, confidence: float | None = None) -> str | None:
    """Which hazard a result is, if any: a missed red flag, a "stop" that moves on, a TV start,
    a timer cancelled by something else (the pack stays on with no alert to take it off).

    A denial ("no numbness") answers the red-flag question it describes as a "no" does, so
    hearing one for anything that is not a "no" could hide the flag as well. One heard with
    less confidence than the dialog's ``sure_no_confidence`` is asked again rather than taken:
    that is ``DOUBTED_NO``, counted apart (it takes a second mistake in a row to do harm).
    """
    if item.context == "yes_no" and heard in ANSWERS_NO and item.intent not in ANSWERS_NO:
        doubted = confidence is not None and confidence < DialogSettings().sure_no_confidence
        return DOUBTED_NO if doubted else "not-a-no heard as no"
    if item.intent == "stop" and heard in MOVES_ON:
        return "stop heard as moving on"
    if item.context == "idle" and heard == "start_guidance" and item.intent != "start_guidance":
        return "start from chatter"
    if heard == "cancel_timer" and item.intent != "cancel_timer":
        return "timer cancelled by mistake"
    return None
