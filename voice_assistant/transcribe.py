"""`voice-assistant transcribe`: recognise WAV files, one JSON object a line."""

from __future__ import annotations

import argparse
import json
import sys
import time

from voice_assistant.asr.base import Recognizer
from voice_assistant.audio.wav import SAMPLE_RATE, read_wav
from voice_assistant.errors import UserFacingError
from voice_assistant.grammar import Grammar, load_grammar

CHUNK_SAMPLES = SAMPLE_RATE // 10  # stream in 100 ms pieces, as a microphone would


def recognise(recognizer: Recognizer, grammar: Grammar, context: str, samples) -> dict:
    """Stream one recording; ``decode_ms`` is the time from the last sample to the result.

    One recognizer hears its recordings as one session: pocketsphinx starts each from its own
    opening blended with the mean of the recordings it understood before, at the warp their
    speaker's pitch called for (and its decoders carry a little more), so a file's scores can
    shift with what came before it. The benchmarks decode a voice's files in a row, as a
    session hears them; ``transcribe`` hears each file as a new speaker unless told they are
    one session."""
    recognizer.set_context(context)
    recognizer.begin()
    for start in range(0, len(samples), CHUNK_SAMPLES):
        recognizer.accept(samples[start:start + CHUNK_SAMPLES])
    began = time.perf_counter()
    transcript = recognizer.end()
    match = grammar.match(transcript.text, context) if transcript.text else None
    decode_ms = (time.perf_counter() - began) * 1000
    return {
        "text": transcript.text,
        "intent": match.intent if match else None,
        "slots": dict(match.slots) if match and match.intent else {},
        "confidence": transcript.confidence,
        "engine": recognizer.engine,
        "audio_ms": round(len(samples) * 1000 / SAMPLE_RATE),
        "decode_ms": round(decode_ms, 1),
    }


def transcribe_files(args: argparse.Namespace) -> int:
    from voice_assistant.asr.select import make_recognizer

    grammar = load_grammar(args.grammars)
    if args.context not in grammar.contexts:
        raise UserFacingError(f"unknown context '{args.context}' (known: {', '.join(grammar.contexts)})")
    recognizer, note = make_recognizer(args.engine, args.model, grammar)
    print(f"voice-assistant: {note}", file=sys.stderr)
    failures = 0
    for path in args.files:
        try:
            samples = read_wav(path)
        except UserFacingError as error:
            print(f"voice-assistant: error: {error}", file=sys.stderr)
            failures += 1
            continue
        if not args.one_session:
            recognizer.new_speaker(samples)
        print(json.dumps({"file": str(path), **recognise(recognizer, grammar, args.context, samples)},
                         ensure_ascii=False), flush=True)
    return 2 if failures else 0
