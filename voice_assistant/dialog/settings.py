"""How the conversation paces itself (not what it says: that is content)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DialogSettings:
    """Pacing of the conversation."""

    reprompt_after_seconds: float = 30.0
    """After this much silence the assistant reprompts once, then waits quietly."""
    misses_before_hint: int = 2
    """Utterances in a row that match nothing before the "say help" hint."""
    seconds_per_character: float = 0.08
    """Time allowed per character of a countdown sentence (0.08 s suits 160 words a minute)."""
    alert_lead_seconds: float = 0.6
    """Time allowed for the chime that opens an alert ("and release" at the end of a hold)."""
    sure_no_confidence: float = 0.995
    """A "no" (or a denial such as "no fever") to a safety question recognised with less
    confidence than this is asked once more to be sure, and a second such "no" counts: one
    heard by mistake could hide a red flag. Typed answers carry no confidence and count at
    once. Chosen on the tuning voices: every "no" they heard for something else lay at 0.990
    or below, and 173 of 267 real ones they accepted at 0.995 or above (see the README)."""
