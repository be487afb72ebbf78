"""pocketsphinx: the embedded default engine (its wheel ships a US-English model)."""

from __future__ import annotations

import math
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from voice_assistant.asr import free_decode_lm
from voice_assistant.asr.base import Transcript
from voice_assistant.asr.cepstral_mean import SessionMean, parse, render
from voice_assistant.asr.noise_floor import LOOKAHEAD, NoiseFloor
from voice_assistant.asr.word_graph import meaning_uniform_priors, minimal_word_graph
from voice_assistant.errors import UserFacingError
from voice_assistant.grammar import PRONUNCIATIONS_FILE, Grammar


def model_dir() -> Path:
    import pocketsphinx

    return Path(pocketsphinx.get_model_path()) / "en-us"


@lru_cache(maxsize=2)
def dictionary_words(path: Path) -> frozenset[str]:
    """The words of a pronunciation dictionary (alternates like word(2) folded)."""
    words = set()
    with open(path, encoding="utf-8", errors="replace") as file:
        for line in file:
            if line.strip() and not line.startswith(";"):
                words.add(line.split()[0].split("(")[0])
    return frozenset(words)


FREE_DECODE_WORDS_FILE = Path(__file__).with_name("free_decode_words.txt")
"""The model's most frequent words, most frequent first, which the free decode knows besides
the grammar's: made by scripts/free_decode_words.py from the model."""


def lexicon(words: frozenset[str] | set[str], dictionary: Path, pronunciations: dict[str, str]) -> str:
    """Dictionary lines for ``words``: the dictionary's (with alternates), then the grammar's
    own pronunciations for words the dictionary lacks."""
    lines, found = [], set()
    with open(dictionary, encoding="utf-8", errors="replace") as file:
        for line in file:
            word = line.split(maxsplit=1)[0].split("(")[0] if line.strip() else ""
            if word in words:
                lines.append(line.rstrip("\n"))
                found.add(word)
    lines += [f"{word} {phones}" for word, phones in sorted(pronunciations.items())
              if word in words and word not in found]
    return "\n".join(lines) + "\n"


def free_decode_vocabulary(grammar: Grammar) -> set[str]:
    """The grammar's words and the model's most frequent ones."""
    frequent = FREE_DECODE_WORDS_FILE.read_text(encoding="utf-8").split()
    return set(frequent) | grammar.vocabulary()


def missing_words(grammar: Grammar) -> list[str]:
    """Grammar words pocketsphinx cannot pronounce, one problem line each."""
    known = dictionary_words(model_dir() / "cmudict-en-us.dict") | set(grammar.pronunciations)
    path = grammar.directory / "intents.yaml"
    return [
        f"{path}: word '{word}' is not in the pocketsphinx dictionary; add it to {PRONUNCIATIONS_FILE}"
        for word in sorted(grammar.vocabulary() - known)
    ]


# A grammar forces every sound onto some sentence, so the grammar path has to be judged.
# The main yardstick is a phone loop: the best acoustic fit any sequence of English phones
# gets on the same audio. In-grammar speech fits the grammar almost as well as the phone
# loop; other speech does not. A second route accepts a fair grammar score that a free
# decode with the general English model agrees with (in words, or in meaning: "no" for
# "nope"). Either way, the grammar's words must fit the audio nearly as well as the free
# decode's own words, unless those say the same (in words or in meaning): chatter the free
# decode hears word for word ("the cat sat on the mat", forced onto "heat pad's on now")
# fits its own words better, while a right result fits at least as well as whatever the free
# decode made of it. Scores are log base 1.0001 per 10 ms frame.
ACCEPT_GAP_TO_PHONE_LOOP = -16.0
ACCEPT_SCORE_PER_FRAME = -21.0
RESCUE_SCORE_PER_FRAME = -40.0
RESCUE_AGREEMENT = 0.5
LEAST_GAP_TO_FREE_DECODE = -1.0
# The same evidence, with the utterance's length, goes through a logistic model to give the
# chance the result is right: the confidence reported. An intent the context is cautious
# about ("no" to a red-flag question, the start phrase when idle) must also reach the least
# confidence grammars/contexts.yaml gives it; a doubtful one is rejected, so the question is
# asked again instead of a red flag being missed. Fitted by benchmarks/calibrate.py on the
# tuning voices and rooms only (tests/speechgen.py marks them); the README reports the
# held-out figures.
CONFIDENCE_WEIGHTS = (-0.0383, 0.2547, 0.9286, 1.0706, -2.4476, 0.3505)
CONFIDENCE_BIAS = 18.761
_LOG_BASE = math.log(1.0001)
BETWEEN_CONTEXTS = "_between_contexts"
"""The stand-in search's name (a context is never named with a leading underscore)."""

MEAN_BEFORE_ONSET = LOOKAHEAD
"""Samples of room before speech began that go into an utterance's cepstral mean, with the
noise floor's ``LOOKAHEAD`` of speech after it (a longer stretch of speech, 0.8 s or 1.5 s,
was no better with reverberation and left long decodes for short utterances)."""


def confidence_features(scores: dict) -> list[float]:
    """The evidence a confidence is computed from: fit to the phone loop, score per frame,
    agreement with the free decode (in words, and in meaning), the utterance's length, and
    fit against the free decode's words."""
    return [float(scores["gap"]), float(scores["per_frame"]), float(scores["agreement"]),
            float(scores["same_intent"]), math.log(max(1, int(scores["frames"]))), float(scores["free_gap"])]


def confidence(scores: dict) -> float:
    """The chance, from the evidence, that the grammar's result is what was said."""
    total = sum(w * f for w, f in zip(CONFIDENCE_WEIGHTS, confidence_features(scores))) + CONFIDENCE_BIAS
    return round(1.0 / (1.0 + math.exp(-total)), 3)


def accepts(scores: dict, least_confidence: float = 0.0) -> bool:
    """Whether the evidence is enough to take the grammar's result (and, for an intent the
    context is cautious about, its confidence reaches ``least_confidence``)."""
    enough = scores["gap"] >= ACCEPT_GAP_TO_PHONE_LOOP or (
        scores["per_frame"] >= ACCEPT_SCORE_PER_FRAME and scores["agreement"] > 0) or (
        scores["per_frame"] >= RESCUE_SCORE_PER_FRAME and scores["agreement"] >= RESCUE_AGREEMENT)
    enough = enough and (scores["free_gap"] >= LEAST_GAP_TO_FREE_DECODE or scores["agreement"] >= 1.0)
    return enough and (not least_confidence or confidence(scores) >= least_confidence)


def _log_score(probability: float) -> float:
    return math.log(max(probability, 1e-300)) / _LOG_BASE


def _acoustic_score(decoder: Any) -> float:
    return sum(_log_score(segment.ascore) for segment in (decoder.seg() or []))


def _common_words(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence of two word lists."""
    row = [0] * (len(b) + 1)
    for word in a:
        previous = 0
        for j, other in enumerate(b, start=1):
            current = row[j]
            row[j] = previous + 1 if word == other else max(row[j], row[j - 1])
            previous = current
    return row[-1]


class PocketsphinxRecognizer:
    """Grammar-constrained pocketsphinx, judged against a phone loop and a free decode.

    All three search while the audio arrives, so little is left to do once speech ends.
    Each utterance's cepstral normalisation starts from its own first moments (the room just
    before speech began and the first 0.3 s of speech, which the noise floor holds back
    anyway) blended with the session's settled mean (see ``cepstral_mean``), and then follows
    the utterance. Starting from a fixed mean heard a short "no" in an unfamiliar room as
    "help", and the free decode heard "film if" for "nope"; waiting for the whole utterance
    cost ~60 ms after the end of speech.
    """

    engine = "pocketsphinx"

    def __init__(self, grammar: Grammar) -> None:
        from pocketsphinx import Config, Decoder

        self.grammar = grammar
        base = model_dir()
        common = {"hmm": str(base / "en-us"), "logfn": os.devnull, "bestpath": False}
        dictionary = base / "cmudict-en-us.dict"
        try:
            with tempfile.TemporaryDirectory(prefix="voice-assistant-lexicon-") as folder:
                # Each decoder gets a lexicon of only the words it needs. The grammar search
                # and the phone loop: the grammar's own words (not all 134,000: ~20 MB a
                # decoder). The free decode: those and the model's most frequent words, which
                # say what was said well enough to compare (~45 MB less than all of them).
                free_vocabulary = free_decode_vocabulary(grammar)
                free_lexicon = Path(folder) / "free.dict"
                free_lexicon.write_text(lexicon(free_vocabulary, dictionary, grammar.pronunciations),
                                        encoding="utf-8")
                grammar_lexicon = Path(folder) / "grammar.dict"  # a part of the free one
                grammar_lexicon.write_text(lexicon(grammar.vocabulary(), free_lexicon, {}), encoding="utf-8")
                self._decoder = Decoder(Config(lm=None, dict=str(grammar_lexicon), **common))
                # A one-word search to stand in while one context's graph makes way for the next.
                any_word = min(grammar.vocabulary())
                self._decoder.add_fsg(BETWEEN_CONTEXTS, self._decoder.create_fsg(BETWEEN_CONTEXTS, 0, 1,
                                                                                  [(0, 1, 1.0, any_word)]))
                self._phones = Decoder(Config(lm=None, allphone=str(base / "en-us-phone.lm.bin"),
                                              dict=str(grammar_lexicon), **common))
                # No second (flat-lexicon) pass for the free decode: it would add ~60 ms after
                # the end of speech, and the words only need to be good enough to compare. Its
                # language model is cut to its words where scripts/setup has made that.
                free_lm = free_decode_lm.language_model(base / "en-us.lm.bin", free_vocabulary)
                self._free = Decoder(Config(lm=str(free_lm), fwdflat=False, dict=str(free_lexicon), **common))
        except (RuntimeError, ValueError) as error:
            raise UserFacingError(f"pocketsphinx model failed to load ({error}); reinstall it with "
                                  "'pip install --force-reinstall pocketsphinx'") from None
        self._graphs: dict[str, tuple[int, int, list[tuple]]] = {}
        self._meanings: Mapping[str, str] = {}
        self._cautious: Mapping[str, float] = {}
        self._searching = False
        self._floor = NoiseFloor()
        self._session_mean = SessionMean()
        self.context = ""
        self.last_scores: dict[str, float | str] = {}
        """The evidence behind the last result (for benchmarks and calibration)."""

    def set_context(self, context: str) -> None:
        """Compile ``context``'s word graph into the grammar search, in place of the last one.

        Only one context is held compiled (~5 MB each; the last one goes first, so two are
        never held at once), with its sentences' meanings: switching compiles in 4-14 ms.
        The word graphs themselves are kept, since building them takes longer.
        """
        if context == self.context:
            return
        phrases = self.grammar.phrases(context)
        try:
            if context not in self._graphs:
                graph = minimal_word_graph(meaning_uniform_priors(phrases.meanings))
                transitions = [(source, target, probability, *([word] if word else []))
                               for source, target, word, probability in graph.arcs]
                self._graphs[context] = (graph.start, graph.final, transitions)
            self._decoder.activate_search(BETWEEN_CONTEXTS)  # a search in use cannot be removed
            if self.context:
                self._decoder.remove_search(self.context)
        except (RuntimeError, ValueError) as error:
            raise self._compile_error(context, error) from None
        try:
            self._compile(context)
        except (RuntimeError, ValueError) as error:
            if self.context:
                self._compile(self.context)  # it compiled before: the recognizer stays as it was
            raise self._compile_error(context, error) from None
        self.context, self._meanings, self._cautious = context, phrases.meanings, phrases.cautious

    @staticmethod
    def _compile_error(context: str, error: Exception) -> UserFacingError:
        return UserFacingError(f"grammar for context '{context}' failed to compile ({error})")

    def _compile(self, context: str) -> None:
        start, final, transitions = self._graphs[context]
        self._decoder.add_fsg(context, self._decoder.create_fsg(context, start, final, transitions))
        self._decoder.activate_search(context)

    def begin(self) -> None:
        self._searching = False
        self._floor.begin()

    def accept(self, audio: np.ndarray) -> None:
        self._stream(self._floor.push(audio))

    def _stream(self, audio: np.ndarray) -> None:
        if not len(audio):
            return
        if not self._searching:  # the first audio the noise floor lets go: the opening is in it
            mean = render(self._session_mean.for_utterance(self._opening_mean(audio)))
            for decoder in self._decoders:
                decoder.set_cmn(mean)
                decoder.start_utt()
            self._searching = True
        data = audio.tobytes()
        for decoder in self._decoders:
            decoder.process_raw(data, False, False)

    @property
    def _decoders(self) -> tuple[Any, Any, Any]:
        return self._decoder, self._free, self._phones

    def _opening_mean(self, audio: np.ndarray) -> np.ndarray:
        """The cepstral mean of the utterance's first moments: the room just before the onset
        and the first ``LOOKAHEAD`` of speech (all held back by the noise floor until now)."""
        onset = self._floor.onset or 0
        opening = audio[max(0, onset - MEAN_BEFORE_ONSET):onset + LOOKAHEAD].tobytes()
        # pocketsphinx reports a mean blended with what it measured before: start afresh, and
        # measure twice, so that what it blends with is this opening itself.
        self._phones.reinit_feat()
        for _ in range(2):
            self._phones.start_utt()
            self._phones.process_raw(opening, True, True)  # features only: no search
            self._phones.end_utt()
        return parse(self._phones.get_cmn())

    def partial(self) -> str:
        hyp = self._free.hyp() if self._searching else None  # before that, it is the last utterance's
        return hyp.hypstr.strip() if hyp is not None else ""

    def end(self) -> Transcript:
        self._stream(self._floor.flush())
        if not self._searching:
            self.last_scores = {"hypothesis": ""}
            return Transcript("", 0.0)
        for decoder in self._decoders:
            decoder.end_utt()
        self._searching = False
        hyp = self._decoder.hyp()
        text = hyp.hypstr.strip() if hyp is not None else ""
        if not text:
            self.last_scores = {"hypothesis": ""}
            return Transcript("", 0.0)
        frames = max(1, self._decoder.n_frames())
        grammar_fit = _acoustic_score(self._decoder)
        gap = (grammar_fit - _acoustic_score(self._phones)) / frames
        free_gap = (grammar_fit - _acoustic_score(self._free)) / frames
        per_frame = _log_score(hyp.score) / frames
        free = self._free.hyp()
        heard = free.hypstr.strip() if free is not None else ""
        meaning = self._meanings
        same_intent = heard in meaning and meaning[heard] == meaning.get(text)  # "no" and "nope"
        agreement = 1.0 if same_intent else _common_words(text.split(), heard.split()) / len(text.split())
        self.last_scores = {"hypothesis": text, "free": heard, "gap": round(gap, 3), "free_gap": round(free_gap, 3), "per_frame": round(per_frame, 3),
                            "agreement": round(agreement, 3), "frames": frames, "same_intent": float(same_intent)}
        accepted = accepts(self.last_scores, self._cautious.get(meaning.get(text, ""), 0.0))
        if accepted:
            self._session_mean.understood(parse(self._phones.get_cmn()))
        return Transcript(text if accepted else "", confidence(self.last_scores))
