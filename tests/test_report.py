"""`natslab report` turns a recorded run into HTML (checked with a parser) and Markdown."""

from html.parser import HTMLParser

from tests.cli_process import run_natslab


class Outline(HTMLParser):
    """Collects headings, table rows and SVG polylines from the page."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[str] = []
        self.cells: list[str] = []
        self.polylines: list[dict[str, str]] = []
        self._tag = ""

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        if tag == "polyline":
            self.polylines.append(dict(attrs))

    def handle_data(self, data):
        if self._tag in {"h1", "h2", "h3"} and data.strip():
            self.headings.append(data.strip())
        elif self._tag == "td" and data.strip():
            self.cells.append(data.strip())


def test_report_of_a_recorded_lesson(state_dir):
    lesson = run_natslab(
        "tutorial", "herd", "--headless", "--port-offset", "auto", "--answers", "2", timeout=120
    )
    assert lesson.returncode == 0, lesson.stdout
    done = run_natslab("report")
    assert done.returncode == 0, done.stderr
    html_path = done.stdout.strip().splitlines()[-1]
    (run_dir,) = state_dir.glob("runs/*")
    assert html_path == str(run_dir / "report.html")

    page = Outline()
    page.feed((run_dir / "report.html").read_text())
    assert page.headings[0] == "The thundering herd: why clients shuffle their server list"
    assert {
        "Steps and checks",
        "Clients per server over time",
        "Timeline",
        "Notable log lines",
        "Predictions",
    } <= set(page.headings)
    steps = [h for h in page.headings if h.startswith("Step ")]
    assert len(steps) == 5 and all("— passed" in h for h in steps)
    assert "every pinned-… client is on B" in page.cells
    assert any(cell.startswith("shuffled-1 moved A -> ") for cell in page.cells)
    assert {line["data-server"] for line in page.polylines} == {"A", "B", "C"}

    markdown = (run_dir / "report.md").read_text()
    assert "### Step 3: Stop A: the herd stampedes onto B — passed" in markdown
    a_line = next(line for line in markdown.splitlines() if line.startswith("- A: "))
    assert ", 60 at +" in a_line  # the pinned herd on A, before A was stopped
    # The prediction, beside what the run measured: answer 2 ("some") against all sixty on B.
    row = next(line for line in markdown.splitlines() if line.startswith("| 3 |"))
    assert "| 2. Some of them, the rest on C | 60 of 60 clients on B |" in row
    assert row.endswith("| ✗ the run says 1. All sixty |")
    assert "0 of 1 answered predictions matched this run (1 asked)." in markdown
    assert "60 of 60 clients on B" in page.cells


def test_report_without_runs_is_a_sentence():
    done = run_natslab("report")
    assert done.returncode == 1
    assert "There is no recorded run in" in done.stderr
