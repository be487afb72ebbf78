"""A second chance for what the grammar search rejects: the free decode's words, read for meaning.

A grammar hears only its own sentences, so "sorry can you repeat that" is rejected when the
templates hold "can you repeat that" but not the "sorry", although the free decode heard it
word for word. Here the free decode's words are compared with each sentence of the context: a
sentence comes nearer for each of its words that was heard and goes further for each that was
not, and a word weighs more the fewer meanings use it ("repeat" says repeat; "the" says
nothing). The nearest sentence is taken only when its heard words weigh enough, when it is
nearer by a margin than any sentence of another meaning, when most of the words heard are the
context's own (chatter is mostly other words), and when the words heard that its meaning never
uses do not outweigh its own (more was said, about something else; words much quieter than the
loudest are talk in the room behind, and do not count). Less is asked when the grammar's own
answer (not taken) means the same: two searches agree. A meaning the context is cautious about
(a "no" to a red-flag question, a timer cancel, the start phrase when idle) is taken this way
only when the grammar's answer means it too, and then more is asked. The answer is a sentence
of the context, so whatever reads the result sees one (with its slots: "twenty" picks the
twenty-minute timer).
"""

from __future__ import annotations

import math
import sys
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable
from voice_assistant.grammar import ContextPhrases, is_decoy


@dataclass(frozen=True)
class SecondChanceSettings:
    """How much the free decode's words must say before their meaning is taken. Chosen on the
    tuning voices and rooms (the phrasings of benchmarks/tuning_phrasings clean and with hiss,
    and every 12th line of the corpus with its out-of-grammar speech in the four tuning rooms):
    of 1,351 utterances the grammar did not take, the first two gave 37 right answers, 1 wrong
    and no out-of-grammar speech taken (a least weight of 3 or a lead of 1 let chatter through;
    4.5, or a lead of 3, lost a third of the right ones), and the agreeing levels 9 more right
    and 1 more wrong (2 with a lead of 0-1 gave 46-48 right; a known share of a half let
    chatter through)."""

    least_weight: float = 4.0
    """The least weight of the heard words the nearest sentence uses."""
    least_lead: float = 2.0
    """How much nearer the nearest sentence must be than the nearest of any other meaning."""
    agreeing_least_weight: float = 2.0
    """The least weight instead, when the grammar's own answer (not taken) means the same."""
    agreeing_least_lead: float = 1.0
    """The least lead instead, when the grammar's own answer means the same."""
    least_known_share: float = 0.75
    """The least share of the words heard that the context's sentences use."""
    cautious_least_weight: float = 3.0
    """The least weight instead, for a meaning the context is cautious about (taken only when
    the grammar's own answer means it too). Chosen on the tuning voices (the tuning phrasings
    clean and with hiss, every second corpus line clean and with talk behind): at 2 (a "no"
    alone) "knowing my luck" and "now where was i" were heard as "no" 9 times (asked again);
    at 3 none were, and 59 answers the grammar had turned away were taken, 1 wrongly (a "no,
    I haven't had any" with talk behind as the denial "no, it's brand new"); 34 at 4.
    ``benchmarks/second_chance.py`` replays logged evidence at each pair of levels."""
    cautious_least_lead: float = 1.0
    """The least lead instead, for a meaning the context is cautious about (at 2, 14 fewer
    right, and not that wrong one)."""
    most_unexplained_share: float = 1.0
    """How much the words heard that no sentence of the nearest one's meaning uses may weigh,
    as a share of the weight of its own words heard (a word no sentence of the context uses
    weighs as much as the rarest that one does): more than that, and more was said, about
    something else ("yes we have no bananas" is no "yes", "next week is fine" no "next").
    Chosen on the tuning voices and rooms (every 12th corpus line of the seven tuning voices in
    the four tuning rooms, and joe's and joe made a woman's tuning phrasings clean and with talk
    behind: 7,004 utterances, 1,508 of them out of the grammar): against never turning one away,
    9 fewer right answers of 3,481, 4 fewer wrong and 7 fewer false accepts of 72; at 0.5, 29
    fewer right and 18 fewer false accepts; at 1.5, 6 and 3. ``benchmarks/second_chance.py``
    replays logged evidence at each pair of this and ``talk_behind_db``."""
    talk_behind_db: float = 7.0
    """How much quieter than the loudest word heard a word must be (each time it was heard) to
    be taken for talk in the room behind, which says nothing about what the speaker meant.
    Chosen with the share, on the same runs: counting every word cost 39 right answers (most
    with talk behind) for 17 fewer false accepts; at 4 dB, 8 and 1; at 10 dB, 12 and 11. 7 dB
    is the level that already tells talk behind from more said after a grammar's answer
    (``pocketsphinx_engine.OUTSIDE_QUIETER_DB``); 10 dB would turn 4 more false accepts away for
    3 more right answers."""


class NearestSentence:
    """One context's sentences, to find the one nearest to words heard outside the grammar."""

    def __init__(self, phrases: ContextPhrases, settings: SecondChanceSettings = SecondChanceSettings()) -> None:
        self._settings = settings
        self._cautious = phrases.cautious
        meanings = phrases.meanings
        users: dict[str, set[str]] = defaultdict(set)
        self._sentences: dict[tuple[str, ...], tuple[str, str]] = {}
        """Each sentence's words (sorted, each once) → the first sentence with those words, and
        its meaning. Tuples of shared strings: sets of copied words took 7.9 MB for the steps'
        7,210 sentences, these take 1.0 MB."""
        for text, intent in meanings.items():
            words = tuple(sorted({sys.intern(word) for word in text.split()}))
            for word in words:
                users[word].add(intent)
            self._sentences.setdefault(words, (text, intent))
        count = len(set(meanings.values()))
        self._weight = {word: math.log(count / len(intents)) for word, intents in users.items()}
        """How much a word says: more the fewer meanings use it ("repeat"; not "the")."""
        self._meanings_using = dict(users)
        """Each word → the meanings whose sentences use it."""
        self._rarest = max(self._weight.values(), default=0.0)
        """What a word the context never uses weighs."""
        self._holding: dict[str, list[tuple[str, ...]]] = defaultdict(list)
        for words in self._sentences:
            for word in words:
                self._holding[word].append(words)

    def closeness(self, heard: set[str], words: tuple[str, ...]) -> float:
        """The weight of a sentence's words that were heard, less the weight of those not heard."""
        return sum(self._weight[word] if word in heard else -self._weight[word] for word in words)

    def sentence_for(self, heard: str, grammar_meaning: str | None = None,
                     levels: Iterable[tuple[str, float]] = ()) -> str | None:
        """The sentence the words ``heard`` most nearly say, or None when none is near enough,
        when one of another meaning is nearly as near, when the nearest is a decoy or means
        something the context is cautious about that the grammar's own answer,
        ``grammar_meaning``, did not, or when more was said than it, about something else.
        Less is asked when it means what the grammar's answer did (two searches agree), and
        more when that meaning is a cautious one. ``levels`` says how much quieter than the
        loudest each word heard was (dB, 0 or less)."""
        words = heard.split()
        if not words or sum(word in self._weight for word in words) / len(words) < self._settings.least_known_share:
            return None
        said = set(words)
        best: dict[str, tuple[float, int, str]] = {}
        """Each meaning's nearest sentence: its closeness, its length negated, the sentence."""
        for sentence in {candidate for word in said for candidate in self._holding.get(word, ())}:
            text, intent = self._sentences[sentence]
            entry = (self.closeness(said, sentence), -len(sentence), text)
            if entry > best.get(intent, (-math.inf, 0, "")):
                best[intent] = entry
        ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
        if not ranked:
            return None
        intent, (nearness, _, text) = ranked[0]
        runner_up = ranked[1][1][0] if len(ranked) > 1 else -math.inf
        heard_weight = sum(self._weight[word] for word in set(text.split()) & said)
        if is_decoy(intent) or (intent in self._cautious and intent != grammar_meaning):
            return None
        least_weight, least_lead = self._least(intent, agreeing=intent == grammar_meaning)
        if heard_weight < least_weight or nearness - runner_up < least_lead:
            return None
        if self._unexplained(said - self._talk_behind(levels), intent) > self._settings.most_unexplained_share * heard_weight:
            return None
        return text

    def _talk_behind(self, levels: Iterable[tuple[str, float]]) -> set[str]:
        """The words heard only quieter than ``talk_behind_db`` under the loudest."""
        heard = list(levels)
        loud = {word for word, level in heard if level > -self._settings.talk_behind_db}
        return {word for word, _ in heard} - loud

    def _unexplained(self, said: set[str], intent: str) -> float:
        """The weight of the words ``said`` that no sentence of ``intent`` uses."""
        return sum(self._weight.get(word, self._rarest) for word in said
                   if intent not in self._meanings_using.get(word, ()))

    def _least(self, intent: str, agreeing: bool) -> tuple[float, float]:
        """The least weight and lead the nearest sentence of ``intent`` needs."""
        settings = self._settings
        if intent in self._cautious:
            return settings.cautious_least_weight, settings.cautious_least_lead
        if agreeing:
            return settings.agreeing_least_weight, settings.agreeing_least_lead
        return settings.least_weight, settings.least_lead
