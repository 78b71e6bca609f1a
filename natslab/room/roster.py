"""The room as the instructor sees it: a pure fold of the participants' events, like LabState,
so that the board, `class export` and a replay of the stream all read one model."""

from __future__ import annotations

import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from natslab.room import records
from natslab.room.control import Control
from natslab.room.names import ROOM_SELF
from natslab.room.records import Record

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
    help: Record | None = None  # the open help request, with its diagnostics
    heard_at: float = 0.0  # the latest heartbeat (0: none yet)
    versions: str = ""  # what their latest figure was measured with
    crashed: dict[str, float] = field(default_factory=dict)  # their lab's crashed servers
    step_ok: bool | None = None  # how the step they are on went (None: still running)
    passed_lessons: set[str] = field(default_factory=set)  # every lesson they finished well

    @property
    def next_step(self) -> int:
        """The step they would start next (0-based)."""
        if self.step is None:
            return 0
        return self.step + 1 if self.step_ok else self.step


@dataclass(frozen=True)
class CourseView:
    """The course the instructor gave the room: its id, its title and its lessons in order."""

    id: str
    title: str
    lessons: tuple[str, ...]

    def progress(self, who: ParticipantView) -> str:
        """'2/7': how many of the course's lessons the participant has passed, of how many."""
        return f"{len(who.passed_lessons & set(self.lessons))}/{len(self.lessons)}"

    def text(self) -> str:
        """'course upgrades (Upgrading a cluster, 7 lessons)'."""
        count = f"{len(self.lessons)} lesson" + ("s" if len(self.lessons) != 1 else "")
        return f"course {self.id} ({self.title}, {count})"


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
    # Each participant's wording of the question (text, answers): the room's is the one most
    # of them sent, so one participant cannot reword it under everyone's answers.
    wordings: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def reword(self, name: str, text: str, answers: tuple[str, ...]) -> None:
        self.wordings[name] = (text, answers)
        counts = Counter(self.wordings.values())
        first = list(dict.fromkeys(self.wordings.values()))  # ties: the earliest wording
        self.text, self.answers = max(first, key=lambda w: counts[w])

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
    """Fold the room's stored messages in any number of times: each counts once. Who sent a
    record is the name in its subject, which the server authenticated; on a track's board
    (`track`) each is named room/name, and only reveals of the instructor's are taken."""

    def __init__(self, track: bool = False) -> None:
        self.track = track
        self.participants: dict[str, ParticipantView] = {}
        self.questions: dict[tuple[str, int], QuestionView] = {}
        # (lesson, step) -> each participant's latest time for it: one voice each, so one
        # participant sending the same step a thousand times cannot move the room's median
        self.step_times: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
        # (lesson, step, the check's description) -> each participant's figure
        self.figures: dict[tuple[str, int, str], dict[str, float]] = defaultdict(dict)
        self.events = 0  # the participants' (the room's own reveals are not counted)
        self.helps: list[tuple[str, Record]] = []  # (who, request): every one, answered or not
        self.control = Control()  # the instructor's holds and message, as the room has them
        self.courses: dict[str, CourseView] = {}  # each room's course, the latest one given
        self.refused: Counter[str] = Counter()  # messages not folded, by why
        self.refused_from: Counter[str] = Counter()  # and by whose subject they came on
        self._seen: set[tuple[str, str]] = set()

    @property
    def refused_total(self) -> int:
        return self.refused.total()

    def refuse(self, refused: records.Refused) -> None:
        self.refused[refused.why] += 1
        if refused.author is not None:
            self.refused_from[refused.author] += 1

    def refused_text(self) -> str:
        """'12 records refused (most from eve: 10)', or "": what to look at, and whom."""
        total = self.refused_total
        if not total:
            return ""
        said = f"{total} record{'s' if total != 1 else ''} refused"
        if self.refused_from:
            who, many = self.refused_from.most_common(1)[0]
            said += f" (most from {who}: {many})"
        return said

    def take(self, subject: str, data: bytes | Any) -> None:
        """One stored message: read at the edge, then folded, or counted as refused."""
        read = records.read(subject, data)
        if isinstance(read, records.Refused):
            self.refuse(read)
            return
        self.apply(read)

    def take_all(self, stored: Iterable[tuple[str, Any]]) -> None:
        for subject, data in stored:
            self.take(subject, data)

    def apply(self, authored: records.Authored) -> None:
        record = authored.record
        if authored.by_instructor:
            key = (f"{authored.room}/{ROOM_SELF}", record.id)
            if key in self._seen:
                return
            self._seen.add(key)
            if record.type == "Revealed":
                self._question(record.lesson, record.step).revealed = True
            elif record.type == "Course" and record.course:
                self.courses[authored.room] = CourseView(
                    record.course, record.title, tuple(record.lessons)
                )
            elif record.type == "HelpResolved":
                name = f"{authored.room}/{record.who}" if self.track else record.who
                if (asking := self.participants.get(name)) is not None:
                    asking.help = None
            elif not self.track:  # a room's holds and messages are that room's
                self.control.apply(record.model_dump())
            return
        name = f"{authored.room}/{authored.author}" if self.track else authored.author
        key = (name, record.id)
        if key in self._seen:
            return
        self._seen.add(key)
        self.events += 1
        who = self.participants.setdefault(name, ParticipantView(name))
        who.last_at = max(who.last_at, record.at)
        if record.versions:
            who.versions = record.versions
        self._fold(who, record)

    def _fold(self, who: ParticipantView, record: Record) -> None:
        kind, at = record.type, record.at
        if kind == "LessonStarted":
            who.lesson, who.title = record.lesson_id, record.title
            who.step, who.passed, who.failed, who.retries, who.finished = None, 0, 0, 0, None
            who.skips, who.by_hand, who.handed = 0, 0, 0
        elif kind == "StepStarted":
            index = record.index
            who.step_retries = who.step_retries + 1 if record.retry and who.step == index else 0
            who.step, who.step_title, who.step_since = index, record.title, at
            who.retries += record.retry
            who.step_ok = None
        elif kind == "StepFinished":
            self._step_finished(who, record)
        elif kind == "StepSkipped":
            who.skips += 1
        elif kind == "ActionDone" and record.hands_on == "learner":
            who.by_hand += 1
        elif kind == "ActionDone" and record.hands_on == "natslab":
            who.handed += 1
        elif kind == "HelpRequested":
            who.help = record
            self.helps.append((who.name, record))
        elif kind == "CheckResult" and record.final:
            self._check(who, record)
        elif kind == "LessonFinished":
            who.finished = bool(record.ok)
            if record.ok and who.lesson:
                who.passed_lessons.add(who.lesson)
        elif kind == "PredictionLocked" and record.answer is not None:
            who.answers[record.index] = record.answer
            self._question(who.lesson, record.index).locked[who.name] = record.answer
        elif kind == "PredictionJudged":
            self._judged(who, record)

    def _step_finished(self, who: ParticipantView, record: Record) -> None:
        if who.step == record.index:
            who.step_ok = bool(record.ok)
        if record.ok:
            self.step_times[(who.lesson, record.index)][who.name] = record.duration
            if who.help is not None and who.help.index == record.index:
                who.help = None  # the step they asked about passed: the request is answered

    def _check(self, who: ParticipantView, record: Record) -> None:
        latest = (record.index, record.description, bool(record.ok), record.observation)
        who.checks = [*who.checks[-(KEPT_CHECKS - 1) :], latest]
        if record.figure is not None:
            self.figures[(who.lesson, record.index, record.description)][who.name] = record.figure
        if record.ok:
            who.passed += 1
        else:
            who.failed += 1

    def _judged(self, who: ParticipantView, record: Record) -> None:
        question = self._question(who.lesson, record.index)
        question.reword(who.name, record.question, record.answers)
        if record.matched is not None:
            question.matched[who.name] = record.matched
        question.measured[who.name] = record.measured
        if record.value is not None:
            question.values[who.name] = record.value
        if record.answer is not None:
            question.locked[who.name] = record.answer

    def heard(self, name: str, at: float, crashed: dict[str, float] | None = None) -> None:
        """A heartbeat: the participant's natslab is running and reaches the room, with the
        servers of their lab that crashed (and since when)."""
        who = self.participants.setdefault(name, ParticipantView(name))
        if at >= who.heard_at:
            who.heard_at, who.crashed = at, dict(crashed or {})

    def course_of(self, who: ParticipantView) -> CourseView | None:
        """The course of the participant's room (on a track's board, named room/name)."""
        if self.track:
            return self.courses.get(who.name.partition("/")[0])
        return next(iter(self.courses.values()), None)

    def courses_text(self) -> str:
        """'course upgrades (Upgrading a cluster, 7 lessons)'; on a track's board, each
        room's; "" when no room has one."""
        if not self.track:
            return " ".join(course.text() for course in self.courses.values())
        rooms = sorted(self.courses.items())
        return "; ".join(f"{room}: {course.text()}" for room, course in rooms)

    def _question(self, lesson: str, step: int) -> QuestionView:
        return self.questions.setdefault((lesson, step), QuestionView(lesson, step))

    def status(self, who: ParticipantView, now: float) -> str:
        if who.help is not None:  # asked, and not answered yet: first, even once done
            return "asking for help"
        if who.finished is True:
            return "done"
        if who.finished is False:
            return "failed"
        if who.step is None:
            return "joined"
        if self.at_hold(who):
            return "waiting at the hold"
        if who.heard_at and now - who.heard_at > OFFLINE:
            return f"offline since {time.strftime('%H:%M', time.localtime(who.heard_at))}"
        return "stuck" if self.stuck_because(who, now) else "working"

    def at_hold(self, who: ParticipantView) -> bool:
        """Done up to the instructor's hold and waiting there: not stuck, held."""
        held = self.control.holds.get(who.lesson)
        return held is not None and who.finished is None and who.next_step >= held

    def stuck_because(self, who: ParticipantView, now: float) -> str:
        """Why a participant looks stuck, in a few words, or ""."""
        if who.finished is not None or who.step is None or self.at_hold(who):
            return ""
        if who.step_retries >= RETRIES:
            return f"step {who.step + 1} retried {who.step_retries} times"
        if now - who.last_at > SILENT:
            return f"nothing for {now - who.last_at:.0f} s"
        down = [(since, name) for name, since in who.crashed.items() if now - since > CRASHED]
        if down:
            since, name = min(down)
            return f"server {name} crashed {now - since:.0f} s ago"
        others = list(self.step_times.get((who.lesson, who.step), {}).values())
        usual = statistics.median(others) if others else 0.0
        spent = now - who.step_since
        if others and spent > max(STUCK_LEAST, STUCK_FACTOR * usual):
            return f"{spent:.0f} s in step {who.step + 1}; the room's median is {usual:.0f} s"
        return ""

    def queue(self, now: float) -> list[ParticipantView]:
        """The help queue first (asking, oldest first; then stuck), then the rest by name."""
        order = {"asking for help": 0, "stuck": 1, "offline": 2, "waiting at the hold": 4}

        def key(who: ParticipantView) -> tuple[int, float, str]:
            asked = who.help.at if who.help else 0.0
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
