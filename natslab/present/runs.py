"""`natslab runs`: the recorded runs, a line each; and how a run is named on the command line."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from natslab.cluster.rundir import runs_dir
from natslab.errors import RunDirError
from natslab.lab.recorder import EVENTS_FILE
from natslab.present.report_model import build
from natslab.words import counted


def recorded_runs() -> list[Path]:
    """Every run directory with a record of events, oldest first (names start with the time)."""
    base = runs_dir()
    return sorted(p for p in base.glob("*") if (p / EVENTS_FILE).exists()) if base.is_dir() else []


def find_run(name: str) -> Path:
    """A run by its path, its folder name under the runs directory, or a unique start of it
    (`20261130-1416`); `latest` is the newest."""
    path = Path(name).expanduser()
    if path.is_dir():
        if not (path / EVENTS_FILE).exists():
            raise RunDirError(f"{path} has no {EVENTS_FILE}: it is not a natslab run directory.")
        return path
    runs = recorded_runs()
    if not runs:
        raise RunDirError(f"There is no recorded run in {runs_dir()} yet.")
    if name == "latest":
        return runs[-1]
    matches = [p for p in runs if p.name.startswith(name)]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        raise RunDirError(
            f"No run is called {name!r}: give a run directory, or a name `natslab runs` lists."
        )
    raise RunDirError(
        f"{len(matches)} runs start with {name!r} ({matches[0].name}, {matches[1].name}, …): "
        "give more of the name."
    )


@dataclass(frozen=True)
class RunLine:
    """What `natslab runs` says of one run."""

    name: str
    started: str
    what: str
    took: float
    outcome: str
    versions: str


def describe(run: Path) -> RunLine:
    """A run in a line: replayed as its report would be, without reading its logs."""
    report = build(run, with_logs=False)
    if report.kind == "lesson":
        passed = sum(1 for s in report.steps if s.ok)
        outcome = f"{passed}/{report.lesson_steps} steps passed"
        matched, _, asked = report.score
        if asked:
            outcome += f", {matched}/{asked} predictions"
    elif report.kind == "watch":
        silent = len(report.never_answered)
        outcome = f"watched {counted(len(report.watched), 'server')}"
        outcome += f", {silent} never answered" if silent else ""
    else:
        outcome = f"{len(report.actions)} actions"
    if report.lanes:
        outcome += f", {report.total_lost} lost"
    every = sorted({v for seen in report.versions.values() for v in seen})
    return RunLine(
        run.name,
        report.started,
        f"tutorial {report.lesson_id}" if report.kind == "lesson" else report.kind,
        report.duration,
        outcome,
        ", ".join(every) or "-",
    )


@dataclass(frozen=True)
class Finished:
    """How a lesson's latest finished run here went: for `tutorial list`."""

    run: str
    duration: float
    ok: bool


def last_finished() -> dict[str, Finished]:
    """Each lesson's latest finished run in this state directory, by lesson id. Only the
    line naming the finish is parsed: a long run's record is not replayed."""
    latest: dict[str, Finished] = {}
    for run in recorded_runs():
        with (run / EVENTS_FILE).open(encoding="utf-8") as records:
            finished = [_json(line) for line in records if '"LessonFinished"' in line]
        last = finished[-1] if finished else None
        if last and isinstance(last.get("lesson_id"), str):
            duration = last.get("duration")
            latest[str(last["lesson_id"])] = Finished(
                run.name,
                float(duration) if isinstance(duration, int | float) else 0.0,
                bool(last.get("ok")),
            )
    return latest


def _json(line: str) -> dict[str, object] | None:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return None
    return record if isinstance(record, dict) else None
