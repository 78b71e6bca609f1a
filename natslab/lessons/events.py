"""Events the lesson runner emits; headless output, JSON results and the TUI all read them."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from natslab.bus import Event


@dataclass(frozen=True, slots=True, kw_only=True)
class LessonEvent(Event):
    """Something the lesson runner did or decided."""

    at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True, kw_only=True)
class LessonStarted(LessonEvent):
    lesson_id: str
    title: str
    steps: int


@dataclass(frozen=True, slots=True, kw_only=True)
class StepPreviewed(LessonEvent):
    """The next step, before it runs: what it will do, its question, and the action the
    learner is to do (`hands_on`, a phrase like "stop server A ...") — never its outcome."""

    index: int
    title: str
    preview: str
    commands: tuple[str, ...]
    question: str = ""
    answers: tuple[str, ...] = ()
    hands_on: str = ""
    here: tuple[str, ...] = ()  # the commands this run will use (its own ports), by hand


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionLocked(LessonEvent):
    """The learner's answer (0-based) to the next step's question, fixed before it runs."""

    index: int
    answer: int


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictionJudged(LessonEvent):
    """What the run measured for a step's question, the answers that makes right, and
    whether the learner's answer (None: not answered) was one of them."""

    index: int
    question: str
    answers: tuple[str, ...]
    answer: int | None
    measured: str
    right: tuple[int, ...]
    matched: bool | None
    value: float | None = None  # the measured number, when it is one (the room's spread)

    def right_text(self) -> str:
        """'2. Some of them', numbered as the learner pressed them."""
        return ", ".join(f"{i + 1}. {self.answers[i]}" for i in self.right) or "none of the answers"

    def said(self) -> str:
        """The learner's answer as they pressed it ('1. It waits for A'), or ''."""
        return f"{self.answer + 1}. {self.answers[self.answer]}" if self.answer is not None else ""

    def outcome(self) -> str:
        """How the answer fared, in the words the screen, the terminal and the report share:
        'right', 'the run says 2. Some', or 'not answered: the run says 2. Some'."""
        if self.matched is None:
            return f"not answered: the run says {self.right_text()}"
        return "right" if self.matched else f"the run says {self.right_text()}"


@dataclass(frozen=True, slots=True, kw_only=True)
class HandsOnWaiting(LessonEvent):
    """The lab waits for the learner to do an action, shown as the ways to do it."""

    index: int
    instruction: str
    commands: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class HandsOnHint(LessonEvent):
    index: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class StepStarted(LessonEvent):
    index: int
    title: str
    narrative: str
    commands: tuple[str, ...]
    retry: bool = False  # a retry re-checks; the step's earlier actions still stand


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionDone(LessonEvent):
    """An action finished; `command`/`added` show a server's command and natslab's flags."""

    index: int
    action: str
    ok: bool
    detail: str
    command: str = ""
    added: str = ""
    hands_on: str = ""  # a hands-on action: "learner" (they did it) or "natslab" (skipped to it)
    title: str = ""  # lab.titles: as the palette words the same operation (older runs: none)


@dataclass(frozen=True, slots=True, kw_only=True)
class StepSkipped(LessonEvent):
    """The learner moved past a step without running it (`s`)."""

    index: int
    title: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult(LessonEvent):
    """A check's latest verdict; `final` when it passed or its timeout expired."""

    index: int
    position: int
    description: str
    ok: bool
    observation: str
    final: bool
    cited_server: str = ""  # a log check's server and the line it quotes
    cited_line: str = ""
    figure: float | None = None  # the check's number (a loss, a gap in s), for the room


@dataclass(frozen=True, slots=True, kw_only=True)
class StepFinished(LessonEvent):
    index: int
    ok: bool
    duration: float


@dataclass(frozen=True, slots=True, kw_only=True)
class LessonFinished(LessonEvent):
    lesson_id: str
    ok: bool
    failed_step: int | None
    duration: float
