"""The smallest weighted word graph of a context's sentences: what pocketsphinx searches."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Mapping, Sequence


@dataclass(frozen=True)
class WordGraph:
    """An acyclic automaton over words: (from, to, word, probability) arcs, ``None`` for an empty step.

    Every path from ``start`` to ``final`` spells one sentence, and the product of its arcs'
    probabilities is that sentence's prior. States with the same weighted future are merged,
    so a decoder searches each shared ending once.
    """

    start: int
    final: int
    arcs: tuple[tuple[int, int, str | None, float], ...]

    def sentences(self) -> dict[str, float]:
        """Every sentence the graph spells, with its prior (for checking it)."""
        outgoing: dict[int, list[tuple[int, str | None, float]]] = {}
        for source, target, word, probability in self.arcs:
            outgoing.setdefault(source, []).append((target, word, probability))
        found: dict[str, float] = {}
        stack: list[tuple[int, tuple[str, ...], float]] = [(self.start, (), 1.0)]
        while stack:
            state, words, prior = stack.pop()
            if state == self.final:
                found[" ".join(words)] = prior
            for target, word, probability in outgoing.get(state, []):
                stack.append((target, words + (word,) if word else words, prior * probability))
        return found


def meaning_uniform_priors(meanings: Mapping[str, str]) -> dict[str, float]:
    """A prior for each sentence that gives every meaning the same share.

    Uniform over sentences, a meaning with many spellings would crowd out a short one:
    "set a timer for N minutes" expands to thousands of sentences and would take almost
    half of a context, a bare "stop" a fifth of a percent. Shared equally between meanings
    (then between each meaning's sentences), "stop" weighs as much as "set a timer".
    """
    counts = Counter(meanings.values())
    return {text: 1.0 / (len(counts) * counts[meaning]) for text, meaning in meanings.items()}


def minimal_word_graph(priors: Mapping[str, float]) -> WordGraph:
    """A word trie of the sentences (with their priors) and each arc's conditional probability,
    then states with identical weighted futures merged."""
    children: list[dict[str, int]] = [{}]
    ends: list[float] = [0.0]
    mass: list[float] = [0.0]
    for sentence, prior in priors.items():
        node = 0
        mass[0] += prior
        for word in sentence.split():
            if word not in children[node]:
                children.append({})
                ends.append(0.0)
                mass.append(0.0)
                children[node][word] = len(children) - 1
            node = children[node][word]
            mass[node] += prior
        ends[node] += prior
    merged: dict[int, int] = {}
    by_future: dict[tuple, int] = {}
    for node in reversed(range(len(children))):  # a child is always numbered after its parent
        future = (_rounded(ends[node] / mass[node]), tuple(sorted(
            (word, merged[child], _rounded(mass[child] / mass[node])) for word, child in children[node].items())))
        merged[node] = by_future.setdefault(future, node)
    numbers: dict[int, int] = {}
    for node in sorted(set(merged.values())):
        numbers[node] = len(numbers)
    final = len(numbers)
    arcs: list[tuple[int, int, str | None, float]] = []
    for node, number in numbers.items():
        arcs.extend((number, numbers[merged[child]], word, mass[child] / mass[node])
                    for word, child in sorted(children[node].items()))
        if ends[node]:
            arcs.append((number, final, None, ends[node] / mass[node]))
    return WordGraph(numbers[merged[0]], final, tuple(arcs))


FILLER_SHARE = 0.1
"""The prior of a filler before a sentence (shared by the fillers), and apart, after one."""


def with_fillers(graph: WordGraph, before: Sequence[str], after: Sequence[str],
                 share: float = FILLER_SHARE) -> WordGraph:
    """``graph`` with one of ``before`` allowed ahead of every sentence and one of ``after``
    behind it, each taken with prior ``share`` (two states and a few arcs, not a copy of the
    sentences)."""
    start, final, arcs = graph.start, graph.final, list(graph.arcs)
    if before:
        start = final + 1  # the states are numbered up to final
        arcs += _optional_word(start, graph.start, before, share)
    if after:
        final = max(start, graph.final) + 1
        arcs += _optional_word(graph.final, final, after, share)
    return WordGraph(start, final, tuple(arcs))


def _optional_word(source: int, target: int, words: Sequence[str], share: float) -> list[tuple[int, int, str | None, float]]:
    """Arcs from ``source`` to ``target``: nothing, or one of ``words`` with prior ``share``."""
    return [(source, target, None, 1.0 - share), *((source, target, word, share / len(words)) for word in words)]


def _rounded(probability: float) -> float:
    """Probabilities equal but for floating-point noise merge."""
    return float(f"{probability:.9g}")
