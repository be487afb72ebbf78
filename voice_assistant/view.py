"""The full-screen view: what a person on the floor glances at, two metres from the screen.

The current question or step in bold, whether it is listening or talking, what it last
heard, and every running timer as big minutes:seconds with a bar. It is a record sink: the
assistant's records update a small model under a lock, and rich redraws it from its own
thread a few times a second, so drawing never holds up the audio loop.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from voice_assistant.content import Content
from voice_assistant.dialog.timer_talk import timer_label
from voice_assistant.events import COUNT
from voice_assistant.timers import TimerState

REFRESH_PER_SECOND = 4
TURN_LINES = 3
"""The most sentences of the current turn shown (a question can take two)."""
QUEUED_LINES = 20
"""Sentences of the turn kept until their time to be heard comes."""

# Digits three rows high, drawn with block characters, so a timer reads from across a room.
_BIG = {
    "0": ("█▀█", "█ █", "▀▀▀"), "1": (" ▀█", "  █", "  ▀"), "2": ("▀▀█", "█▀▀", "▀▀▀"),
    "3": ("▀▀█", " ▀█", "▀▀▀"), "4": ("█ █", "▀▀█", "  ▀"), "5": ("█▀▀", "▀▀█", "▀▀▀"),
    "6": ("█▀▀", "█▀█", "▀▀▀"), "7": ("▀▀█", "  █", "  ▀"), "8": ("█▀█", "█▀█", "▀▀▀"),
    "9": ("█▀█", "▀▀█", "▀▀▀"), ":": ("   ", " ▀ ", " ▀ "),
}


def big(text: str) -> str:
    """``text`` (digits and colons) as three rows of block characters."""
    return "\n".join(" ".join(_BIG[ch][row] for ch in text) for row in range(3))


def clock_face(seconds: float) -> str:
    """Seconds left as minutes:seconds, rounded up so 0:00 means it has run out."""
    whole = max(0, int(-(-seconds // 1)))
    return f"{whole // 60:02d}:{whole % 60:02d}"


class Screen:
    """A full-screen view on a terminal, fed with the assistant's records."""

    def __init__(self, content: Content, now: Callable[[], float], console: Console | None = None,
                 typing: bool = False) -> None:
        self.words = content.screen
        self.timer_words = content.timers
        self._now = now
        self._typing = typing
        self._lock = threading.Lock()
        self._said: list[tuple[float, str]] = []
        """The turn's sentences with the session time each starts to be heard."""
        self._speaking_until = 0.0
        self._heard: tuple[str, bool] | None = None
        self._timers: tuple[TimerState, ...] = ()
        self._line = ""
        self._live = Live(console=console or Console(), screen=True, auto_refresh=True,
                          refresh_per_second=REFRESH_PER_SECOND, get_renderable=self.render,
                          redirect_stdout=False, redirect_stderr=False)

    def __enter__(self) -> "Screen":
        self._live.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def write(self, record: dict[str, Any]) -> None:
        """A record from the assistant (a RecordSink)."""
        kind = record.get("type")
        with self._lock:
            if kind == "say" and record.get("kind") != COUNT:
                start = float(record.get("start", record.get("t", 0.0)))
                self._said = [*self._said, (start, str(record.get("text", "")))][-QUEUED_LINES:]
            if kind == "say":
                self._speaking_until = float(record.get("start", 0.0)) + float(record.get("seconds", 0.0))
            elif kind == "heard":
                self._heard = (str(record.get("text", "")), record.get("intent") is not None)
                self._said = []  # a new turn: what is said next replaces what was said before

    def show_timers(self, timers: tuple[TimerState, ...]) -> None:
        """The running timers changed."""
        with self._lock:
            self._timers = tuple(timers)

    def typed(self, line: str) -> None:
        """What has been typed so far on the current line (text mode)."""
        with self._lock:
            self._line = line

    def close(self) -> None:
        """Draw the last state, then leave the screen (rich does not redraw a full screen as it
        stops, and a recording on a virtual clock can end between two redraws)."""
        self._live.refresh()
        self._live.stop()

    def render(self) -> Group:
        """The whole screen, from the model as it is now."""
        words = self.words
        now = self._now()
        with self._lock:
            heard_now = [text for start, text in self._said if start <= now]  # as it is heard, not queued
            said, heard, timers, line = "\n".join(heard_now[-TURN_LINES:]), self._heard, self._timers, self._line
            talking = now < self._speaking_until
        status = Text(f"● {words.talking}" if talking else f"● {words.listening}",
                      style="bold yellow" if talking else "bold green")
        title = Table.grid(expand=True)
        title.add_column()
        title.add_column(justify="right")
        title.add_row(Text(words.title, style="bold"), status)
        parts: list[Any] = [
            title,
            Panel(Text(said or words.waiting, style="bold", justify="center"), padding=(1, 2)),
            Panel(self._timer_table(timers, now), title=words.timers, title_align="left"),
            Panel(self._heard_text(heard), title=words.heard, title_align="left"),
        ]
        if self._typing:
            parts.append(Panel(Text(f"> {line}▌"), title=words.type_here, title_align="left"))
        return Group(*parts)

    def _heard_text(self, heard: tuple[str, bool] | None) -> Text:
        if heard is None:
            return Text(self.words.nothing_heard, style="dim")
        text, understood = heard
        line = self.words.heard_line.format(text=text)
        return Text(line if understood else f"{line} {self.words.not_understood}",
                    style="bold" if understood else "dim")

    def _timer_table(self, timers: tuple[TimerState, ...], now: float) -> Any:
        if not timers:
            return Text(self.words.no_timers, style="dim")
        table = Table.grid(padding=(0, 2))
        for _ in range(3):
            table.add_column(vertical="middle")
        for timer in timers:
            left = timer.left(now)
            name = timer_label(self.timer_words, timer)
            face = clock_face(left)
            label = Text(f"{name}\n{face}" + (f"\n{self.words.paused}" if timer.paused else ""), style="bold")
            done = 1.0 - max(0.0, left) / timer.seconds if timer.seconds else 1.0
            table.add_row(label, Text(big(face), style="bold cyan"),
                          ProgressBar(total=1.0, completed=done, width=30))
        return table
