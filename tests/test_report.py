"""`natslab report` and `natslab runs` over real recorded runs: the page read with a parser,
the Markdown, two runs side by side, and the names a run goes by."""

import os
import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.cli_process import NATSLAB, run_natslab
from tests.helpers import built_once

# Two lessons recorded end to end, and a real browser: left out of the quick loop.
pytestmark = pytest.mark.slow

HERD_TITLE = "The thundering herd: why clients shuffle their server list"


class Outline(HTMLParser):
    """Collects headings, table cells, paragraphs, SVG parts and lanes from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.cells: list[str] = []
        self.text: list[str] = []
        self.polylines: list[dict[str, str]] = []
        self.marks: list[str] = []
        self.lanes: list[str] = []
        self.axis_labels: list[str] = []
        self._tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        self._tags.append((tag, attrs))
        if tag == "polyline":
            self.polylines.append(attrs)
        classes = attrs.get("class", "").split()
        if tag == "g" and "mark" in classes:
            self.marks.append(next(c for c in classes if c.startswith("mark-")))
        if tag == "g" and "lane" in classes:
            self.lanes.append(attrs["data-client"])

    def handle_endtag(self, tag):
        while self._tags and self._tags.pop()[0] != tag:
            pass

    def handle_data(self, data):
        if not data.strip() or not self._tags:
            return
        tag, attrs = self._tags[-1]
        if tag in {"h1", "h2", "h3"}:
            self.headings.append(data.strip())
        elif tag == "td" or (tag == "code" and self._tags[-2][0] == "td"):
            self.cells.append(data.strip())
        elif tag == "text" and "axis-label" in attrs.get("class", ""):
            self.axis_labels.append(data.strip())
        self.text.append(data.strip())


def natslab(state: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """The installed natslab, with runs kept in `state` (shared by this module's tests), on
    a terminal wide enough for a table's line per run."""
    env = {**os.environ, "NATSLAB_STATE_DIR": str(state), "COLUMNS": "160"}
    return subprocess.run(
        [NATSLAB, *args], capture_output=True, text=True, timeout=timeout, env=env
    )


@pytest.fixture(scope="module")
def herd_runs(tmp_path_factory) -> tuple[Path, list[Path]]:
    """Two real herd runs: one whose prediction was wrong (2), one right (1)."""

    def record(state: Path) -> None:
        for answer in ("2", "1"):
            done = natslab(state, "tutorial", "herd", "--headless", "--port-offset", "auto",
                           "--answers", answer)  # fmt: skip
            assert done.returncode == 0, done.stdout + done.stderr

    state = built_once(tmp_path_factory, "report-state", record)
    runs = sorted((state / "runs").iterdir())
    assert len(runs) == 2
    return state, runs


def test_report_of_a_recorded_lesson_tells_its_story_first(herd_runs):
    state, (run_dir, _) = herd_runs
    done = natslab(state, "report", run_dir.name)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(run_dir / "report.html")

    page = Outline()
    page.feed((run_dir / "report.html").read_text())
    assert page.headings[0] == HERD_TITLE
    body = " ".join(page.text)
    assert "With nats-py's default shuffling" in body  # the lesson's summary
    assert "The lesson passed: 5 of 5 steps passed; 0 messages lost in all." in body
    assert re.search(r"nats-server 2\.\d+\.\d+", body)
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", body)  # when it ran
    assert "so every one of them landed" in body  # a step's narrative
    steps = [h for h in page.headings if h.startswith("Step ")]
    assert len(steps) == 5 and all("— passed" in h for h in steps)
    assert "every pinned-… client is on B" in page.cells
    order = [h for h in page.headings if not h.startswith("Step ")]
    assert order[order.index("Steps and checks") :] == [
        "Steps and checks",
        "Predictions",
        "What moving cost",
        "What was done",
        "Clients per server over time",
        "Where each client was",
        "Timeline",
        "Notable log lines",
    ]
    # The bill: sixty pinned and sixty shuffled subscribers, each moved once.
    pinned = page.cells[page.cells.index("pinned") : page.cells.index("pinned") + 5]
    assert pinned == ["pinned", "subscriber", "60", "60", pinned[4]]
    # The chart: a line per server, a mark per step and per stopped server, labelled axes.
    assert {line["data-server"] for line in page.polylines} == {"A", "B", "C"}
    assert page.marks.count("mark-step") == 5 and page.marks.count("mark-stop") >= 2
    assert page.axis_labels[:2] == ["seconds since the run started", "connected clients"]
    # A lane per client, in order; the timeline folds the crowd's alike entries.
    assert page.lanes[:2] == ["pinned-1", "pinned-2"] and len(page.lanes) == 120
    assert any(re.fullmatch(r"pinned-… connected to A", cell) for cell in page.cells)
    assert "×60" in body
    assert not any(cell.startswith("pinned-7 connected") for cell in page.cells)

    markdown = (run_dir / "report.md").read_text()
    assert "### Step 3: Stop A: the herd stampedes onto B — passed" in markdown
    a_line = next(line for line in markdown.splitlines() if line.startswith("- A: "))
    assert "a peak of 60 at +" in a_line or "60 from +" in a_line  # the pinned herd on A
    c_line = next(line for line in markdown.splitlines() if line.startswith("- C: "))
    assert re.search(r"\d+ from \+[\d.]+ s to \+[\d.]+ s", c_line)  # the spread, held
    # The prediction, beside what the run measured: answer 2 ("some") against all sixty on B.
    row = next(line for line in markdown.splitlines() if line.startswith("| 3 |"))
    assert "| 2. Some of them, the rest on C | 60 of 60 clients on B |" in row
    assert row.endswith("| ✗ the run says 1. All sixty |")
    assert "Predictions: 0 of your 1 answer matched this run (1 question asked)." in markdown
    assert "| pinned | subscriber | 60 | 60 |" in markdown
    assert "- +" in markdown and "×60, last +" in markdown
    assert "60 of 60 clients on B" in page.cells
    # What was done: a lesson's actions titled as the palette titles the same operations.
    done = [cell.split(": ")[0] for cell in page.cells if ": " in cell]
    assert {"Start server A (routes to A and B)", "Stop server A (Ctrl+C)"} <= set(done)
    assert "start_server" not in done and "stop_server" not in done


def test_runs_lists_both_and_a_name_picks_one(herd_runs):
    state, runs = herd_runs
    listed = natslab(state, "runs")
    assert listed.returncode == 0, listed.stderr
    for run, score in zip(runs, ("0/1 predictions", "1/1 predictions"), strict=True):
        line = next(line for line in listed.stdout.splitlines() if run.name in line)
        assert "tutorial herd" in line and "5/5 steps passed" in line, line
        assert score in listed.stdout
    # `tutorial list` says how long the learner's own last run of a lesson took.
    listing = natslab(state, "tutorial", "list").stdout
    herd = listing[listing.index("The thundering herd") : listing.index("Run one with")]
    assert re.search(r"Your last run took \d+ s and passed\.", herd), herd
    assert listing.count("Your last run") == 1
    fresh = natslab(state / "none", "tutorial", "list").stdout
    assert "Your last run" not in fresh and "depends on your pace" in fresh
    ambiguous = natslab(state, "report", runs[0].name[:4])
    assert ambiguous.returncode == 1
    assert "2 runs start with" in ambiguous.stderr and "give more of the name" in ambiguous.stderr
    unknown = natslab(state, "report", "nope")
    assert unknown.returncode == 1 and "No run is called 'nope'" in unknown.stderr
    three = natslab(state, "report", "latest", "latest", "latest")
    assert three.returncode == 1 and "one run or two, not 3" in three.stderr


def test_two_runs_side_by_side(herd_runs):
    state, runs = herd_runs
    done = natslab(state, "report", str(runs[0]), runs[1].name)
    assert done.returncode == 0, done.stderr
    html_path = Path(done.stdout.strip().splitlines()[-1])
    assert html_path.parent == state / "reports" and html_path.exists()
    page = Outline()
    page.feed(html_path.read_text())
    assert page.headings[0] == "Two runs side by side"
    assert {"The runs", "Steps", "What moving cost", "Clients per server over time"} <= set(
        page.headings
    )
    row = page.cells[page.cells.index("run") + 1 : page.cells.index("run") + 3]
    assert row == [runs[0].name, runs[1].name]
    assert page.cells.count("The lesson passed: 5 of 5 steps passed; 0 messages lost in all.") == 2
    assert len([p for p in page.polylines if p["data-server"] == "A"]) == 2  # a chart each
    markdown = html_path.with_suffix(".md").read_text()
    assert f"| run | `{runs[0].name}` | `{runs[1].name}` |" in markdown


def test_report_without_runs_is_a_sentence():
    done = run_natslab("report")
    assert done.returncode == 1
    assert "There is no recorded run in" in done.stderr
    listed = run_natslab("runs")
    assert listed.returncode == 0 and "There is no recorded run in" in listed.stdout


OVERFLOW = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
INSIDE = """(selector) => {
  const outside = [];
  for (const svg of document.querySelectorAll('svg')) {
    const box = svg.getBoundingClientRect();
    for (const part of svg.querySelectorAll(selector)) {
      const r = part.getBoundingClientRect();
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5) outside.push(part.textContent);
    }
  }
  return outside;
}"""


@pytest.mark.parametrize("width", [1280, 760])
def test_the_report_in_a_real_browser(herd_runs, browser, width, tmp_path):
    """As a reader sees it in Chromium, wide and narrow: no sideways scrolling, the chart
    with its five step marks and both axis labels drawn inside it, and a lane per client."""
    state, (run_dir, _) = herd_runs
    assert natslab(state, "report", str(run_dir)).returncode == 0
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto((run_dir / "report.html").as_uri())
    assert page.evaluate(OVERFLOW) <= 0
    chart = page.locator("svg.chart")
    assert chart.locator("g.mark-step").count() == 5
    assert chart.locator("g.mark-step line").first.bounding_box()["height"] > 50
    labels = chart.locator("text.axis-label")
    assert labels.all_text_contents() == ["seconds since the run started", "connected clients"]
    assert all(label.is_visible() for label in labels.all())
    assert page.evaluate(INSIDE, "text") == []  # no tick, mark or label cut at an edge
    lanes = page.locator("svg.lanes g.lane")
    assert lanes.count() == 120
    first = lanes.first.locator("rect")
    assert first.count() >= 2 and all(r.bounding_box()["width"] > 0 for r in first.all())
    page.screenshot(path=tmp_path / f"report-{width}.png", full_page=True)
    page.close()


def test_the_comparison_in_a_real_browser(herd_runs, browser):
    state, runs = herd_runs
    done = natslab(state, "report", runs[0].name, runs[1].name)
    page = browser.new_page(viewport={"width": 1024, "height": 900})
    page.goto(Path(done.stdout.strip().splitlines()[-1]).as_uri())
    assert page.evaluate(OVERFLOW) <= 0
    assert page.locator("svg.chart").count() == 2
    assert page.locator("svg.chart g.mark-step").count() == 10
    assert page.evaluate(INSIDE, "text") == []
    page.close()


def test_what_was_done_says_who_did_a_hands_on_action(tmp_path):
    """A stop the learner made at their own shell is theirs in the report, and one natslab
    made after `s` says so; the report credited natslab with both."""
    import json

    from natslab.lab.recorder import EVENTS_FILE, to_record
    from natslab.lessons import events as lev
    from natslab.present.report_model import build

    actions = [
        lev.ActionDone(at=1.0, index=0, action="stop_server", title="Stop server A (Ctrl+C)",
                       ok=True, detail="A stopped", command="kill -INT 1", hands_on="learner"),
        lev.ActionDone(at=2.0, index=1, action="stop_server", title="Stop server B (Ctrl+C)",
                       ok=True, detail="B stopped", command="kill -INT 2", hands_on="natslab"),
        lev.ActionDone(at=3.0, index=2, action="start_server", title="Start server C",
                       ok=True, detail="C started", command="nats-server …"),
    ]  # fmt: skip
    (tmp_path / EVENTS_FILE).write_text("".join(json.dumps(to_record(a)) + "\n" for a in actions))
    titles = [title for _, title, _, _, _ in build(tmp_path, with_logs=False).actions]
    assert titles == ["Stop server A (Ctrl+C) (done by you)",
                      "Stop server B (Ctrl+C) (done by natslab: s was pressed)",
                      "Start server C"]  # fmt: skip
