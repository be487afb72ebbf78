"""The energy endpointer against WebRTC's voice-activity detector, per voice and room.

    .venv/bin/python benchmarks/vad.py [--voices a,b] [--rooms a,b] [--every N]

Both run the same state machine (`audio/endpoint.py`: preroll, 0.15 s of speech to count,
0.5 s of quiet to end); only the frame decision differs: the energy rule (louder than 3.5x
the learnt noise floor and than 150), or `webrtcvad` at aggressiveness 2 and 3 (the
`webrtcvad-wheels` package). For each utterance of the development corpus (every N-th
phrasing, the single words and the near misses), rendered by each voice in each room, the
speech itself is located on the clean rendering (first to last 10 ms block within 30 dB of its
loudest). Printed per voice and room, with the tuning ones marked:

- whole: exactly one utterance, starting no later than 0.1 s into the speech and ending after it;
- split: more than one utterance; missed: none; cut: one that starts late or ends early;
  unended: one still going 2 s after the speech (the room's own sound, taken from before the
  speech, is played on after it);
- the median wait from the end of the speech to the end of the utterance.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from speech_corpus import IN_GRAMMAR, NEAR_MISSES, SINGLE_WORDS  # noqa: E402
from speechgen import ROOMS, TUNING_ROOMS, VOICES, speech  # noqa: E402

from voice_assistant.audio.endpoint import Endpointer, frames  # noqa: E402
from voice_assistant.audio.wav import SAMPLE_RATE, read_wav  # noqa: E402

BLOCK = SAMPLE_RATE // 100


class WebrtcEndpointer(Endpointer):
    """The same endpointer, with WebRTC's VAD deciding which frames are speech."""

    def __init__(self, aggressiveness: int) -> None:
        import webrtcvad

        super().__init__()
        self._vad = webrtcvad.Vad(aggressiveness)

    def _is_loud(self, frame: np.ndarray) -> bool:
        return bool(self._vad.is_speech(frame.astype(np.int16).tobytes(), SAMPLE_RATE))


def speech_span(clean: np.ndarray) -> tuple[float, float]:
    """Seconds where the speech starts and ends in the clean rendering."""
    blocks = clean[: len(clean) // BLOCK * BLOCK].reshape(-1, BLOCK).astype(np.float64)
    level = np.sqrt(np.mean(blocks ** 2, axis=1))
    loud = np.flatnonzero(level > level.max() * 10 ** (-30 / 20))
    return loud[0] / 100, (loud[-1] + 1) / 100


def utterances(endpointer: Endpointer, audio: np.ndarray) -> list[tuple[float, float]]:
    """(start, end) in seconds of every utterance the endpointer finds (one still open at the end
    runs to the end of the audio)."""
    found, start, position = [], None, 0
    for frame in frames(audio):
        segment = endpointer.feed(frame)
        position += len(frame)
        if segment.kind == "start":
            start = (position - len(segment.audio)) / SAMPLE_RATE
        elif segment.kind == "end" and start is not None:
            found.append((start, position / SAMPLE_RATE))
            start = None
        elif segment.kind == "discard":
            start = None
    if start is not None:
        found.append((start, position / SAMPLE_RATE))
    return found


def with_room_after(audio: np.ndarray, onset: float) -> np.ndarray:
    """The recording followed by 2 s more of its room: the sound before the speech, repeated."""
    before = audio[: max(BLOCK, int((onset - 0.05) * SAMPLE_RATE))]
    return np.concatenate([audio, np.resize(before, 2 * SAMPLE_RATE)])


def judge(found: list[tuple[float, float]], span: tuple[float, float], length: float) -> tuple[str, float | None]:
    if not found:
        return "missed", None
    if len(found) > 1:
        return "split", None
    (start, end), (onset, offset) = found[0], span
    if end >= length:
        return "unended", None
    if start > onset + 0.1 or end < offset:
        return "cut", None
    return "whole", end - offset


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--voices", default=",".join(VOICES))
    parser.add_argument("--rooms", default=",".join(ROOMS))
    parser.add_argument("--every", type=int, default=2)
    args = parser.parse_args()
    texts = [t for _, t, _ in IN_GRAMMAR][::args.every] + [t for _, t, _ in SINGLE_WORDS] + [t for _, t in NEAR_MISSES]
    detectors = {"energy": Endpointer, "webrtcvad 2": lambda: WebrtcEndpointer(2),
                 "webrtcvad 3": lambda: WebrtcEndpointer(3)}
    print(f"{len(texts)} utterances per voice and room")
    for voice_name in args.voices.split(","):
        for room in args.rooms.split(","):
            mark = "tuned   " if VOICES[voice_name].tuned and room in TUNING_ROOMS else "held-out"
            tallies = {name: {"whole": 0, "split": 0, "missed": 0, "cut": 0, "unended": 0, "waits": []}
                       for name in detectors}
            for text in texts:
                span = speech_span(read_wav(speech(text, voice_name, "clean")))
                audio = with_room_after(read_wav(speech(text, voice_name, room)), span[0])
                for name, make in detectors.items():
                    verdict, wait = judge(utterances(make(), audio), span, len(audio) / SAMPLE_RATE)
                    tallies[name][verdict] += 1
                    if wait is not None:
                        tallies[name]["waits"].append(wait)
            for name, tally in tallies.items():
                waits = tally["waits"]
                wait = f"{statistics.median(waits) * 1000:.0f} ms" if waits else "-"
                print(f"{voice_name:13} {room:11} {mark} {name:12} whole {tally['whole'] / len(texts):6.1%}  "
                      f"split {tally['split']:2}  missed {tally['missed']:2}  cut {tally['cut']:2}  "
                      f"unended {tally['unended']:2}  "
                      f"end wait median {wait}", flush=True)


if __name__ == "__main__":
    main()
