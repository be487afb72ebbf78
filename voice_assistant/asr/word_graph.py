"""The smallest weighted word graph of a context's sentences: what pocketsphinx searches."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Mapping


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


def _rounded(probability: float) -> float:
    """Probabilities equal but for floating-point noise merge."""
    return float(f"{probability:.9g}")
