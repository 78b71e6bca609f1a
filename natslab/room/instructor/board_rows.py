"""The board's tables as rows of text, from the room's fold: the instructor's view (names,
each participant) and the projector's (no names, and no aggregate over fewer than five)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from natslab.room.roster import ParticipantView, QuestionView, RoomState, figure_text, spread


class ReadOnlyBoard(Exception):
    """What a board on a recording, or on a whole track, does not do (reveal, hold)."""


Row = tuple[str, list[str]]  # a row's key (kept under the cursor) and its cells

# What the instructor acts on comes first, so that a narrow terminal still shows it.
ROSTER_COLUMNS = ("Participant", "Status", "Lesson", "Step", "In step", "Checks ✓/✗", "Retries",
                  "Skips", "Hands-on own/skipped")  # fmt: skip
STEP_COLUMNS = ("Lesson", "Step", "Participants", "Working", "Stuck", "Asking for help", "Done")
QUESTION_COLUMNS = ("Lesson", "Step", "Answered", "Split", "Measured", "Question")
FIGURE_COLUMNS = ("Lesson", "Step", "Runs", "Low", "Median", "High", "Outliers", "Measurement")
FEWEST = 5  # the projector shows no aggregate over fewer participants than this
FEW = f"fewer than {FEWEST}"


def split_text(question: QuestionView) -> str:
    """Sealed until revealed; then each answer's count, and how many were right."""
    if not question.revealed:
        return "sealed (r reveals)"
    split = question.split()
    counts = " · ".join(f"{k + 1}: {n}" for k, n in sorted(split.items()))
    return f"{counts} — {question.right()} of {sum(split.values())} right"


def measured_text(question: QuestionView) -> str:
    """Sealed; then the range the runs measured ('8…13 across 21 runs'), or their words."""
    if not question.revealed:
        return "sealed"
    numbers = spread(question.values)
    if numbers is not None and numbers.low != numbers.high:
        runs = "run" if numbers.runs == 1 else "runs"
        low, high = figure_text(numbers.low), figure_text(numbers.high)
        return f"{low}…{high} across {numbers.runs} {runs}"
    values = sorted(set(question.measured.values()))
    return " | ".join(values[:3]) + (" …" if len(values) > 3 else "")


def outlier_text(state: RoomState, names: tuple[str, ...], values: dict[str, float]) -> str:
    """'cy 4.2 (nats-server 2.10.0 · nats-py 2.11.0)': each outlier with what it ran."""
    return "; ".join(
        f"{name} {figure_text(values[name])}"
        + (f" ({v})" if (v := state.participants[name].versions) else "")
        for name in names
    )


@dataclass(frozen=True)
class RosterLine:
    """One participant as every roster shows them: the board, `class roster` and the room's
    report draw these cells under ROSTER_COLUMNS (the report adds what each ran with)."""

    name: str
    status: str
    lesson: str
    step: str
    in_step: str
    checks: str
    retries: str
    skips: str
    hands_on: str
    versions: str

    def cells(self) -> list[str]:
        return [self.name, self.status, self.lesson, self.step, self.in_step, self.checks,
                self.retries, self.skips, self.hands_on]  # fmt: skip


def roster_lines(state: RoomState, now: float, ended: bool = False) -> list[RosterLine]:
    """One line per participant, the help queue first. `ended`: the room is over (a report),
    so a status says how each one's lesson ended, not what they are doing now."""
    lines: list[RosterLine] = []
    for who in state.queue(now):
        step = f"{who.step + 1}. {who.step_title}" if who.step is not None else "-"
        running = who.step is not None and who.finished is None and not ended
        if ended:
            status = ended_as(who)
        else:
            status, why = state.status(who, now), state.stuck_because(who, now)
            status = f"{status}: {why}" if why else status
        lesson = who.lesson or "-"
        if (course := state.course_of(who)) is not None:  # how far along the room's course
            lesson += f" · course {course.progress(who)}"
        lines.append(RosterLine(
            who.name, status, lesson, step,
            f"{now - who.step_since:.0f} s" if running else "-",
            f"{who.passed}/{who.failed}", str(who.retries), str(who.skips),
            f"{who.by_hand}/{who.handed}", who.versions or "-",
        ))  # fmt: skip
    return lines


def ended_as(who: ParticipantView) -> str:
    """How a participant's lesson ended, once the room is over."""
    if who.finished is True:
        return "done"
    if who.finished is False:
        return "failed"
    if who.step is None:
        return "joined, no step run"
    return f"stopped in step {who.step + 1}"


def roster_rows(state: RoomState, now: float) -> list[Row]:
    """The board's roster: one row per participant, keyed by name, the help queue first."""
    return [(line.name, line.cells()) for line in roster_lines(state, now)]


def step_rows(state: RoomState, now: float) -> list[Row]:
    """The projector's roster: how many are at each step and how it goes there, never who.
    Steps with fewer than five are pooled into one row, shown only if that reaches five."""
    groups: dict[tuple[str, str], Counter[str]] = {}
    for who in state.participants.values():
        step = f"{who.step + 1}. {who.step_title}" if who.step is not None else "-"
        status = state.status(who, now).split(" since ")[0].split(":")[0]
        groups.setdefault((who.lesson or "-", step), Counter())[status] += 1
    rows: list[Row] = []
    pooled: Counter[str] = Counter()
    for (lesson, step), counts in sorted(groups.items()):
        if counts.total() < FEWEST:
            pooled += counts
            continue
        rows.append((f"{lesson}/{step}", [lesson, step, *_status_counts(counts)]))
    if pooled.total() >= FEWEST:
        rows.append(("pooled", ["elsewhere", f"steps with {FEW} each", *_status_counts(pooled)]))
    return rows


def _status_counts(counts: Counter[str]) -> list[str]:
    working = counts["working"] + counts["joined"] + counts["offline"]
    working += counts["waiting at the hold"]
    finished = counts["done"] + counts["failed"]
    cells = [counts.total(), working, counts["stuck"], counts["asking for help"], finished]
    return [str(n) for n in cells]


def question_rows(state: RoomState, projector: bool = False) -> list[Row]:
    rows: list[Row] = []
    for lesson, step in sorted(state.questions):
        question = state.questions[(lesson, step)]
        asked = len({*question.locked, *question.measured})
        answered = f"{len(question.locked)} of {asked}"
        split, measured = split_text(question), measured_text(question)
        if projector and len(question.locked) < FEWEST:
            answered = f"{FEW} so far"
            split = split if not question.revealed else f"{FEW} answers: not shown"
            measured = measured if not question.revealed else "not shown"
        rows.append((f"{lesson}/{step}", [lesson, str(step + 1), answered, split, measured,
                                          question.text or "(not judged yet)"]))  # fmt: skip
    return rows


def figure_rows(state: RoomState, projector: bool = False) -> list[Row]:
    """Each measured check's spread; on the projector only from five runs on, and the
    outliers counted, not named."""
    rows: list[Row] = []
    for (lesson, step, what), values in sorted(state.figures.items()):
        numbers = spread(values)
        if numbers is None or (projector and numbers.runs < FEWEST):
            continue
        if projector:
            outliers = str(len(numbers.outliers)) if numbers.outliers else "-"
        else:
            outliers = outlier_text(state, numbers.outliers, values) or "-"
        rows.append((f"{lesson}/{step}/{what}", [
            lesson, str(step + 1), str(numbers.runs), figure_text(numbers.low),
            figure_text(numbers.median), figure_text(numbers.high), outliers, what,
        ]))  # fmt: skip
    return rows
