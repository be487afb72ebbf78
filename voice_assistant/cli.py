"""Command line: parses the arguments, wires the rooms together for a run (content, grammar,
speaker, recognizer, journal, screen, assistant) and hands it to a runner; every failure
becomes one friendly line."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import sys
from pathlib import Path
from typing import Sequence

from voice_assistant import __version__
from voice_assistant.errors import UserFacingError

PROG = "voice-assistant"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Offline, hands-free help through a back spasm. With no command: start the assistant.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command")

    run = commands.add_parser("run", help="start the assistant")
    source = run.add_mutually_exclusive_group()
    source.add_argument("--text", action="store_true", help="type instead of speaking; replies as text")
    source.add_argument("--script", type=Path, metavar="FILE",
                        help="scripted session: one utterance a line, '/wait SECONDS' moves a virtual clock")
    source.add_argument("--input", type=Path, metavar="FILE.wav", help="a recording instead of the microphone")
    run.add_argument("--engine", choices=("auto", "vosk", "pocketsphinx"), default="auto")
    run.add_argument("--model", type=Path, metavar="DIR", help="Vosk model folder")
    run.add_argument("--device", help="microphone name or index (see 'voice-assistant devices')")
    run.add_argument("--log", type=Path, metavar="FILE.jsonl", help="write the event log here")
    run.add_argument("--speak-to", type=Path, metavar="DIR",
                     help="write each sentence as a numbered WAV file here instead of playing it")
    run.add_argument("--rate", type=_words_per_minute, default=160, metavar="WPM",
                     help="speaking rate in words a minute (default 160)")
    run.add_argument("--voice", default="en-us", help="voice id or name, or 'piper' for the natural voice (see 'voice-assistant voices')")
    _data_options(run)
    run.add_argument("--journal", type=Path, metavar="DIR", help="journal folder (default: per-user data folder)")
    run.add_argument("--plain", action="store_true",
                     help="plain lines instead of the full-screen view on a terminal")

    check = commands.add_parser("check", help="validate content and grammars")
    _data_options(check)

    journal = commands.add_parser("journal", help="the last sessions in plain words")
    journal.add_argument("--json", action="store_true", help="raw records, one JSON object a line")
    journal.add_argument("--last", type=int, default=5, help="how many sessions (default 5)")
    journal.add_argument("--journal", type=Path, metavar="DIR", help="journal folder")
    journal.add_argument("--html", type=Path, metavar="FILE", help="write one printable page for a doctor's visit")

    commands.add_parser("devices", help="list audio devices")
    commands.add_parser("voices", help="list the voices the assistant can speak with")

    transcribe = commands.add_parser("transcribe", help="recognise WAV files; one JSON line each")
    transcribe.add_argument("files", nargs="+", type=Path, metavar="FILE.wav")
    transcribe.add_argument("--context", default="guidance", help="dialog context whose phrases can be heard")
    transcribe.add_argument("--engine", choices=("auto", "vosk", "pocketsphinx"), default="auto")
    transcribe.add_argument("--model", type=Path, metavar="DIR", help="Vosk model folder")
    transcribe.add_argument("--one-session", action="store_true",
                            help="hear the files as one session, in order: one speaker in one room "
                                 "(by default each file is heard on its own, as a new speaker)")
    _data_options(transcribe, content=False)

    models = commands.add_parser("models", help="which speech engine is used, where models are looked for")
    models.add_argument("--model", type=Path, metavar="DIR", help="also look here")
    models_commands = models.add_subparsers(dest="models_command")
    download = models_commands.add_parser("download", help="fetch, check and install a Vosk model")
    download.add_argument("name", nargs="?", metavar="NAME", help="model name (default: the recommended one)")
    download.add_argument("--url", help="fetch this archive (.zip or .tar.gz) instead")
    download.add_argument("--sha256", metavar="HEX", help="the archive's SHA-256 (required with --url)")
    download.add_argument("--to", type=Path, metavar="DIR",
                          help="install into this folder (default: the Vosk cache, ~/.cache/vosk)")
    return parser


def _words_per_minute(value: str) -> int:
    try:
        rate = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{value}' is not a whole number of words a minute") from None
    if not 80 <= rate <= 300:
        raise argparse.ArgumentTypeError("choose between 80 and 300 words a minute")
    return rate


def _data_options(parser: argparse.ArgumentParser, content: bool = True) -> None:
    if content:
        parser.add_argument("--content", type=Path, metavar="DIR", help="an edited copy of content/")
    parser.add_argument("--grammars", type=Path, metavar="DIR", help="an edited copy of grammars/")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for the console script and ``python -m voice_assistant``."""
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except UserFacingError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt as stop:
        print(f"\n{PROG}: stopped.", file=sys.stderr)
        return 128 + getattr(stop, "signal", signal.SIGINT)
    except BrokenPipeError:  # "voice-assistant models | head": the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as error:  # noqa: BLE001 - last line of defence: one line, no traceback
        if os.environ.get("VOICE_ASSISTANT_DEBUG"):
            raise
        print(f"{PROG}: internal error: {type(error).__name__}: {error} "
              "(set VOICE_ASSISTANT_DEBUG=1 for details)", file=sys.stderr)
        return 1


class Stopped(KeyboardInterrupt):
    """A service manager or a closed terminal asked it to stop: end the way Ctrl-C does."""

    def __init__(self, signal_number: int) -> None:
        super().__init__(signal_number)
        self.signal = signal_number


def _stop_on(signal_number: int, _frame: object) -> None:
    raise Stopped(signal_number)


def _dispatch(args: argparse.Namespace) -> int:
    handlers = {
        None: lambda: _cmd_default(),
        "run": lambda: _cmd_run(args),
        "check": lambda: _cmd_check(args),
        "journal": lambda: _cmd_journal(args),
        "devices": lambda: _cmd_devices(),
        "voices": lambda: _cmd_voices(),
        "transcribe": lambda: _cmd_transcribe(args),
        "models": lambda: _cmd_models(args),
    }
    return handlers[args.command]()


def _cmd_default() -> int:
    """No arguments: live when a microphone and a speaker exist, else text mode."""
    from voice_assistant.audio.devices import live_audio_problem

    problem = live_audio_problem()
    defaults = argparse.Namespace(
        text=problem is not None, script=None, input=None, engine="auto", model=None, device=None,
        log=None, content=None, grammars=None, journal=None, speak_to=None, rate=160, voice="en-us", plain=False,
    )
    if problem is not None:
        print(f"{PROG}: {problem}; starting in text mode.", file=sys.stderr)
    return _cmd_run(defaults)


def _cmd_run(args: argparse.Namespace) -> int:
    from voice_assistant import app, runners
    from voice_assistant.audio.wav import SAMPLE_RATE, WavReader
    from voice_assistant.clock import AudioClock, Clock, VirtualClock, WallClock
    from voice_assistant.content import load_content
    from voice_assistant.dialog import Dialog, DialogSettings
    from voice_assistant.grammar import load_grammar
    from voice_assistant.journal import (InstanceLock, Journal, JsonLines, TimerStore, default_data_dir,
                                         last_emergency_seconds_ago)
    from voice_assistant.speech import build_speaker
    from voice_assistant.speech.voice import VoiceSettings

    for stop_signal in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(stop_signal, _stop_on)
    # Every input is read and checked, and the microphone, voice, loudspeaker and recognizer
    # are opened, before anything is written: a failure leaves no half-made session behind.
    script = runners.load_script(args.script) if args.script else None
    recording = WavReader(args.input) if args.input else None  # header checked now, audio streamed later
    content = load_content(args.content)
    grammar = load_grammar(args.grammars)
    mode = "text" if script is not None or args.text else "timed" if recording is not None else "live"
    if mode == "live":
        from voice_assistant.audio.devices import find_input_device

        find_input_device(args.device)
    voice = VoiceSettings(rate=args.rate, voice=args.voice)
    # The full-screen view whenever a person watches a terminal: live, a recording, typing.
    on_screen = (not args.plain and script is None and sys.stdout.isatty()
                 and (mode != "text" or sys.stdin.isatty()))
    speaker = build_speaker(mode, voice, args.speak_to, echo=open(os.devnull, "w") if on_screen else None)
    if mode != "text" or args.speak_to is not None:
        from voice_assistant.speech.voice import describe_voice

        print(f"{PROG}: {describe_voice(voice)}", file=sys.stderr)
    sinks: list = []
    interrupted = False
    lock = None
    try:
        recognizer = None
        if mode != "text":
            from voice_assistant.asr.select import make_recognizer

            recognizer, note = make_recognizer(args.engine, args.model, grammar)
            print(f"{PROG}: {note}", file=sys.stderr)
        # A person's run (live, or typed) keeps the journal and the running timers; a script or
        # a recording touches them only when given a --journal folder of its own.
        person = script is None and recording is None
        journal_dir = args.journal or (default_data_dir() / "journal" if person else None)
        timer_store = emergency_ago = None
        if journal_dir is not None:
            lock = InstanceLock(journal_dir)
            emergency_ago = last_emergency_seconds_ago(journal_dir, content.triage.emergency_reminder_hours)
            timer_store = TimerStore(journal_dir)
        if args.log:
            sinks.append(JsonLines(args.log))
        if journal_dir is not None:
            try:
                sinks.append(Journal(journal_dir))
            except UserFacingError as error:  # a full disk must not cost the person their guidance
                print(f"{PROG}: warning: {error}; carrying on without a journal", file=sys.stderr)
        clock: Clock = (VirtualClock() if script is not None else AudioClock(SAMPLE_RATE) if mode == "timed"
                        else WallClock())
        settings = DialogSettings(seconds_per_character=voice.seconds_per_character)
        screen = None
        if on_screen:
            from voice_assistant.view import Screen

            screen = Screen(content, clock.now, typing=mode == "text")
        assistant = app.Assistant(Dialog(content, settings), grammar, speaker, clock,
                                  [*sinks, *([screen] if screen else [])], timer_store, emergency_ago,
                                  timer_views=[screen.show_timers] if screen else [])
        with screen or contextlib.nullcontext():
            try:
                if recognizer is not None:
                    runners.run_audio(assistant, recognizer, recording, args.device)
                elif isinstance(clock, VirtualClock):
                    runners.run_script(assistant, clock, script or [], echo=sys.stdout)
                elif screen is not None:
                    with runners.keys_without_echo(sys.stdin):
                        runners.run_text(assistant, clock, prompt=False, on_typing=screen.typed)
                else:
                    runners.run_text(assistant, clock, prompt=sys.stdin.isatty())
            finally:
                assistant.close()
        return 0
    except KeyboardInterrupt:
        interrupted = True  # Ctrl-C: stop talking at once
        raise
    finally:
        speaker.close(drain=not interrupted)
        for sink in sinks:
            sink.close()
        if lock is not None:
            lock.release()
        if recording is not None:
            recording.close()


def _cmd_check(args: argparse.Namespace) -> int:
    from voice_assistant.asr.pocketsphinx_model import missing_words
    from voice_assistant.check import run_check

    problems, summary = run_check(args.content, args.grammars, [missing_words])
    for problem in problems:
        print(problem)
    print(summary, file=sys.stderr if problems else sys.stdout)
    return 1 if problems else 0


def _cmd_journal(args: argparse.Namespace) -> int:
    from datetime import datetime

    from voice_assistant.content import load_content
    from voice_assistant.files import write_named_file
    from voice_assistant.journal import default_data_dir, recent_sessions
    from voice_assistant.summary import as_html, as_text

    sessions = recent_sessions(args.journal or default_data_dir() / "journal", max(1, args.last))
    if args.json:
        for records in sessions:
            for record in records:
                print(json.dumps(record, ensure_ascii=False))
    elif args.html:
        write_named_file(args.html, as_html(sessions, load_content(), datetime.now()).encode("utf-8"), "page")
        print(f"{args.html}: written; open it in a browser to print it")
    else:
        sys.stdout.write(as_text(sessions, load_content()))
    return 0


def _cmd_devices() -> int:
    from voice_assistant.audio.devices import list_devices

    print(list_devices())
    return 0


def _cmd_voices() -> int:
    from voice_assistant.speech.voice import list_voices

    print(list_voices())
    return 0


def _cmd_transcribe(args: argparse.Namespace) -> int:
    from voice_assistant.transcribe import transcribe_files

    return transcribe_files(args)


def _cmd_models(args: argparse.Namespace) -> int:
    from voice_assistant.asr.models import describe_models

    if args.models_command == "download":
        return _cmd_models_download(args)
    print(describe_models(args.model))
    return 0


def _cmd_models_download(args: argparse.Namespace) -> int:
    from voice_assistant.asr.download import archive_for, install
    from voice_assistant.asr.models import default_download_folder
    from voice_assistant.screen import download_progress

    archive = archive_for(args.name, args.url, args.sha256)
    folder = args.to or default_download_folder()
    print(f"{archive.name}: downloading {archive.url}", flush=True)
    with download_progress(archive.name) as progress:
        model, fresh = install(archive, folder, progress)
    print(f"{model}: {'installed' if fresh else 'already installed'}; 'voice-assistant models' shows what is used")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
