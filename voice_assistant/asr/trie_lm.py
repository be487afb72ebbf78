"""pocketsphinx's binary trie language model: read one, keep only some words, write it back.

The free decode can only ever say the words of its lexicon, yet pocketsphinx holds the whole
language model in memory: for the general English model, 72,547 words and 3.7 million word
pairs and triples, ~33 MB. Keeping only the entries whose words are all in the lexicon gives
exactly the same probability to every sequence of those words, because lookups only ever walk
entries made of such words and the quantisation tables are copied, not retrained, so the
decode is unchanged. Cut to the free decode's ~10,000 words, the general model takes 19 MB
in memory instead of 33.

The format (pocketsphinx src/lm/ngram_model_trie.c, lm_trie.c, lm_trie_quant.c): a header,
the order and the count of each order, the quantisation tables, the unigrams (probability,
backoff, first child), then for each higher order one bit-packed array (least significant bit
first) of entries ``word | quantised values | first child`` sorted by parent, then the words
as NUL-terminated strings. Entries of the highest order have no child and a probability only.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

HEADER = b"Trie Language Model"
QUANTISED_BITS = 16
"""Bits of each quantised probability or backoff (pocketsphinx's fixed choice)."""
UNIGRAM = np.dtype([("prob", "<f4"), ("backoff", "<f4"), ("next", "<u4")])


class TrieFormatError(ValueError):
    """A file that is not a trie language model this module understands."""


@dataclass
class Level:
    """The entries of one order above the first: word ids, quantised values and, for all but
    the highest order, where each entry's children begin (one more than the entries: the end)."""

    words: np.ndarray
    values: np.ndarray
    next: np.ndarray | None


@dataclass
class TrieModel:
    """A trie language model as arrays: the unigrams, one ``Level`` per higher order, the words."""

    unigrams: np.ndarray
    """One row per word and a last row whose ``next`` ends the second order's entries."""
    levels: list[Level]
    """Orders 2 and up."""
    quantisation: bytes
    """The quantisation tables, as stored (with the int before them)."""
    words: list[bytes]

    @property
    def counts(self) -> list[int]:
        return [len(self.words)] + [len(level.words) for level in self.levels]


def _bits(maximum: int) -> int:
    """Bits pocketsphinx uses to store numbers up to ``maximum``."""
    return int(maximum).bit_length()


def _array_bytes(entries: int, total_bits: int) -> int:
    """Bytes of one order's array: a spare entry for the end pointer, and 8 bytes of slack."""
    return ((1 + entries) * total_bits + 7) // 8 + 8


def _level_layout(counts: list[int], order_index: int) -> tuple[int, int, int]:
    """(word bits, value bits, next bits) of the entries of ``counts[order_index]``."""
    highest = order_index == len(counts) - 1
    next_bits = 0 if highest else _bits(counts[order_index + 1])
    value_bits = QUANTISED_BITS if highest else 2 * QUANTISED_BITS
    return _bits(counts[0]), value_bits, next_bits


def _gather(memory: np.ndarray, positions: np.ndarray, width: int) -> np.ndarray:
    """Little-endian bit fields of ``width`` (at most 57) bits starting at ``positions``."""
    index = positions >> np.uint64(3)
    value = np.zeros(len(positions), dtype=np.uint64)
    for byte in range(8):
        value |= memory[index + np.uint64(byte)].astype(np.uint64) << np.uint64(8 * byte)
    return (value >> (positions & np.uint64(7))) & np.uint64((1 << width) - 1)


def _pack(fields: list[tuple[np.ndarray, int]], size: int, rows_at_once: int = 1 << 16) -> bytes:
    """Rows of bit fields (values, width), least significant bit first, one row after the
    other, zero-padded to ``size`` bytes. Rows go a block at a time (a multiple of 8 rows
    fills whole bytes), so memory stays small whatever the model."""
    fields = [(values.astype(np.uint64), width) for values, width in fields if width]
    chunks = []
    for start in range(0, len(fields[0][0]), rows_at_once):
        columns = [((values[start:start + rows_at_once, None] >> np.arange(width, dtype=np.uint64)) & np.uint64(1))
                   .astype(np.uint8) for values, width in fields]
        chunks.append(np.packbits(np.concatenate(columns, axis=1).ravel(), bitorder="little").tobytes())
    packed = b"".join(chunks)
    return packed + bytes(size - len(packed))


def read_trie(path: Path) -> TrieModel:
    data = path.read_bytes()
    try:
        return _parse(path, data)
    except TrieFormatError:
        raise
    except (struct.error, ValueError, IndexError) as error:
        raise TrieFormatError(f"{path}: not a whole pocketsphinx trie language model ({error})") from None


def _parse(path: Path, data: bytes) -> TrieModel:
    if not data.startswith(HEADER):
        raise TrieFormatError(f"{path}: not a pocketsphinx trie language model")
    at = len(HEADER)
    order = data[at]
    counts = list(struct.unpack_from(f"<{order}I", data, at + 1))
    at += 1 + 4 * order
    if order < 2:
        raise TrieFormatError(f"{path}: a unigram-only model has nothing to cut")
    quantisation_size = 4 + 4 * (1 << QUANTISED_BITS) * (2 * (order - 2) + 1)
    quantisation = data[at:at + quantisation_size]
    at += quantisation_size
    unigrams = np.frombuffer(data, dtype=UNIGRAM, count=counts[0] + 1, offset=at).copy()
    at += UNIGRAM.itemsize * (counts[0] + 1)
    levels = []
    for index in range(1, order):
        word_bits, value_bits, next_bits = _level_layout(counts, index)
        total = word_bits + value_bits + next_bits
        size = _array_bytes(counts[index], total)
        memory = np.frombuffer(data[at:at + size] + bytes(8), dtype=np.uint8)
        at += size
        starts = np.arange(counts[index] + 1, dtype=np.uint64) * np.uint64(total)
        words = _gather(memory, starts[:-1], word_bits).astype(np.uint32)
        values = _gather(memory, starts[:-1] + np.uint64(word_bits), value_bits).astype(np.uint32)
        next_ = _gather(memory, starts + np.uint64(word_bits + value_bits), next_bits).astype(np.uint32) \
            if next_bits else None
        levels.append(Level(words, values, next_))
    (length,) = struct.unpack_from("<i", data, at)
    words = data[at + 4:at + 4 + length].split(b"\0")[:-1]
    if len(words) != counts[0] or at + 4 + length != len(data):
        raise TrieFormatError(f"{path}: word list does not match the model's {counts[0]} words")
    return TrieModel(unigrams, levels, quantisation, words)


def write_trie(model: TrieModel, path: Path) -> None:
    counts = model.counts
    parts = [HEADER, bytes([len(counts)]), struct.pack(f"<{len(counts)}I", *counts), model.quantisation,
             model.unigrams.astype(UNIGRAM).tobytes()]
    for index, level in enumerate(model.levels, start=1):
        word_bits, value_bits, next_bits = _level_layout(counts, index)
        size = _array_bytes(counts[index], word_bits + value_bits + next_bits)
        end_row = np.zeros(1, dtype=np.uint32)  # the spare entry: only its next pointer counts
        fields = [(np.concatenate([level.words, end_row]), word_bits),
                  (np.concatenate([level.values, end_row]), value_bits)]
        if level.next is not None:
            fields.append((level.next, next_bits))
        parts.append(_pack(fields, size))
    text = b"".join(word + b"\0" for word in model.words)
    parts += [struct.pack("<i", len(text)), text]
    path.write_bytes(b"".join(parts))


def keep_words(model: TrieModel, vocabulary: set[str]) -> TrieModel:
    """The model restricted to ``vocabulary`` (and the sentence markers): every entry with a
    word outside it goes, with everything below it."""
    keep_word = np.array([word.decode("utf-8", "replace") in vocabulary or word in (b"<s>", b"</s>")
                          for word in model.words])
    new_id = np.cumsum(keep_word) - 1
    unigrams = model.unigrams[np.append(np.flatnonzero(keep_word), len(model.words))].copy()
    starts = model.unigrams["next"].astype(np.int64)  # where each parent's children begin, and the end
    parent_kept = keep_word
    levels: list[Level] = []
    for level in model.levels:
        # Entries from the end on are never reached (pocketsphinx can allocate a few more
        # than it fills): they go too.
        begin, end = int(starts[0]), int(starts[-1])
        keep = np.zeros(len(level.words), dtype=bool)
        parents = np.repeat(np.arange(len(starts) - 1), np.diff(starts))
        keep[begin:end] = parent_kept[parents] & keep_word[level.words[begin:end]]
        before = np.concatenate([[0], np.cumsum(keep)]).astype(np.uint32)  # kept entries before each
        if levels:
            levels[-1].next = before[levels[-1].next]
        else:
            unigrams["next"] = before[unigrams["next"]]
        rows = np.flatnonzero(keep)
        next_ = None if level.next is None else level.next[np.append(rows, end)]
        levels.append(Level(new_id[level.words[rows]].astype(np.uint32), level.values[rows], next_))
        if level.next is not None:
            starts = level.next[:end + 1].astype(np.int64)
        parent_kept = keep
    return TrieModel(unigrams, levels, model.quantisation, [w for w, k in zip(model.words, keep_word) if k])
