"""Commands said over talk that goes on around them, heard as the live path hears them.

    .venv/bin/python benchmarks/background_talk.py [--voices a,b] [--rooms chatter,tv] [--every N]
        [--before S] [--after S] [--jsonl FILE]

`benchmarks/recognition.py` decodes each recording whole, the room's talk starting with the
words and running a second or two past them. Live, a television talks before and after, and the
endpointer cuts the stream before the recognizer hears it. Here each corpus line (every N-th
phrasing, the single words, the near misses and the out-of-grammar lines) is said `--before`
seconds into a stream of the room's talk (its sentences one after another, 12 dB under the
voice, as in `tests/speechgen.py`: joe's lines in the tuning room `chatter`, slt's news in the
held-out `tv`), with `--after` seconds more of it, and the whole stream is heard by a
`Listener` (endpointer and recognizer, as live: `tests/listening.py`). A line is right when its
intent was heard and nothing else was; wrong when anything else was taken (from the words or
from the talk); missed otherwise. An out-of-grammar line is a false accept when anything was
taken. Hazards are counted as `benchmarks/recognition.py` counts them, for everything taken
(with no confidence to go by, a "no" is never counted as one the dialog would ask again).
Printed per voice and room, tuning ones marked, with how many utterances the endpointer cut
from all the streams (the talk's own sentences among them). ``--jsonl`` writes what was taken
from each line's stream (the words and their meaning, in order).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from listening import listen  # noqa: E402
from speech_corpus import corpus, hazard  # noqa: E402
from speechgen import CHATTER_LINES, TUNING_ROOMS, TV_LINES, VOICES, speech, speech_power  # noqa: E402

from voice_assistant.asr.pocketsphinx_engine import PocketsphinxRecognizer  # noqa: E402
from voice_assistant.audio.wav import SAMPLE_RATE, read_wav  # noqa: E402
from voice_assistant.grammar import load_grammar  # noqa: E402

TALK = {"chatter": (CHATTER_LINES, "piper-joe"), "tv": (TV_LINES, "festival-slt")}
"""Each room's talk: its sentences and the voice that says them (tests/speechgen.py)."""
UNDER_THE_VOICE_DB = 12.0
"""How far the talk's power is under the voice's (the voice's over its louder samples)."""


def talk(room: str) -> np.ndarray:
    """The room's sentences one after another (each with the pauses its rendering has)."""
    lines, voice = TALK[room]
    return np.concatenate([read_wav(speech(line, voice, "clean")).astype(np.float64) for line in lines])


def stream(words: np.ndarray, background: np.ndarray, before: float, after: float, offset: int,
           under_db: float = UNDER_THE_VOICE_DB) -> np.ndarray:
    """``words`` said ``before`` seconds into ``background`` (from its sample ``offset`` on, over
    and over), with ``after`` seconds more; the background ``under_db`` under the words."""
    voice = np.concatenate([np.zeros(int(before * SAMPLE_RATE)), words.astype(np.float64),
                            np.zeros(int(after * SAMPLE_RATE))])
    under = np.resize(np.roll(background, -offset), len(voice))
    under *= np.sqrt(speech_power(words.astype(np.float64)) / (np.mean(background ** 2) * 10 ** (under_db / 10)))
    return np.clip(np.round(voice + under), -32768, 32767).astype(np.int16)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voices", default=",".join(VOICES))
    parser.add_argument("--rooms", default="chatter,tv")
    parser.add_argument("--every", type=int, default=6)
    parser.add_argument("--before", type=float, default=8.0)
    parser.add_argument("--after", type=float, default=4.0)
    parser.add_argument("--jsonl", type=Path, help="write what was taken from each stream here")
    args = parser.parse_args()
    log = args.jsonl.open("w", encoding="utf-8") if args.jsonl else None
    grammar = load_grammar()
    recognizer = PocketsphinxRecognizer(grammar)
    items = corpus(args.every)
    print(f"{len(items)} lines per voice and room, {args.before:g} s of talk before, {args.after:g} s after")
    for voice in args.voices.split(","):
        for room in args.rooms.split(","):
            recognizer.new_speaker()
            background = talk(room)
            tally: Counter[str] = Counter()
            cut = hazards = 0
            for index, item in enumerate(items):
                words = read_wav(speech(item.text, voice, "clean"))
                audio = stream(words, background, args.before, args.after, offset=index * 7919 % len(background))
                utterances = listen(recognizer, grammar, item.context, audio)
                taken = [(u.text, u.intent) for u in utterances if u.intent]
                heard = [intent for _, intent in taken]
                cut += len(utterances)
                hazards += sum(hazard(item, intent) is not None for intent in heard)
                if log:
                    record = {"voice": voice, "room": room, "context": item.context, "text": item.text,
                              "intent": item.intent, "taken": taken, "utterances": len(utterances)}
                    print(json.dumps(record), file=log, flush=True)
                if item.intent is None:
                    tally["false accept" if heard else "rejected"] += 1
                elif heard and set(heard) == {item.intent}:
                    tally["right"] += 1
                else:
                    tally["wrong" if heard else "missed"] += 1
            inside = tally["right"] + tally["wrong"] + tally["missed"]
            outside = tally["false accept"] + tally["rejected"]
            mark = "tuned   " if VOICES[voice].tuned and room in TUNING_ROOMS else "held-out"
            print(f"{voice:13} {room:8} {mark} right {tally['right'] / inside:6.1%} ({tally['right']}/{inside})  "
                  f"wrong {tally['wrong']:3}  missed {tally['missed']:3}  "
                  f"false accepts {tally['false accept']}/{outside}  hazards {hazards}  utterances cut {cut}", flush=True)


if __name__ == "__main__":
    main()
