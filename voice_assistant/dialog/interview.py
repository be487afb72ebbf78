"""The red-flag interview: questions in order, answers bound to their question, fail-safe.

A flow: it writes what to say into the turn's ``Reply`` and returns what happened (are
the questions over?); it never calls back into the dialog core.
"""

from __future__ import annotations

from voice_assistant import triage
from voice_assistant.content import RedFlag, TriageContent
from voice_assistant.dialog.reply import Reply
from voice_assistant.names import Answer, Disposition


class Interview:
    """One session's safety questions and the answers recorded so far."""

    def __init__(self, content: TriageContent) -> None:
        self.content = content
        self.answers: dict[str, Answer] = {}
        self._index = 0
        self._unclear = 0
        self._doubted = False

    @property
    def current(self) -> RedFlag:
        """The question being asked (the last one once the questions are over)."""
        return self.content.flags[min(self._index, len(self.content.flags) - 1)]

    def ask(self, reply: Reply, reworded: bool = False) -> None:
        """Say the current question (its reworded form after an unclear answer)."""
        flag = self.current
        reply.log("question", flag=flag.id, reworded=reworded)
        reply.ask(flag.id, flag.reask if reworded else flag.question)

    def answer(self, reply: Reply, answer: Answer) -> bool:
        """Record the answer to the current question; ask the next. True when the questions are over."""
        flag = self.current
        self._record(reply, flag, answer)
        if triage.ends_questions(flag, answer):
            return True
        self._index += 1
        while self._index < len(self.content.flags) and self.answers.get(self.current.id) is Answer.YES:
            self._index += 1  # already said to be present: asking again cannot change anything
        if self._index >= len(self.content.flags):
            return True
        self.ask(reply)
        return False

    def unclear(self, reply: Reply) -> bool:
        """An answer that is not clearly yes or no. True when the questions are over."""
        self._unclear += 1
        if self._unclear >= triage.UNCLEAR_TRIES_BEFORE_PRESENT:
            reply.say_lines(self.content.counted_as_yes)
            return self.answer(reply, Answer.UNCLEAR)
        reply.say_lines(self.content.unclear)
        self.ask(reply, reworded=True)
        return False

    def doubtful_no(self, reply: Reply) -> bool:
        """A "no" heard with some doubt. The first is asked again to be sure (it is not an
        unclear answer: it does not count towards the flag being present); the second counts.
        True when it counts."""
        if self._doubted:
            return True
        self._doubted = True
        reply.log("answer_doubted", flag=self.current.id)
        reply.say_lines(self.content.to_be_sure)
        self.ask(reply)
        return False

    def volunteer(self, reply: Reply, flag_id: str) -> bool:
        """A red-flag symptom said in words: the flag is present. True if that ends the questions."""
        flag = next(f for f in self.content.flags if f.id == flag_id)
        reply.log("symptom", flag=flag.id)
        self._record(reply, flag, Answer.YES, volunteered=True)
        return triage.ends_questions(flag, Answer.YES)

    def _record(self, reply: Reply, flag: RedFlag, answer: Answer, volunteered: bool = False) -> None:
        self.answers[flag.id] = answer
        if flag.id == self.current.id:
            self._unclear = 0
            self._doubted = False
        details = {"volunteered": True} if volunteered else {}
        reply.log("answer", flag=flag.id, answer=answer.value, **details)

    def disposition(self) -> Disposition:
        return triage.disposition(self.content.flags, self.answers)

    def reasons(self) -> list[str]:
        """The plain reasons of the flags answered as present (unasked ones give none)."""
        asked = [flag for flag in self.content.flags if flag.id in self.answers]
        return triage.reasons(asked, self.answers)

    def log_result(self, reply: Reply, complete: bool) -> Disposition:
        """Log the outcome (unasked questions count as present when not complete)."""
        if not complete:
            for flag in self.content.flags:
                self.answers.setdefault(flag.id, Answer.UNANSWERED)
        result = self.disposition()
        reply.log("triage", disposition=result.value, answers={k: v.value for k, v in self.answers.items()},
                  complete=complete)
        return result

    def outcome_lines(self, disposition: Disposition) -> list[str]:
        """The outcome message, with "{reasons}" filled in plain words."""
        return fill_reasons(self.content.outcomes[disposition], self.reasons())


def fill_reasons(lines: tuple[str, ...], reasons: list[str], **values: str) -> list[str]:
    """A line that is only "{reasons}" becomes one line per reason; other lines are formatted."""
    out: list[str] = []
    for line in lines:
        if line == "{reasons}":
            out.extend(reasons)
        else:
            out.append(line.format(reasons=" ".join(reasons), **values))
    return out
