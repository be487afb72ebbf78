"""Write the free decode's vocabulary: the most frequent words of pocketsphinx's US-English model.

    .venv/bin/python scripts/free_decode_words.py [OUT]

The free decode (voice_assistant/asr/pocketsphinx_engine.py, its lexicon from pocketsphinx_model.py) only has to say roughly what was
said, to compare with the grammar's answer. With all 134,000 words of the dictionary its
search takes ~90 MB; with the most frequent ones (by the language model's own unigram
probability) it takes ~45 MB less. The list depends on the model the pocketsphinx wheel
ships, so a test regenerates it and compares.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT)]

from voice_assistant.asr.pocketsphinx_model import FREE_DECODE_WORDS_FILE, model_dir  # noqa: E402

FREE_DECODE_WORDS = 10000
"""How many words: 10,000 instead of 20,000 changed 3 of 2,097 held-out results (false accepts
and hazards the same) and saves ~8 MB (a smaller search and a smaller cut language model)."""


def most_frequent_words(count: int = FREE_DECODE_WORDS) -> list[str]:
    """The dictionary's words the language model knows, most probable first (ties by spelling)."""
    from pocketsphinx import Config, LogMath, NGramModel

    base = model_dir()
    model = NGramModel(Config(logfn=os.devnull), LogMath(), str(base / "en-us.lm.bin"))
    unknown = model.prob(["a-word-the-model-has-not-seen"])
    words = {line.split(maxsplit=1)[0].split("(")[0]
             for line in (base / "cmudict-en-us.dict").read_text(encoding="utf-8").splitlines() if line.strip()}
    scored = [(model.prob([word]), word) for word in words]
    ranked = sorted((item for item in scored if item[0] > unknown), key=lambda item: (-item[0], item[1]))
    return [word for _, word in ranked[:count]]


def main() -> None:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else FREE_DECODE_WORDS_FILE
    out.write_text("\n".join(most_frequent_words()) + "\n", encoding="utf-8")
    print(f"{out}: {FREE_DECODE_WORDS} words")


if __name__ == "__main__":
    main()
