"""`natslab report`: a run directory turned into a self-contained HTML page and Markdown."""

from __future__ import annotations

import html
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from natslab.clients import events as cev
from natslab.cluster import events as sev
from natslab.cluster.logformat import notability
from natslab.cluster.rundir import runs_dir
from natslab.errors import RunDirError
from natslab.lab.recorder import EVENTS_FILE, read_events, replay
from natslab.lessons import events as lev
from natslab.lessons.record import LessonRecord, StepRecord
from natslab.state import LabState

NOTABLE_LINES = 200


def latest_run() -> Path:
    runs = sorted(p for p in runs_dir().glob("*") if (p / EVENTS_FILE).exists())
    if not runs:
        raise RunDirError(f"There is no recorded run in {runs_dir()} yet.")
    return runs[-1]


@dataclass
class RunReport:
    """What a report shows; the steps are the lesson record replayed, never re-decided."""

    run_dir: Path
    title: str
    steps: list[StepRecord]
    skipped: list[str]
    timeline: list[tuple[float, str]]
    counts: dict[str, list[tuple[float, int]]]
    notable: dict[str, list[str]]
    score: tuple[int, int, int] = (0, 0, 0)  # matched, answered, asked (LessonRecord.score)


def build(run_dir: Path) -> RunReport:
    events_file = run_dir / EVENTS_FILE
    if not events_file.exists():
        raise RunDirError(f"{run_dir} has no {EVENTS_FILE}: it is not a natslab run directory.")
    replayed = replay(read_events(events_file))
    events = replayed.events
    state = LabState(timeline_length=100_000)
    lesson = LessonRecord()
    where: dict[str, str] = {}
    counts: dict[str, list[tuple[float, int]]] = defaultdict(list)
    start = getattr(events[0], "at", 0.0) if events else 0.0
    for event in events:
        state.apply(event)
        if isinstance(event, lev.LessonEvent):
            lesson.apply(event)
        if isinstance(event, cev.ClientEvent | sev.ServerExited):
            before = dict(where)
            where = {
                c.name: c.server
                for c in state.clients.values()
                if c.server and c.state == "connected"
            }
            if where != before:
                for server in sorted(set(before.values()) | set(where.values())):
                    n = sum(1 for s in where.values() if s == server)
                    _add_point(counts[server], event.at - start, n)
    origin = state.started_at or start
    timeline = [(entry.at - origin, entry.text) for entry in state.timeline]
    return RunReport(
        run_dir,
        lesson.title or f"natslab run {run_dir.name}",
        [lesson.steps[i] for i in sorted(lesson.steps)],
        replayed.skipped,
        timeline,
        dict(counts),
        notable_lines(run_dir),
        lesson.score(),
    )


def predictions(report: RunReport) -> list[tuple[int, str, str, str, str]]:
    """(step number, question, the answer given, what the run measured, verdict) for each
    question the run judged."""
    rows = []
    for step in report.steps:
        p = step.prediction
        if p is None:
            continue
        right = p.right_text()
        given = "not answered" if p.answer is None else f"{p.answer + 1}. {p.answers[p.answer]}"
        if p.matched is None:
            verdict = f"right answer: {right}"
        else:
            verdict = "✓ matched" if p.matched else f"✗ the run says {right}"
        rows.append((step.index + 1, p.question, given, p.measured, verdict))
    return rows


def score_sentence(report: RunReport) -> str:
    matched, answered, asked = report.score
    return f"{matched} of {answered} answered predictions matched this run ({asked} asked)."


def _add_point(series: list[tuple[float, int]], t: float, n: int) -> None:
    """One point per change of the count."""
    if not series or series[-1][1] != n:
        series.append((t, n))


def turning_points(series: list[tuple[float, int]]) -> list[tuple[float, int]]:
    """The first and last points and every peak or trough: a burst of 60 moves reads as one."""
    if len(series) <= 2:
        return series
    kept = [series[0]]
    for before, point, after in zip(series, series[1:], series[2:], strict=False):
        if (point[1] - before[1]) * (after[1] - point[1]) < 0:
            kept.append(point)
    kept.append(series[-1])
    return kept


def notable_lines(run_dir: Path) -> dict[str, list[str]]:
    """Per server, the log lines a learner should notice (the ones the UI highlights)."""
    notable = {}
    for log in sorted(run_dir.glob("*.log")):
        lines = [
            line
            for line in log.read_text(errors="replace").splitlines()
            if notability(line) is not None
        ]
        notable[log.stem] = lines[-NOTABLE_LINES:]
    return notable


# --- rendering -----------------------------------------------------------------------

_COLOURS = ["#2f7ed8", "#d0503b", "#3aa55d", "#a35fc4", "#d9a400", "#3bb3c3"]


def chart_svg(
    counts: dict[str, list[tuple[float, int]]], width: int = 720, height: int = 220
) -> str:
    """Clients per server over time, as step lines in an inline SVG."""
    if not counts:
        return "<p>No client moved during this run.</p>"
    end = max(t for series in counts.values() for t, _ in series) or 1.0
    top = max(n for series in counts.values() for _, n in series) or 1
    pad = 30

    def x(t: float) -> float:
        return pad + (width - 2 * pad) * t / end

    def y(n: int) -> float:
        return height - pad - (height - 2 * pad) * n / top

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'role="img" aria-label="clients per server over time">',
        f'<line x1="{pad}" y1="{height - pad}" x2="{width - pad}" y2="{height - pad}" '
        'stroke="#888"/>',
        f'<text x="{pad}" y="{height - 8}" font-size="11">0 s</text>',
        f'<text x="{width - pad - 40}" y="{height - 8}" font-size="11">{end:.1f} s</text>',
        f'<text x="4" y="{pad}" font-size="11">{top}</text>',
    ]
    for i, (server, series) in enumerate(sorted(counts.items())):
        colour = _COLOURS[i % len(_COLOURS)]
        points, last = [], 0
        for t, n in series:
            points += [f"{x(t):.1f},{y(last):.1f}", f"{x(t):.1f},{y(n):.1f}"]
            last = n
        points.append(f"{x(end):.1f},{y(last):.1f}")
        parts.append(
            f'<polyline data-server="{html.escape(server)}" fill="none" '
            f'stroke="{colour}" stroke-width="2" points="{" ".join(points)}"/>'
        )
        parts.append(
            f'<text x="{width - pad + 4}" y="{pad + 14 * i}" font-size="12" '
            f'fill="{colour}">{html.escape(server)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def to_html(report: RunReport) -> str:
    e = html.escape
    out = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{e(report.title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;}"
        "td,th{padding:.2rem .5rem;text-align:left;vertical-align:top}"
        ".ok{color:#1a7f37}.fail{color:#cf222e}pre{background:#f6f8fa;padding:.5rem;"
        "overflow-x:auto;font-size:.8rem}</style></head><body>",
        f"<h1>{e(report.title)}</h1>",
        f"<p>Run directory: <code>{e(str(report.run_dir))}</code></p>",
        '<h2 id="steps">Steps and checks</h2>',
    ]
    if not report.steps:
        out.append("<p>This run had no lesson.</p>")
    for step in report.steps:
        verdict = {True: ("ok", "passed"), False: ("fail", "failed"), None: ("", "not finished")}
        css, word = verdict[step.ok]
        out.append(
            f'<h3 class="{css}">Step {step.index + 1}: {e(step.title)} — {word}'
            f' ({step.duration:.1f} s)</h3><table class="checks">'
        )
        for check in step.final_checks():
            mark = '<td class="ok">✓</td>' if check.ok else '<td class="fail">✗</td>'
            out.append(
                f"<tr>{mark}<td>{e(check.description)}</td><td>{e(check.observation)}</td></tr>"
            )
        out.append("</table>")
    rows = predictions(report)
    if rows:
        out.append(f'<h2 id="predictions">Predictions</h2><p>{e(score_sentence(report))}</p>')
        out.append(
            "<table><tr><th>step</th><th>question</th><th>answer</th>"
            "<th>measured</th><th>verdict</th></tr>"
        )
        out += [
            "<tr>" + "".join(f"<td>{e(str(cell))}</td>" for cell in row) + "</tr>" for row in rows
        ]
        out.append("</table>")
    if report.skipped:
        out.append(f"<p>{len(report.skipped)} records of events.jsonl could not be read:</p>")
        out.append(f"<pre>{e(chr(10).join(report.skipped))}</pre>")
    out.append('<h2 id="chart">Clients per server over time</h2>')
    out.append(chart_svg(report.counts))
    out.append('<h2 id="timeline">Timeline</h2><table class="timeline">')
    out += [f"<tr><td>+{t:.2f} s</td><td>{e(text)}</td></tr>" for t, text in report.timeline]
    out.append("</table>")
    out.append('<h2 id="logs">Notable log lines</h2>')
    for server, lines in report.notable.items():
        out.append(f"<h3>{e(server)}</h3><pre>{e(chr(10).join(lines))}</pre>")
    out.append("</body></html>")
    return "\n".join(out)


def to_markdown(report: RunReport) -> str:
    out = [f"# {report.title}", "", f"Run directory: `{report.run_dir}`", "", "## Steps and checks"]
    for step in report.steps:
        word = {True: "passed", False: "failed", None: "not finished"}[step.ok]
        out += ["", f"### Step {step.index + 1}: {step.title} — {word} ({step.duration:.1f} s)", ""]
        out += [
            f"- {'✓' if c.ok else '✗'} {c.description} — {c.observation}"
            for c in step.final_checks()
        ]
    rows = predictions(report)
    if rows:
        out += ["", "## Predictions", "", score_sentence(report), ""]
        out += ["| step | question | answer | measured | verdict |", "|---|---|---|---|---|"]
        out += ["| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in rows]
    if report.skipped:
        out += ["", f"{len(report.skipped)} records of events.jsonl could not be read:", ""]
        out += [f"- {line}" for line in report.skipped]
    out += ["", "## Clients per server over time", ""]
    for server, series in sorted(report.counts.items()):
        points = turning_points(series)
        out.append(f"- {server}: " + ", ".join(f"{n} at +{t:.1f} s" for t, n in points))
    out += ["", "## Timeline", ""]
    out += [f"- +{t:.2f} s {text}" for t, text in report.timeline]
    out += ["", "## Notable log lines"]
    for server, lines in report.notable.items():
        out += ["", f"### {server}", "", "```", *lines, "```"]
    return "\n".join(out) + "\n"


def write(run_dir: Path) -> tuple[Path, Path]:
    report = build(run_dir)
    html_path, md_path = run_dir / "report.html", run_dir / "report.md"
    html_path.write_text(to_html(report), encoding="utf-8")
    md_path.write_text(to_markdown(report), encoding="utf-8")
    return html_path, md_path
