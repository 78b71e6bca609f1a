"""`natslab report --class ROOM`: a workshop room's events (from its stream, or an exported
file) folded into the board's model and written as one HTML page and Markdown."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from natslab.cluster.rundir import state_dir
from natslab.present.report import environment
from natslab.room import records
from natslab.room.instructor.board_rows import (
    ROSTER_COLUMNS,
    RosterLine,
    outlier_text,
    roster_lines,
)
from natslab.room.roster import (
    QuestionView,
    RoomState,
    Spread,
    figure_text,
    spread,
)
from natslab.words import counted


@dataclass(frozen=True)
class ClassReport:
    """What the page shows: the room's fold, and when its events began and ended."""

    room: str
    state: RoomState
    first: float
    last: float

    def span(self) -> str:
        if not self.first:
            return "no events"
        start = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.first))
        end = time.strftime("%H:%M", time.localtime(self.last))
        return f"{start}–{end}"

    def summary(self) -> str:
        people = counted(len(self.state.participants), "participant")
        done = sum(1 for who in self.state.participants.values() if who.finished)
        refused = self.state.refused_total
        foreign = (
            f"; {counted(refused, 'record')} refused (not natslab's, or not their sender's)"
            if refused
            else ""
        )
        events = counted(self.state.events, "event")
        return f"{people}, {done} finished their lesson; {events}{foreign}."


def build(room: str, stored: list[tuple[str, Any]]) -> ClassReport:
    """Fold the stored messages (subject, record) in the order the stream kept them, as the
    board does."""
    state = RoomState()
    times: list[float] = []
    for subject, data in stored:
        read = records.read(subject, data)
        if isinstance(read, records.Refused):
            state.refuse(read)
            continue
        state.apply(read)
        if read.record.at:
            times.append(read.record.at)
    return ClassReport(room, state, min(times, default=0.0), max(times, default=0.0))


def answer_rows(question: QuestionView) -> list[tuple[str, str, str, str]]:
    """(participant, their answer, right/wrong for their own run, what their run measured)."""
    rows = []
    for name in sorted({*question.locked, *question.measured}):
        answer = question.locked.get(name)
        given = "no answer"
        if answer is not None:
            text = question.answers[answer] if answer < len(question.answers) else ""
            given = f"{answer + 1}. {text}"
        ok = question.matched.get(name)
        verdict = "—" if ok is None else "right" if ok else "wrong"
        rows.append((name, given, verdict, question.measured.get(name, "not measured")))
    return rows


def figure_rows(state: RoomState) -> list[tuple[str, int, str, Spread, str]]:
    """(lesson, step number, measurement, its spread, the outliers with their versions)."""
    rows = []
    for (lesson, step, what), values in sorted(state.figures.items()):
        numbers = spread(values)
        if numbers is None:
            continue
        rows.append(
            (lesson, step + 1, what, numbers, outlier_text(state, numbers.outliers, values))
        )
    return rows


def by_name(line: RosterLine) -> str:
    return line.name


def write(report: ClassReport) -> tuple[Path, Path]:
    """reports/class-ROOM.html and .md under the state directory."""
    out = state_dir() / "reports"
    out.mkdir(parents=True, exist_ok=True)
    state = report.state
    context = {
        "c": report,
        "columns": ROSTER_COLUMNS,
        "participants": sorted(roster_lines(state, report.last, ended=True), key=by_name),
        "questions": [state.questions[k] for k in sorted(state.questions)],
        "answer_rows": answer_rows,
        "figure": figure_text,
        "figures": figure_rows(state),
        "helped": state.helps,
    }
    env = environment()
    html_path, md_path = out / f"class-{report.room}.html", out / f"class-{report.room}.md"
    html_path.write_text(env.get_template("class.html.j2").render(**context), encoding="utf-8")
    md_path.write_text(env.get_template("class.md.j2").render(**context), encoding="utf-8")
    return html_path, md_path
