"""The free decode's language model, cut to its own words and kept in the user's cache.

    python -m voice_assistant.asr.free_decode_lm [--grammars DIR]

scripts/setup runs this once for the packaged grammar. The cut model gives the same
probabilities to everything the free decode can say (voice_assistant/asr/trie_lm.py) and
takes ~14 MB less memory. Without it (another grammar, a new pocketsphinx) the free decode
loads the whole model: the same results, more memory. The file's name says which words and
which model it was cut from, so a stale one is never used.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import zlib
from pathlib import Path

from voice_assistant.errors import UserFacingError


def cache_dir() -> Path:
    """$XDG_CACHE_HOME/voice-assistant, or ~/.cache/voice-assistant."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "voice-assistant"


def _cut_model_path(source: Path, vocabulary: set[str]) -> Path:
    words = zlib.crc32("\n".join(sorted(vocabulary)).encode("utf-8"))
    status = source.stat()
    return cache_dir() / f"free-decode-{words:08x}-{status.st_size}-{status.st_mtime_ns}.lm.bin"


def language_model(source: Path, vocabulary: set[str]) -> Path:
    """The model the free decode should load: the cut one if it has been made, else ``source``."""
    try:
        cut = _cut_model_path(source, vocabulary)
    except OSError:
        return source  # pocketsphinx then names the missing model in its own error
    return cut if cut.is_file() else source


def build(source: Path, vocabulary: set[str]) -> Path:
    """Cut ``source`` to ``vocabulary`` into the cache (written whole, then renamed) and return it."""
    from voice_assistant.asr.trie_lm import keep_words, read_trie, write_trie

    cut = _cut_model_path(source, vocabulary)
    cut.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=cut.parent, prefix=".free-decode-", delete=False) as partial:
        partial_path = Path(partial.name)
    try:
        write_trie(keep_words(read_trie(source), vocabulary), partial_path)
        os.replace(partial_path, cut)
    finally:
        partial_path.unlink(missing_ok=True)
    return cut


def main(argv: list[str] | None = None) -> int:
    from voice_assistant.asr.pocketsphinx_model import free_decode_vocabulary, model_dir
    from voice_assistant.grammar import load_grammar

    parser = argparse.ArgumentParser(prog="python -m voice_assistant.asr.free_decode_lm",
                                     description="Cut the free decode's language model to its words.")
    parser.add_argument("--grammars", type=Path, help="the grammar folder (default: the packaged one)")
    args = parser.parse_args(argv)
    try:
        grammar = load_grammar(args.grammars)
        path = build(model_dir() / "en-us.lm.bin", free_decode_vocabulary(grammar))
    except (UserFacingError, OSError, ValueError) as error:
        print(f"free_decode_lm: {error}", file=sys.stderr)
        return 1
    print(f"free decode language model: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
