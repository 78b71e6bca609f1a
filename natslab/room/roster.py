"""The room as the instructor sees it: a pure fold of the participants' events, like LabState,
so that the board, `class export` and a replay of the stream all read one model."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ParticipantView:
    """One participant: where they are in which lesson, and how it goes."""

    name: str
    lesson: str = ""
    title: str = ""
    step: int | None = None  # 0-based
    step_title: str = ""
    step_since: float = 0.0
    passed: int = 0
    failed: int = 0
    retries: int = 0
    finished: bool | None = None  # None while the lesson runs; then whether it passed
    last_at: float = 0.0
    answers: dict[int, int] = field(default_factory=dict)  # step -> answer (0-based)


@dataclass
class QuestionView:
    """One prediction question across the room: who answered what, what their runs measured."""

    lesson: str
    step: int
    text: str = ""
    answers: tuple[str, ...] = ()
    right: tuple[int, ...] = ()
    locked: dict[str, int] = field(default_factory=dict)
    measured: dict[str, str] = field(default_factory=dict)

    def split(self) -> Counter[int]:
        return Counter(self.locked.values())


class RoomState:
    """Fold records (as the uplink sends them) in any number of times: each counts once."""

    def __init__(self) -> None:
        self.participants: dict[str, ParticipantView] = {}
        self.questions: dict[tuple[str, int], QuestionView] = {}
        self.events = 0
        self.ignored = 0  # messages on the room's subjects that are not natslab's
        self._seen: set[str] = set()

    def apply(self, record: Any) -> None:
        if not isinstance(record, dict) or not isinstance(record.get("participant"), str):
            self.ignored += 1
            return
        key = str(record.get("id", ""))
        if key in self._seen:
            return
        self._seen.add(key)
        self.events += 1
        who = self.participants.setdefault(
            record["participant"], ParticipantView(record["participant"])
        )
        at = float(record.get("at") or 0.0)
        who.last_at = max(who.last_at, at)
        kind = record.get("type")
        if kind == "LessonStarted":
            who.lesson, who.title = str(record.get("lesson_id", "")), str(record.get("title", ""))
            who.step, who.passed, who.failed, who.retries, who.finished = None, 0, 0, 0, None
        elif kind == "StepStarted":
            who.step, who.step_title, who.step_since = (
                int(record["index"]),
                str(record["title"]),
                at,
            )
            who.retries += bool(record.get("retry"))
        elif kind == "CheckResult" and record.get("final"):
            if record.get("ok"):
                who.passed += 1
            else:
                who.failed += 1
        elif kind == "LessonFinished":
            who.finished = bool(record.get("ok"))
        elif kind == "PredictionLocked":
            who.answers[int(record["index"])] = int(record["answer"])
            self._question(who.lesson, int(record["index"])).locked[who.name] = int(
                record["answer"]
            )
        elif kind == "PredictionJudged":
            question = self._question(who.lesson, int(record["index"]))
            question.text = str(record.get("question", ""))
            question.answers = tuple(record.get("answers", ()))
            question.right = tuple(record.get("right", ()))
            question.measured[who.name] = str(record.get("measured", ""))
            if record.get("answer") is not None:
                question.locked[who.name] = int(record["answer"])

    def apply_all(self, records: list[Any]) -> None:
        for record in records:
            self.apply(record)

    def _question(self, lesson: str, step: int) -> QuestionView:
        return self.questions.setdefault((lesson, step), QuestionView(lesson, step))

    def status(self, who: ParticipantView) -> str:
        if who.finished is True:
            return "done"
        if who.finished is False:
            return "failed"
        return "working" if who.step is not None else "joined"
