"""The conversation, pure: events in (heard, tick), actions out (say, listen, log, timers).

- ``core``: the ``Dialog`` itself: routing, the session, steps, pain, volunteered symptoms.
- ``interview``: the red-flag questions and their fail-safe.
- ``timer_talk``: timers by voice, reminders and alerts.
- ``countdown``: stretch countdowns laid out on the session clock.
- ``reply``: the builder each flow writes one turn's actions into.
"""

from voice_assistant.dialog.core import LISTENS_FOR, Dialog
from voice_assistant.dialog.settings import DialogSettings

__all__ = ["Dialog", "DialogSettings", "LISTENS_FOR"]
