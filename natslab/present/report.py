"""`natslab report`: a run directory turned into one self-contained HTML page and Markdown,
or two runs set side by side."""

from __future__ import annotations

import functools
import re
from importlib.metadata import PackageNotFoundError, version
from importlib.resources import files
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from natslab.cluster.rundir import state_dir
from natslab.lessons.record import score_sentence
from natslab.present.prose import as_html
from natslab.present.report_chart import chart, lanes
from natslab.present.report_model import LANES, RunReport, build, story_of
from natslab.words import counted

__all__ = ["build", "compare", "write"]


def predictions(report: RunReport) -> list[tuple[int, str, str, str, str]]:
    """(step number, question, the answer given, what the run measured, verdict) for each
    question the run judged."""
    rows = []
    for step in report.steps:
        p = step.prediction
        if p is None:
            continue
        given = p.said() or "not answered"
        mark = {True: "✓ ", False: "✗ ", None: ""}[p.matched]
        rows.append((step.index + 1, p.question, given, p.measured, mark + p.outcome()))
    return rows


def score_of(report: RunReport) -> str:
    return score_sentence(*report.score)


def verdict(report: RunReport) -> str:
    """The run in one sentence: how the lesson ended, or what kind of run it was."""
    lost = f"; {report.total_lost} messages lost in all" if report.lanes else ""
    if report.kind == "lesson":
        done = sum(1 for s in report.steps if s.ok)
        ended = {True: "passed", False: "failed", None: "did not finish"}[report.lesson_ok]
        return f"The lesson {ended}: {done} of {report.lesson_steps} steps passed{lost}."
    if report.kind == "watch":
        silent = len(report.never_answered)
        never = f" ({silent} never answered)" if silent else ""
        watched = counted(len(report.watched), "server")
        return f"A watch of {watched} natslab did not start{never}; it only read."
    actions = len(report.actions)
    return f"A free-form lab run: {actions} action{'s' * (actions != 1)} taken{lost}."


def versions_text(report: RunReport) -> str:
    """'2.15.1' when every server ran one version, else each server's, in order."""
    every = {v for seen in report.versions.values() for v in seen}
    if len(every) <= 1:
        return next(iter(every), "not recorded")
    return ", ".join(f"{s} {' → '.join(v)}" for s, v in sorted(report.versions.items()))


def seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"


def inline(text: str) -> Markup:
    """Lesson prose as HTML: escaped, its `code`, **strong** and *emphasis* spans kept."""
    return as_html(text)


def paragraphs(text: str) -> Markup:
    """A lesson narrative as HTML paragraphs: its lines joined, its blank lines kept."""
    parts = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return Markup("".join(f"<p>{inline(p)}</p>" for p in parts))


def _natslab_version() -> str:
    try:
        return version("natslab")
    except PackageNotFoundError:
        return "(not installed)"


def md(text: object) -> str:
    """A value as one Markdown line or table cell: text from outside natslab (a client's or
    a participant's words) cannot end the cell, start a line, or carry raw HTML."""
    said = " ".join(str(text).splitlines())
    return said.replace("|", "\\|").replace("<", "&lt;").replace(">", "&gt;")


def escaped(name: str | None) -> bool:
    """Every HTML and SVG template escapes what it is given: `report.html.j2` ends in .j2,
    which jinja2's select_autoescape never matched, so a client's name ran as script."""
    return name is not None and name.removesuffix(".j2").endswith((".html", ".svg"))


@functools.cache
def environment() -> Environment:
    """One template environment (templates and style read once) for every page written."""
    env = Environment(
        loader=PackageLoader("natslab.present", "templates"),
        autoescape=escaped,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["inline"] = inline
    env.filters["paragraphs"] = paragraphs
    env.filters["md"] = md
    env.globals.update(
        seconds=seconds,
        versions=versions_text,
        verdict=verdict,
        score_of=score_of,
        story=story_of,
        natslab_version=_natslab_version(),
        style=Markup(files("natslab.present").joinpath("templates/_style.css").read_text()),
    )
    return env


def to_html(report: RunReport) -> str:
    return (
        environment()
        .get_template("report.html.j2")
        .render(
            r=report,
            predictions=predictions(report),
            score=score_of(report),
            chart=chart(report.counts, report.marks, report.duration),
            lanes=lanes(report.lanes or report.watched_lanes, report.duration, LANES),
        )
    )


def to_markdown(report: RunReport) -> str:
    return (
        environment()
        .get_template("report.md.j2")
        .render(r=report, predictions=predictions(report), score=score_of(report))
    )


def write(run_dir: Path) -> tuple[Path, Path]:
    report = build(run_dir)
    html_path, md_path = run_dir / "report.html", run_dir / "report.md"
    html_path.write_text(to_html(report), encoding="utf-8")
    md_path.write_text(to_markdown(report), encoding="utf-8")
    return html_path, md_path


def compare(first: Path, second: Path) -> tuple[Path, Path]:
    """Two runs side by side (a careless and a careful roll, two versions): one page, their
    charts on one scale, written under the state directory's reports/."""
    reports = [build(first), build(second)]
    end = max(r.duration for r in reports)
    top = max((n for r in reports for s in r.counts.values() for _, n in s), default=1) or 1
    charts = [chart(r.counts, r.marks, end, top) for r in reports]
    env = environment()
    out = state_dir() / "reports"
    out.mkdir(parents=True, exist_ok=True)
    stem = f"compare-{first.name}-vs-{second.name}"
    html_path, md_path = out / f"{stem}.html", out / f"{stem}.md"
    context = {"runs": reports, "charts": charts, "steps": step_rows(reports)}
    html_path.write_text(env.get_template("compare.html.j2").render(**context), encoding="utf-8")
    md_path.write_text(env.get_template("compare.md.j2").render(**context), encoding="utf-8")
    return html_path, md_path


def step_rows(reports: list[RunReport]) -> list[tuple[str, list[str]]]:
    """Steps of the two runs by number: each run's verdict and time, or '—'."""
    count = max((len(r.steps) for r in reports), default=0)
    rows = []
    for i in range(count):
        steps = [r.steps[i] if i < len(r.steps) else None for r in reports]
        title = next(s.title for s in steps if s is not None)
        cells = [
            "—"
            if s is None
            else f"{ {True: '✓', False: '✗', None: '…'}[s.ok] } {seconds(s.duration)}"
            for s in steps
        ]
        rows.append((f"{i + 1}. {title}", cells))
    return rows
