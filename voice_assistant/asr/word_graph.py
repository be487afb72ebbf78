"""The smallest word graph of a context's sentences: what pocketsphinx searches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable


@dataclass(frozen=True)
class WordGraph:
    """An acyclic automaton over words: (from, to, word) arcs, ``None`` for an empty step.

    Every path from ``start`` to ``final`` spells one sentence. States reached by the same
    remaining sentences are merged, so a decoder searches each shared ending once.
    """

    start: int
    final: int
    arcs: tuple[tuple[int, int, str | None], ...]

    def sentences(self) -> set[str]:
        """Every sentence the graph spells (for checking it)."""
        outgoing: dict[int, list[tuple[int, str | None]]] = {}
        for source, target, word in self.arcs:
            outgoing.setdefault(source, []).append((target, word))
        found: set[str] = set()
        stack: list[tuple[int, tuple[str, ...]]] = [(self.start, ())]
        while stack:
            state, words = stack.pop()
            if state == self.final:
                found.add(" ".join(words))
            for target, word in outgoing.get(state, []):
                stack.append((target, words + (word,) if word else words))
        return found


def minimal_word_graph(sentences: Iterable[str]) -> WordGraph:
    """Build a word trie of the sentences, then merge states with identical futures."""
    children: list[dict[str, int]] = [{}]
    ends: list[bool] = [False]
    for sentence in sentences:
        node = 0
        for word in sentence.split():
            if word not in children[node]:
                children.append({})
                ends.append(False)
                children[node][word] = len(children) - 1
            node = children[node][word]
        ends[node] = True
    merged: dict[int, int] = {}
    by_future: dict[tuple, int] = {}
    for node in reversed(range(len(children))):  # a child is always numbered after its parent
        future = (ends[node], tuple(sorted((word, merged[child]) for word, child in children[node].items())))
        merged[node] = by_future.setdefault(future, node)
    numbers: dict[int, int] = {}
    for node in sorted(set(merged.values())):
        numbers[node] = len(numbers)
    final = len(numbers)
    arcs: list[tuple[int, int, str | None]] = []
    for node, number in numbers.items():
        arcs.extend((number, numbers[merged[child]], word) for word, child in sorted(children[node].items()))
        if ends[node]:
            arcs.append((number, final, None))
    return WordGraph(numbers[merged[0]], final, tuple(arcs))


def sentence_weights(graph: WordGraph) -> list[float]:
    """A probability for each arc that makes every sentence equally likely.

    Spreading a state's probability evenly over its arcs would charge a short sentence for
    the longer ones that continue it: a bare "stop" would pay for "stop it", "stop counting"
    and the rest. Weighting each arc by the sentences that go through it does not.
    """
    outgoing: dict[int, list[int]] = {}
    for index, (source, _, _) in enumerate(graph.arcs):
        outgoing.setdefault(source, []).append(index)
    paths = {graph.final: 1}

    def count(state: int) -> int:
        if state not in paths:
            paths[state] = sum(count(graph.arcs[i][1]) for i in outgoing.get(state, []))
        return paths[state]

    for state in sorted({source for source, _, _ in graph.arcs}, reverse=True):
        count(state)  # deepest states first, so the recursion stays shallow
    return [count(target) / count(source) for source, target, _ in graph.arcs]
