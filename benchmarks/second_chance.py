"""Replay logged evidence under other second-chance levels: for the cautious meanings, and for
more said than the nearest sentence.

    .venv/bin/python benchmarks/recognition.py --phrasings benchmarks/tuning_phrasings --rooms clean,hiss --jsonl t.jsonl
    .venv/bin/python benchmarks/second_chance.py t.jsonl [more.jsonl]

Every answer of pocketsphinx follows from the evidence ``benchmarks/recognition.py --jsonl``
logs (``last_scores``) through ``judgement.judge``, so other levels can be tried
without decoding again. First the replay at the engine's own levels is checked against the
logged answers (a session's later utterances can shift with what an earlier one settled, so
a replay is exact only where nothing before it changed). Then, on the tuning voices and rooms
only (tests/speechgen.py marks them), each pair of ``cautious_least_weight`` and
``cautious_least_lead`` (see ``asr/nearest_sentence.py``): what it gains and loses against
never taking a cautious meaning this way, wrong answers, false accepts, hazards, and a "no"
taken for something else that the dialog would ask again. The rival check's margin is logged
only when the engine searched for it: a pair below the engine's own levels can reach an answer
whose margin was never measured, and those are counted as "unchecked" (taken as clear).
Last, each pair of ``most_unexplained_share`` and ``talk_behind_db``: what it gains and loses
against never turning a second chance away for more said (results written before the word
levels were logged count every word heard as loud).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from calibrate import results_paths  # noqa: E402
from speech_corpus import DOUBTED_NO, Utterance, hazard, sentence_intent  # noqa: E402
from speechgen import TUNING_ROOMS, VOICES  # noqa: E402

from voice_assistant.asr import judgement  # noqa: E402
from voice_assistant.asr.nearest_sentence import NearestSentence, SecondChanceSettings  # noqa: E402
from voice_assistant.grammar import ContextPhrases, load_grammar  # noqa: E402

RECORD_KEYS = {"voice", "room", "context", "text", "intent", "single_word", "heard", "scores"}
"""What a line of ``benchmarks/recognition.py --jsonl`` holds that a replay reads."""
LEVELS = [(math.inf, math.inf), (2.0, 1.0), (3.0, 1.0), (3.0, 2.0), (4.0, 2.0), (5.0, 3.0)]
"""(least weight, least lead) pairs tried; the first never takes a cautious meaning this way."""
MORE_SAID_LEVELS = [(math.inf, 7.0), (0.5, 7.0), (1.0, 4.0), (1.0, 7.0), (1.0, 10.0), (1.0, math.inf),
                    (1.5, 7.0), (2.0, 7.0)]
"""(most unexplained share, talk-behind dB) pairs tried; the first never turns one away."""


GRAMMAR = load_grammar()
PHRASES = {context: GRAMMAR.phrases(context) for context in GRAMMAR.contexts}


@lru_cache(maxsize=None)
def intent_of(text: str, context: str) -> str | None:
    """What a sentence of the context means (None for nothing: a decoy, or no sentence)."""
    return sentence_intent(GRAMMAR, text, context)


class Replay:
    """The engine's answers to logged evidence, at given second-chance settings."""

    def __init__(self, settings: SecondChanceSettings) -> None:
        self._settings = settings
        self._contexts: dict[str, tuple[ContextPhrases, NearestSentence]] = {}
        self.unchecked = 0
        """Cautious answers taken whose rival margin was never measured."""

    def answer(self, record: dict) -> tuple[str | None, float]:
        """The intent the engine would have heard for ``record`` (None for none), and its confidence."""
        context = record["context"]
        if context not in self._contexts:
            phrases = PHRASES[context]
            self._contexts[context] = phrases, NearestSentence(phrases, self._settings)
        phrases, second_chance = self._contexts[context]
        scores = dict(record["scores"] or {"hypothesis": ""})

        def clear_of_rivals(meaning: str) -> bool:
            if meaning not in phrases.cautious:
                return True
            if "rival_margin" not in scores:
                self.unchecked += 1
                return True
            return float(scores["rival_margin"]) >= judgement.RIVAL_MARGIN

        judged = judgement.judge(scores, phrases, second_chance, clear_of_rivals)
        return intent_of(judged.text, context), judged.confidence


def tally(records: list[dict], answers: list[tuple[str | None, float]], baseline: list[str | None]) -> Counter:
    counts: Counter = Counter()
    for record, (heard, sure), before in zip(records, answers, baseline):
        meant = record["intent"]
        found = hazard(Utterance(record["context"], record["text"], meant, record["single_word"]), heard, sure)
        counts["right"] += meant is not None and heard == meant
        counts["wrong"] += meant is not None and heard not in (None, meant)
        counts["false accepts"] += meant is None and heard is not None
        counts["hazards"] += found not in (None, DOUBTED_NO)
        counts["asked again"] += found == DOUBTED_NO
        counts["gained"] += heard != before and heard == meant and meant is not None
        counts["lost"] += heard != before and before == meant and meant is not None
    return counts


def read_results(parser: argparse.ArgumentParser, paths: list[Path]) -> list[dict]:
    """Every line of the results files, each checked to be a result with its evidence."""
    records = []
    for path in paths:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                parser.error(f"{path}:{number}: not a JSON line ({error.msg})")
            if not isinstance(record, dict) or not RECORD_KEYS <= record.keys():
                parser.error(f"{path}:{number}: not a result with its evidence: write the results with "
                             "benchmarks/recognition.py --jsonl")
            if record["voice"] not in VOICES or record["context"] not in PHRASES:
                parser.error(f"{path}:{number}: voice '{record['voice']}' or context '{record['context']}' "
                             "is not one this checkout knows")
            hypothesis = (record["scores"] or {}).get("hypothesis") or ""
            if hypothesis and hypothesis not in PHRASES[record["context"]].meanings:
                parser.error(f"{path}:{number}: the grammar's answer '{hypothesis}' is no sentence of "
                             f"'{record['context']}' in this checkout's grammar: the results were written "
                             "with another grammar, so decode them again")
            records.append(record)
    return records


def main() -> None:
    parser, paths = results_paths("Replay logged evidence under other second-chance levels.")
    records = read_results(parser, paths)
    own = Replay(SecondChanceSettings())
    differ = sum(own.answer(record)[0] != record["heard"] for record in records)
    print(f"the engine's own levels, replayed: {len(records) - differ} of {len(records)} answers as logged")
    tuning = [r for r in records if VOICES[r["voice"]].tuned and r["room"] in TUNING_ROOMS]
    print(f"on the tuning voices and rooms ({len(tuning)} utterances, "
          f"{sum(r['intent'] is None for r in tuning)} of them out of the grammar):")
    print("  a cautious meaning as a second chance, at each least weight and lead:")
    compare(tuning, [(("never" if math.isinf(weight) else f"weight {weight:g}, lead {lead:g}"),
                      SecondChanceSettings(cautious_least_weight=weight, cautious_least_lead=lead))
                     for weight, lead in LEVELS])
    print("  more said than the nearest sentence, at each most unexplained share and talk-behind level:")
    compare(tuning, [(("never" if math.isinf(share) else f"share {share:g}, {db:g} dB"),
                      SecondChanceSettings(most_unexplained_share=share, talk_behind_db=db))
                     for share, db in MORE_SAID_LEVELS])


def compare(records: list[dict], settings: list[tuple[str, SecondChanceSettings]]) -> None:
    """Print what each named setting makes of ``records``, against the first."""
    first: list[str | None] = []
    for name, setting in settings:
        replay = Replay(setting)
        answers = [replay.answer(r) for r in records]
        first = first or [heard for heard, _ in answers]
        counts = tally(records, answers, first)
        print(f"    {name:20} " + "  ".join(f"{key} {counts[key]}" for key in
              ("right", "gained", "lost", "wrong", "false accepts", "hazards", "asked again")) +
              f"  unchecked {replay.unchecked}")


if __name__ == "__main__":
    main()
