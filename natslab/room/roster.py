"""The room as the instructor sees it: a pure fold of the participants' events, like LabState,
so that the board, `class export` and a replay of the stream all read one model."""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from natslab.room.control import CONTROL_KINDS, Control
from natslab.room.names import ROOM_SELF

# Stuck, from the lab's own record: far longer in a step than the room's median there, the
# same step failing again, or silent for long while a step runs.
STUCK_FACTOR = 3.0
STUCK_LEAST = 60.0  # seconds: nobody is stuck sooner
SILENT = 120.0
CRASHED = 30.0  # seconds a server of theirs has been crashed: longer than a retry takes
OFFLINE = 20.0  # seconds without a heartbeat: the laptop slept, or left the network
RETRIES = 2
KEPT_CHECKS = 20  # per participant, for their detail
SPLIT = (0.35, 0.70)  # right between these shares: the room is split, discuss in pairs


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
    skips: int = 0
    by_hand: int = 0  # hands-on actions they did themselves
    handed: int = 0  # hands-on actions they skipped (natslab did them)
    step_retries: int = 0  # of the step they are on
    finished: bool | None = None  # None while the lesson runs; then whether it passed
    last_at: float = 0.0
    answers: dict[int, int] = field(default_factory=dict)  # step -> answer (0-based)
    checks: list[tuple[int, str, bool, str]] = field(default_factory=list)  # the latest ones
    help: dict[str, Any] | None = None  # the open help request, with its diagnostics
    heard_at: float = 0.0  # the latest heartbeat (0: none yet)
    versions: str = ""  # what their latest figure was measured with
    crashed: dict[str, float] = field(default_factory=dict)  # their lab's crashed servers


@dataclass
class QuestionView:
    """One prediction question across the room: who answered what, what their runs measured."""

    lesson: str
    step: int
    text: str = ""
    answers: tuple[str, ...] = ()
    locked: dict[str, int] = field(default_factory=dict)
    # Whether each answer was right for that participant's own run: runs differ, so one
    # run's right answers do not judge another's.
    matched: dict[str, bool] = field(default_factory=dict)
    measured: dict[str, str] = field(default_factory=dict)
    values: dict[str, float] = field(default_factory=dict)  # each run's figure, when a number
    revealed: bool = False

    def split(self) -> Counter[int]:
        return Counter(self.locked.values())

    def right(self) -> int:
        return sum(self.matched.values())


@dataclass(frozen=True)
class Spread:
    """A figure across the room's runs: how many, lowest, median, highest, and the runs
    outside Tukey's fences (1.5 interquartile ranges beyond the quartiles), named."""

    runs: int
    low: float
    median: float
    high: float
    outliers: tuple[str, ...]


def figure_text(value: float) -> str:
    """A figure as people read it: whole counts whole, else three significant digits."""
    return f"{value:.0f}" if value == int(value) else f"{value:.3g}"


def spread(values: dict[str, float]) -> Spread | None:
    """None for no runs; outliers only from four runs on (fewer have no quartiles to speak of)."""
    if not values:
        return None
    numbers = sorted(values.values())
    outliers: tuple[str, ...] = ()
    if len(numbers) >= 4:
        q1, _, q3 = statistics.quantiles(numbers, n=4, method="inclusive")
        reach = 1.5 * (q3 - q1)
        outliers = tuple(
            name for name, v in sorted(values.items()) if v < q1 - reach or v > q3 + reach
        )
    return Spread(len(numbers), numbers[0], statistics.median(numbers), numbers[-1], outliers)


class RoomState:
    """Fold records (as the uplink sends them) in any number of times: each counts once."""

    def __init__(self) -> None:
        self.participants: dict[str, ParticipantView] = {}
        self.questions: dict[tuple[str, int], QuestionView] = {}
        self.step_times: dict[tuple[str, int], list[float]] = defaultdict(list)
        # (lesson, step, the check's description) -> each participant's figure
        self.figures: dict[tuple[str, int, str], dict[str, float]] = defaultdict(dict)
        self.events = 0  # the participants' (the room's own reveals are not counted)
        self.helps: list[dict[str, Any]] = []  # every help request, answered or not
        self.control = Control()  # the instructor's holds and message, as the room has them
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
        if record["participant"] == ROOM_SELF:
            if record.get("type") in CONTROL_KINDS:
                self.control.apply(record)
            if record.get("type") == "Revealed":
                lesson, step = str(record.get("lesson", "")), int(record.get("step", -1))
                self._question(lesson, step).revealed = True
            return
        self.events += 1
        who = self.participants.setdefault(
            record["participant"], ParticipantView(record["participant"])
        )
        at = float(record.get("at") or 0.0)
        who.last_at = max(who.last_at, at)
        kind = record.get("type")
        if record.get("versions"):
            who.versions = str(record["versions"])
        if kind == "LessonStarted":
            who.lesson, who.title = str(record.get("lesson_id", "")), str(record.get("title", ""))
            who.step, who.passed, who.failed, who.retries, who.finished = None, 0, 0, 0, None
            who.skips, who.by_hand, who.handed = 0, 0, 0
        elif kind == "StepStarted":
            index, retry = int(record["index"]), bool(record.get("retry"))
            who.step_retries = who.step_retries + 1 if retry and who.step == index else 0
            who.step, who.step_title, who.step_since = index, str(record["title"]), at
            who.retries += retry
        elif kind == "StepFinished" and record.get("ok"):
            self.step_times[(who.lesson, int(record["index"]))].append(float(record["duration"]))
            if who.help is not None and who.help.get("index") == record.get("index"):
                who.help = None  # the step they asked about passed: the request is answered
        elif kind == "StepSkipped":
            who.skips += 1
        elif kind == "ActionDone" and record.get("hands_on") in ("learner", "natslab"):
            if record["hands_on"] == "learner":
                who.by_hand += 1
            else:
                who.handed += 1
        elif kind == "HelpRequested":
            who.help = record
            self.helps.append(record)
        elif kind == "CheckResult" and record.get("final"):
            who.checks = [*who.checks[-(KEPT_CHECKS - 1) :], (int(record.get("index", 0)),
                          str(record.get("description", "")), bool(record.get("ok")),
                          str(record.get("observation", "")))]  # fmt: skip
            if isinstance(record.get("figure"), int | float):
                key3 = (who.lesson, int(record.get("index", 0)), str(record.get("description")))
                self.figures[key3][who.name] = float(record["figure"])
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
            if isinstance(record.get("matched"), bool):
                question.matched[who.name] = record["matched"]
            question.measured[who.name] = str(record.get("measured", ""))
            if isinstance(record.get("value"), int | float):
                question.values[who.name] = float(record["value"])
            if record.get("answer") is not None:
                question.locked[who.name] = int(record["answer"])

    def heard(self, name: str, at: float, crashed: dict[str, float] | None = None) -> None:
        """A heartbeat: the participant's natslab is running and reaches the room, with the
        servers of their lab that crashed (and since when)."""
        who = self.participants.setdefault(name, ParticipantView(name))
        if at >= who.heard_at:
            who.heard_at, who.crashed = at, dict(crashed or {})

    def apply_all(self, records: list[Any]) -> None:
        for record in records:
            self.apply(record)

    def _question(self, lesson: str, step: int) -> QuestionView:
        return self.questions.setdefault((lesson, step), QuestionView(lesson, step))

    def status(self, who: ParticipantView, now: float) -> str:
        if who.help is not None and who.finished is None:
            return "asking for help"
        if who.finished is True:
            return "done"
        if who.finished is False:
            return "failed"
        if who.step is None:
            return "joined"
        if who.heard_at and now - who.heard_at > OFFLINE:
            return f"offline since {time.strftime('%H:%M', time.localtime(who.heard_at))}"
        return "stuck" if self.stuck_because(who, now) else "working"

    def stuck_because(self, who: ParticipantView, now: float) -> str:
        """Why a participant looks stuck, in a few words, or ""."""
        if who.finished is not None or who.step is None:
            return ""
        if who.step_retries >= RETRIES:
            return f"step {who.step + 1} retried {who.step_retries} times"
        if now - who.last_at > SILENT:
            return f"nothing for {now - who.last_at:.0f} s"
        down = [(since, name) for name, since in who.crashed.items() if now - since > CRASHED]
        if down:
            since, name = min(down)
            return f"server {name} crashed {now - since:.0f} s ago"
        others = self.step_times.get((who.lesson, who.step), [])
        usual = statistics.median(others) if others else 0.0
        spent = now - who.step_since
        if others and spent > max(STUCK_LEAST, STUCK_FACTOR * usual):
            return f"{spent:.0f} s in step {who.step + 1}; the room's median is {usual:.0f} s"
        return ""

    def queue(self, now: float) -> list[ParticipantView]:
        """The help queue first (asking, oldest first; then stuck), then the rest by name."""
        order = {"asking for help": 0, "stuck": 1, "offline": 2}

        def key(who: ParticipantView) -> tuple[int, float, str]:
            asked = float(who.help.get("at", 0.0)) if who.help else 0.0
            status = self.status(who, now).split(" since ")[0]
            return (order.get(status, 3), asked, who.name)

        return sorted(self.participants.values(), key=key)


def pairs(question: QuestionView) -> list[tuple[str, str]]:
    """When the room is split, pairs of participants who answered differently (a right one
    with a wrong one), for a discussion before the reveal."""
    if not question.matched:
        return []
    right = sorted(n for n, ok in question.matched.items() if ok)
    wrong = sorted(n for n, ok in question.matched.items() if not ok)
    share = len(right) / len(question.matched)
    if not SPLIT[0] <= share <= SPLIT[1]:
        return []
    return list(zip(right, wrong, strict=False))
