"""pocketsphinx: the embedded default engine (its wheel ships a US-English model)."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from voice_assistant.asr import free_decode_lm
from voice_assistant.asr.base import Transcript
from voice_assistant.asr.cepstral_mean import SessionMean, parse, render, with_whole_recording
from voice_assistant.asr.judgement import RIVAL_MARGIN, judge
from voice_assistant.asr.nearest_sentence import NearestSentence
from voice_assistant.asr.noise_floor import LOOKAHEAD, NoiseFloor, block_levels
from voice_assistant.asr.phone_agreement import phone_agreement, pronunciations
from voice_assistant.asr.pocketsphinx_model import free_decode_vocabulary, lexicon, model_dir
from voice_assistant.asr.speaker_pitch import MODEL_WARP, PitchTrack, SpeakerPitch, voice_pitch, warp_for
from voice_assistant.asr.word_graph import meaning_uniform_priors, minimal_word_graph
from voice_assistant.errors import UserFacingError
from voice_assistant.grammar import ContextPhrases, Grammar


_LOG_BASE = math.log(1.0001)
NO_PHRASES = ContextPhrases("", {}, {})
"""The phrases before a context is set: none."""
NEVER_A_SECOND_CHANCE = NearestSentence(NO_PHRASES)
"""The second chance before a context is set: no sentences, so never an answer."""
BETWEEN_CONTEXTS = "_between_contexts"
"""The stand-in search's name (a context is never named with a leading underscore)."""
RIVALS = "_rivals"
"""The search of the context's harmless sentences, while a cautious result is checked."""
FEATURES_ONLY = "_features_only"
"""The phone loop's one-word search while an opening's cepstral mean is measured: only the
features are wanted, and pocketsphinx searches the frames it held anyway when the utterance
ends (over a 3 s file the phone loop took ~380 ms, this 30-45 ms; the mean is the same)."""

OUTSIDE_SLACK = 5
"""Frames either side of the grammar's words within which a free-decode word still counts as
the same stretch of speech (a word's edges differ a little between the searches)."""
OUTSIDE_QUIETER_DB = 7.0
"""How much quieter than the grammar's words a word outside them may be and still count as
said by the same person: talk in the room behind is quieter (see ``judgement.MORE_WAS_SAID``)."""
MEAN_BEFORE_ONSET = LOOKAHEAD
"""Samples of room before speech began that go into an utterance's cepstral mean, with the
noise floor's ``LOOKAHEAD`` of speech after it (a longer stretch of speech, 0.8 s or 1.5 s,
was no better with reverberation and left long decodes for short utterances)."""


def _log_score(probability: float) -> float:
    return math.log(max(probability, 1e-300)) / _LOG_BASE


def _acoustic_score(decoder: Any, span: tuple[int, int] | None = None) -> float:
    """The decoder's acoustic score over the utterance, or over the frames ``span`` (a segment
    partly inside counts in proportion)."""
    total = 0.0
    for segment in decoder.seg() or []:
        score = _log_score(segment.ascore)
        if span is not None:
            length = segment.end_frame - segment.start_frame + 1
            inside = min(segment.end_frame, span[1]) - max(segment.start_frame, span[0]) + 1
            score *= max(0, inside) / max(1, length)
        total += score
    return total


def _words(decoder: Any) -> list[Any]:
    """The decoder's word segments (silence and fillers left out)."""
    return [segment for segment in decoder.seg() or [] if not segment.word.startswith(("<", "[", "("))]


def _word_span(decoder: Any) -> tuple[int, int] | None:
    """The first and last frame of the decoder's words (silence and fillers before and after left out)."""
    words = _words(decoder)
    return (words[0].start_frame, words[-1].end_frame) if words else None


class _Loudness:
    """How loud each stretch of an utterance is (``audio`` as the decoder heard it; a
    ``LEVEL_BLOCK`` is one of the decoder's 10 ms frames)."""

    def __init__(self, audio: np.ndarray) -> None:
        self._power = 10 * np.log10(block_levels(audio) ** 2 + 1.0)

    def loudest(self, first: int, last: int) -> float:
        """The level (dB) of the loudest frame from ``first`` to ``last``."""
        part = self._power[first:last + 1]
        return float(part.max()) if len(part) else -math.inf


def _word(segment: Any) -> str:
    """The word a decoder's segment spells ("stop(2)", an alternate pronunciation, is "stop")."""
    return segment.word.split("(")[0]


def _loud_words_outside(decoder: Any, span: tuple[int, int], loudness: _Loudness) -> list[str]:
    """The decoder's words that lie (by their middle frame) more than ``OUTSIDE_SLACK`` frames
    before or after ``span`` and are as loud as speech there: their loudest frame within
    ``OUTSIDE_QUIETER_DB`` of the loudest in ``span``."""
    least = loudness.loudest(*span) - OUTSIDE_QUIETER_DB
    return [_word(segment) for segment in _words(decoder)
            if not span[0] - OUTSIDE_SLACK <= (segment.start_frame + segment.end_frame) / 2 <= span[1] + OUTSIDE_SLACK
            and loudness.loudest(segment.start_frame, segment.end_frame) >= least]


def _levels(decoder: Any, loudness: _Loudness) -> list[tuple[str, float]]:
    """The decoder's words, each with how much quieter (dB, 0 or less) its loudest frame is than
    the loudest word's: talk in the room behind is quieter than the speaker."""
    levels = [(_word(segment), loudness.loudest(segment.start_frame, segment.end_frame)) for segment in _words(decoder)]
    loudest = max((level for _, level in levels), default=0.0)
    return [(word, round(level - loudest, 1)) for word, level in levels]


Graph = tuple[int, int, list[tuple]]
"""A word graph as pocketsphinx compiles it: start state, final state, transitions."""


def fsg_graph(meanings: Mapping[str, str]) -> Graph:
    """The word graph of the sentences ``meanings`` (each meaning an equal share)."""
    graph = minimal_word_graph(meaning_uniform_priors(meanings))
    transitions = [(source, target, probability, *([word] if word else []))
                   for source, target, word, probability in graph.arcs]
    return graph.start, graph.final, transitions


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


class _Searches:
    """The three searches of one utterance (the grammar, the phone loop and the free decode), at
    the warp the speaker's pitch calls for (see ``speaker_pitch``), each warp with its own
    settled cepstral mean (a warp changes the cepstra)."""

    def __init__(self, common: dict, grammar_lexicon: Path, free_lexicon: Path, free_lm: Path) -> None:
        from pocketsphinx import Config, Decoder

        base = model_dir()
        # pocketsphinx keeps the warp in one global, which it only updates when the value named
        # changes: every decoder names it, so that each one's features follow it.
        common = {**common, "warp_type": "inverse_linear", "warp_params": str(MODEL_WARP)}
        self.grammar = Decoder(Config(lm=None, dict=str(grammar_lexicon), **common))
        self.phones = Decoder(Config(lm=None, allphone=str(base / "en-us-phone.lm.bin"), dict=str(grammar_lexicon), **common))
        # No second (flat-lexicon) pass for the free decode: it would add ~60 ms after the end
        # of speech, and the words only need to be good enough to compare.
        self.free = Decoder(Config(lm=str(free_lm), fwdflat=False, dict=str(free_lexicon), **common))
        self.decoders = (self.grammar, self.free, self.phones)
        self._phone_loop = self.phones.current_search()
        self.warp = MODEL_WARP
        self._mean = ""
        """The cepstral mean the utterance started from."""
        self._heard: list[bytes] = []
        """The utterance's audio as the searches heard it, to be searched again."""
        self._session_means: dict[float, SessionMean] = {}

    def start(self, opening: bytes, warp: float, recording: bytes | None = None) -> None:
        """Start the utterance at ``warp``, from the cepstral mean of its ``opening`` (with a
        share of its whole ``recording``'s, when that is known) and the session's at that warp."""
        if warp != self.warp:
            for decoder in self.decoders:
                # reinit_feat(Config) keeps the old warp: the decoder's own config must change.
                decoder.config["warp_params"] = str(warp)
                decoder.reinit_feat()
            self.warp = warp
        session_mean = self._session_means.setdefault(warp, SessionMean())
        opening_mean = self._mean_of(opening)
        if recording is not None:
            opening_mean = with_whole_recording(opening_mean, self._mean_of(recording))
        self._mean = render(session_mean.for_utterance(opening_mean))
        self._heard = []
        for decoder in self.decoders:
            decoder.set_cmn(self._mean)
            decoder.start_utt()

    def _mean_of(self, opening: bytes) -> np.ndarray:
        """The cepstral mean of ``opening`` at this warp."""
        # pocketsphinx reports a mean blended with what it measured before: start afresh, and
        # measure twice, so that what it blends with is this opening itself.
        self.phones.reinit_feat()
        self.phones.activate_search(FEATURES_ONLY)
        for _ in range(2):
            self.phones.start_utt()
            self.phones.process_raw(opening, True, True)  # features first, searched at the end
            self.phones.end_utt()
        self.phones.activate_search(self._phone_loop)
        return parse(self.phones.get_cmn())

    def process(self, data: bytes) -> None:
        self._heard.append(data)
        for decoder in self.decoders:
            decoder.process_raw(data, False, False)

    def stop(self) -> None:
        for decoder in self.decoders:
            decoder.end_utt()

    def evidence(self, meanings: Mapping[str, str], pronunciations_of: dict[str, list[str]]) -> dict:
        """The stopped utterance's grammar result and the evidence on it (``{"hypothesis": ""}``
        and the free decode's words for no result)."""
        hyp = self.grammar.hyp()
        text = hyp.hypstr.strip() if hyp is not None else ""
        loudness = _Loudness(np.frombuffer(b"".join(self._heard), dtype=np.int16))
        levels = _levels(self.free, loudness)
        if not text:
            return {"hypothesis": "", "free": self.free_words(), "free_levels": levels, "warp": self.warp}
        frames = max(1, self.grammar.n_frames())
        grammar_fit = _acoustic_score(self.grammar)
        gap = (grammar_fit - _acoustic_score(self.phones)) / frames
        free_gap = (grammar_fit - _acoustic_score(self.free)) / frames
        span = _word_span(self.grammar) or (0, frames - 1)
        span_frames = span[1] - span[0] + 1
        span_fit = _acoustic_score(self.grammar, span)
        span_gap = (span_fit - _acoustic_score(self.phones, span)) / span_frames
        span_free_gap = (span_fit - _acoustic_score(self.free, span)) / span_frames
        per_frame = _log_score(hyp.score) / frames
        heard = self.free_words()
        same_intent = heard in meanings and meanings[heard] == meanings.get(text)  # "no" and "nope"
        agreement = 1.0 if same_intent else _common_words(text.split(), heard.split()) / len(text.split())
        sounds_alike = 1.0 if same_intent else phone_agreement(text, heard, pronunciations_of)
        return {"hypothesis": text, "free": heard, "gap": round(gap, 3), "free_gap": round(free_gap, 3),
                "per_frame": round(per_frame, 3), "agreement": round(agreement, 3), "frames": frames,
                "same_intent": float(same_intent), "span_gap": round(span_gap, 3),
                "span_free_gap": round(span_free_gap, 3), "span_frames": span_frames,
                "phone_agreement": round(sounds_alike, 3), "warp": self.warp,
                "loud_words_outside": _loud_words_outside(self.free, span, loudness), "free_levels": levels}

    def search_again(self, search: str, then: str) -> tuple[str, float]:
        """Search the stopped utterance again with the grammar decoder's ``search`` (then make
        ``then`` its search again): the words found, and their path score per frame."""
        decoder = self.grammar
        decoder.activate_search(search)
        decoder.set_cmn(self._mean)
        decoder.start_utt()
        for data in self._heard:
            decoder.process_raw(data, False, False)
        decoder.end_utt()
        hyp = decoder.hyp()
        found = hyp.hypstr.strip() if hyp is not None else ""
        fit = _log_score(hyp.score) / max(1, decoder.n_frames()) if found else -math.inf
        decoder.activate_search(then)
        return found, fit

    def free_words(self) -> str:
        """What the stopped utterance's free decode heard."""
        free = self.free.hyp()
        return free.hypstr.strip() if free is not None else ""

    def understood(self) -> None:
        """The utterance was understood: its mean settles the session mean at this warp."""
        self._session_means[self.warp].understood(parse(self.phones.get_cmn()))

    def forget_means(self) -> None:
        """Forget the settled means: the next utterance starts from its own opening alone. The
        front end's estimate of the room's noise (the model's ``remove_noise``) stays: each
        decoder carries it from one utterance to the next, and started afresh for each file
        (shown the file's opening first) it lost 16 of 384 utterances with hiss on the tuning
        voices (README)."""
        self._session_means = {}


class PocketsphinxRecognizer:
    """Grammar-constrained pocketsphinx, judged against a phone loop and a free decode, at the
    frequency warp the speaker's pitch calls for.

    An answer the context is cautious about is searched again against the context's harmless
    sentences alone, and taken only if it fits clearly better (see ``judgement.RIVAL_MARGIN``).
    What the grammar does not take gets a second chance: the context's sentence nearest to the
    free decode's words, when that is clear (see ``nearest_sentence``); a cautious one only
    when the grammar's own answer meant the same, and only if that answer clears the same
    check against the harmless sentences. Neither is taken when
    the free decode heard more, as loud, before or after the grammar's words, and about
    something else (see ``judgement.MORE_WAS_SAID``).

    All the searches run while the audio arrives, so little is left to do once speech ends.
    Each utterance's cepstral normalisation starts from its own first moments (the room just
    before speech began and the first 0.3 s of speech, which the noise floor holds back
    anyway) blended with the session's settled mean (see ``cepstral_mean``), and then follows
    the utterance. For a file heard as a new speaker's, known whole before it is heard, a
    quarter of the opening's mean is the whole recording's. Starting from a fixed mean heard
    a short "no" in an unfamiliar room as "help", and the free decode heard "film if" for
    "nope"; waiting for the whole utterance cost ~60 ms after the end of speech.
    """

    engine = "pocketsphinx"

    def __init__(self, grammar: Grammar) -> None:
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
                free_words = lexicon(free_vocabulary, dictionary, grammar.pronunciations, grammar.vocabulary())
                free_lexicon.write_text(free_words, encoding="utf-8")
                self._pronunciations = pronunciations(free_words)
                grammar_lexicon = Path(folder) / "grammar.dict"  # a part of the free one
                grammar_lexicon.write_text(lexicon(grammar.vocabulary(), free_lexicon, {}), encoding="utf-8")
                # The free decode's language model is cut to its words where scripts/setup has made that.
                free_lm = free_decode_lm.language_model(base / "en-us.lm.bin", free_vocabulary)
                self._searches = _Searches(common, grammar_lexicon, free_lexicon, free_lm)
                # A one-word search to stand in while one context's graph makes way for the next,
                # and in the phone loop while an opening's mean is measured.
                any_word = min(grammar.vocabulary())
                stand_ins = ((self._searches.grammar, BETWEEN_CONTEXTS), (self._searches.phones, FEATURES_ONLY))
                for search, name in stand_ins:
                    search.add_fsg(name, search.create_fsg(name, 0, 1, [(0, 1, 1.0, any_word)]))
        except (RuntimeError, ValueError) as error:
            raise UserFacingError(f"pocketsphinx model failed to load ({error}); reinstall it with "
                                  "'pip install --force-reinstall pocketsphinx'") from None
        self._graphs: dict[str, Graph] = {}
        self._rival_graphs: dict[str, Graph] = {}
        """Each context's harmless sentences (see ``judgement.RIVAL_MARGIN``), compiled only while a
        cautious result is checked, in place of the context's own."""
        self._second_chance = NEVER_A_SECOND_CHANCE
        """The context in use's sentences for the second chance (~1 MB a context, so only the
        one in use is held; laid out on the switch, 12-17 ms, so that a rejection does not wait)."""
        self._phrases = NO_PHRASES
        """The context in use's sentences, meanings and cautious intents."""
        self._searching = False
        self._floor = NoiseFloor()
        self._speaker = SpeakerPitch()
        self._pitch = PitchTrack()
        """The utterance's pitch, which settles the speaker's once it is understood."""
        self._waiting = np.zeros(0, dtype=np.int16)
        """The utterance's audio let go by the noise floor while the searches wait to start."""
        self._recording: np.ndarray | None = None
        """The next utterance's whole recording, when it is known before it is heard (a file)."""
        self.context = ""
        self.last_scores: dict[str, float | str | list[str]] = {}
        """The evidence behind the last result (for benchmarks and calibration), with the warp
        it was heard at."""

    def set_context(self, context: str) -> None:
        """Compile ``context``'s word graph into the grammar searches, in place of the last one.

        Only one context is held compiled (~5 MB each; the last one goes first, so two are
        never held at once), with its sentences' meanings, laid out for the second chance
        too: switching takes 14-24 ms (4-14 ms of it the graph).
        The word graphs themselves are kept, since building them takes longer.
        """
        if context == self.context:
            return
        phrases = self.grammar.phrases(context)
        try:
            if context not in self._graphs:
                self._graphs[context] = fsg_graph(phrases.meanings)
                self._rival_graphs[context] = fsg_graph(phrases.harmless)
            search = self._searches.grammar
            search.activate_search(BETWEEN_CONTEXTS)  # a search in use cannot be removed
            if self.context:
                search.remove_search(self.context)
        except (RuntimeError, ValueError) as error:
            raise self._compile_error(context, error) from None
        try:
            self._compile(context)
        except (RuntimeError, ValueError) as error:
            if self.context:
                self._compile(self.context)  # it compiled before: the recognizer stays as it was
            raise self._compile_error(context, error) from None
        self.context, self._phrases = context, phrases
        self._second_chance = NEVER_A_SECOND_CHANCE  # the old layout goes first: never two at once
        self._second_chance = NearestSentence(phrases)

    @staticmethod
    def _compile_error(context: str, error: Exception) -> UserFacingError:
        return UserFacingError(f"grammar for context '{context}' failed to compile ({error})")

    def _compile(self, context: str) -> None:
        self._add_search(context, self._graphs[context])
        self._searches.grammar.activate_search(context)

    def _add_search(self, name: str, graph: Graph) -> None:
        start, final, transitions = graph
        search = self._searches.grammar
        search.add_fsg(name, search.create_fsg(name, start, final, transitions))

    def _clear_of_rivals(self, meaning: str) -> bool:
        """Whether a result the context is cautious about fits the audio clearly better than
        any of the context's harmless sentences (see ``judgement.RIVAL_MARGIN``); other results are.
        The utterance is searched again once: a second chance of the grammar's own meaning
        reads the margin its grammar result got."""
        if meaning not in self._phrases.cautious:
            return True
        if "rival_margin" in self.last_scores:
            return float(self.last_scores["rival_margin"]) >= RIVAL_MARGIN
        # The context's search makes way while the rivals are searched, and is back after:
        # each takes ~5 MB, and a whole live session peaks at 141-146 of the 150 MB it is allowed
        # (the same code measures ~5 MB higher on some machines than on others).
        search = self._searches.grammar
        search.activate_search(BETWEEN_CONTEXTS)
        search.remove_search(self.context)
        try:
            self._add_search(RIVALS, self._rival_graphs[self.context])
            rival, fit = self._searches.search_again(RIVALS, then=BETWEEN_CONTEXTS)  # ("", -inf) for none
            search.remove_search(RIVALS)
        finally:
            self._compile(self.context)
        margin = float(self.last_scores["per_frame"]) - fit
        self.last_scores.update(rival=rival, rival_margin=round(margin, 3))
        return margin >= RIVAL_MARGIN

    def begin(self) -> None:
        if self._searching:  # an utterance that never ended is dropped, as Vosk's reset drops it
            self._searches.stop()
        self._searching = False
        self._waiting = np.zeros(0, dtype=np.int16)
        self._floor.begin()

    def accept(self, audio: np.ndarray) -> None:
        self._stream(self._floor.push(audio))

    def _stream(self, audio: np.ndarray, ended: bool = False) -> None:
        if not self._searching:  # the audio the noise floor lets go from the start: the opening is in it
            self._waiting = np.concatenate([self._waiting, audio])
            if not len(self._waiting) or not self._start(self._waiting, ended):
                return
            audio, self._waiting = self._waiting, self._waiting[:0]
        if len(audio):
            self._pitch.push(audio)
            self._searches.process(audio.tobytes())

    def _start(self, held: np.ndarray, ended: bool) -> bool:
        """Start the searches on the utterance ``held`` so far, at the warp its speaker's pitch
        calls for, unless that cannot be told yet: then wait (False). The speaker's pitch is
        the settled one, or the opening's; an opening that was the room alone (a fan or hiss
        louder than the onset level) waits for speech to stand clear of the room and is told
        by 0.3 s either side of that."""
        onset = self._floor.onset or 0
        opening = held[max(0, onset - MEAN_BEFORE_ONSET):onset + LOOKAHEAD]
        pitch = self._speaker.for_utterance(opening)
        if pitch is None:
            clear = self._floor.clear_onset
            if not ended and (clear is None or len(held) < clear + LOOKAHEAD):
                return False
            if clear is not None:
                pitch = voice_pitch(held[max(0, clear - LOOKAHEAD):clear + LOOKAHEAD])
        self._searches.start(opening.tobytes(), warp_for(pitch), self._with_floor(self._recording))
        self._pitch = PitchTrack()
        self._searching = True
        return True

    def new_speaker(self, recording: np.ndarray | None = None) -> None:
        """Forget the speaker's pitch and the settled cepstral means (not the room's noise). The
        next utterance's cepstral mean takes a share of its whole ``recording``, when given."""
        self._speaker = SpeakerPitch()
        self._searches.forget_means()
        self._recording = recording

    @staticmethod
    def _with_floor(recording: np.ndarray | None) -> bytes | None:
        """``recording`` with the noise floor its utterance gets (``NoiseFloor``; None for
        none). Streamed, the floor follows the loudest heard so far, so the two can differ a
        little before the loudest sound."""
        if recording is None:
            return None
        floor = NoiseFloor()  # begun on construction
        return np.concatenate([floor.push(recording), floor.flush()]).tobytes()

    def partial(self) -> str:
        if not self._searching:  # before that, it is the last utterance's
            return ""
        return self._searches.free_words()

    def end(self) -> Transcript:
        self._stream(self._floor.flush(), ended=True)
        self._recording = None
        if not self._searching:
            self.last_scores = {"hypothesis": ""}
            return Transcript("", 0.0)
        self._searching = False
        self._searches.stop()
        self.last_scores = self._searches.evidence(self._phrases.meanings, self._pronunciations)
        answer = judge(self.last_scores, self._phrases, self._second_chance, self._clear_of_rivals)
        if answer.by_grammar:
            self._searches.understood()
            self._speaker.understood(self._pitch.pitch())
        elif answer.text:
            self.last_scores["second_chance"] = answer.text
        elif answer.said_more:
            self.last_scores["said_more"] = True
        elif answer.stop_heard:
            self.last_scores["stop_heard"] = True
        return Transcript(answer.text, answer.confidence)
