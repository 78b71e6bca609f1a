"""`natslab report` (a run's page, two runs side by side, or a room's page) and `natslab
runs` (what was recorded)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import TYPE_CHECKING

from natslab.cli import options
from natslab.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console


def add_report(commands: options.Commands) -> None:
    report = commands.add_parser(
        "report",
        help="turn a run (default: the latest) into an HTML page and Markdown, or set two "
        "runs side by side",
        description="Write report.html (one self-contained page) and report.md into a run's "
        "directory. Given two runs, write one page comparing them under the state "
        "directory's reports/. A run is its directory, its name as `natslab runs` lists it, "
        "a unique start of that name, or `latest`. With --class, write a workshop room's "
        "page instead, from its stream or from a `natslab class export --format jsonl` file.",
    )
    report.add_argument("runs", nargs="*", metavar="RUN", help="a run (at most two)")
    report.add_argument(
        "--class",
        dest="class_room",
        metavar="ROOM|EXPORT.jsonl",
        help="a workshop room (read from its server, with the instructor's login) or the "
        "file `natslab class export ROOM --format jsonl` wrote",
    )
    report.set_defaults(run=run_report)
    runs = commands.add_parser(
        "runs",
        help="list the recorded runs, oldest first, with what each was and how it went",
    )
    runs.set_defaults(run=lambda args, console: list_runs(console))


def run_report(args: argparse.Namespace, console: Console) -> int:
    if args.class_room is not None:
        return _class_report(args.class_room, args.runs, console)
    return _report(args.runs, console)


def _report(names: Sequence[str], console: Console) -> int:
    from natslab.present import report
    from natslab.present.runs import find_run

    if len(names) > 2:
        raise UsageError(f"natslab report takes one run or two, not {len(names)}.")
    runs = [find_run(name) for name in names] or [find_run("latest")]
    if len(runs) == 2:
        html_path, md_path = report.compare(*runs)
    else:
        html_path, md_path = report.write(runs[0])
    console.print(f"Markdown: {md_path}")
    console.print(str(html_path))
    return 0


def _class_report(source: str, runs: Sequence[str], console: Console) -> int:
    """A room's page: from an exported file when `source` is one, else from its stream."""
    import asyncio
    from pathlib import Path

    from natslab.present import class_report
    from natslab.room.instructor.exported import read_export
    from natslab.room.instructor.stream import read_room
    from natslab.room.names import check_room

    if runs:
        raise UsageError("natslab report --class takes a room or an export, not runs as well.")
    path = Path(source)
    if path.suffix == ".jsonl" or path.exists():
        room, stored = read_export(path)
    else:
        room = check_room(source)
        stored = [(item.subject, item.record) for item in asyncio.run(read_room(room))]
    html_path, md_path = class_report.write(class_report.build(room, stored))
    console.print(f"Markdown: {md_path}")
    console.print(str(html_path))
    return 0


def list_runs(console: Console) -> int:
    from rich.table import Table

    from natslab.cluster.rundir import runs_dir
    from natslab.present.runs import describe, recorded_runs

    runs = recorded_runs()
    if not runs:
        console.print(f"There is no recorded run in {runs_dir()} yet.")
        return 0
    wide = console.width >= 110  # else the name carries the start time, and no versions
    table = Table(box=None)
    table.add_column("Run", no_wrap=True)
    if wide:
        table.add_column("Started", no_wrap=True)
    table.add_column("What", no_wrap=True)
    table.add_column("Took", no_wrap=True, justify="right")
    table.add_column("How it went")
    if wide:
        table.add_column("nats-server")
    for run in runs:
        line = describe(run)
        took = f"{line.took:.0f} s" if line.took >= 10 else f"{line.took:.1f} s"
        cells = [line.name, line.started, line.what, took, line.outcome, line.versions]
        table.add_row(*(cells if wide else [cells[0], *cells[2:5]]))
    console.print(table)
    console.print(
        f"In {runs_dir()}. `natslab report RUN` writes one run's page; "
        "`natslab report RUN RUN` sets two side by side."
    )
    return 0
