"""The lesson: progress, the step's narrative, its commands, and its checks as they resolve."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, ProgressBar, Static

from natslab.lessons import events as ev
from natslab.lessons.model import Lesson

PENDING, PASSED, FAILED = "…", "✓", "✗"


class LessonPanel(Vertical):
    """Fed lesson events by the app; holds no lesson logic of its own."""

    DEFAULT_CSS = """
    LessonPanel { border: round $accent; width: 1fr; }
    LessonPanel > .status { height: auto; padding: 0 1; }
    LessonPanel > ProgressBar { padding: 0 1; }
    LessonPanel > VerticalScroll { height: 1fr; }
    LessonPanel .commands { padding: 0 1; color: $text-muted; }
    LessonPanel .checks { padding: 0 1; }
    LessonPanel Markdown { margin: 0; padding: 0 1; }
    """

    def __init__(self, lesson: Lesson) -> None:
        super().__init__(id="lesson")
        self.lesson = lesson
        self.index = -1
        self.checks: dict[int, ev.CheckResult] = {}
        self.commands: list[Text] = []
        self.notes: dict[int, str] = {}

    def compose(self) -> ComposeResult:
        yield Static(classes="status", id="lesson-status")
        yield ProgressBar(total=len(self.lesson.steps), show_eta=False, id="progress")
        with VerticalScroll():
            yield Markdown(self.lesson.summary, id="narrative")
            yield Static(classes="commands", id="commands")
            yield Static(classes="checks", id="checks")

    def on_mount(self) -> None:
        self.border_title = self.lesson.title
        self.set_status(f"{len(self.lesson.steps)} steps. Press n to run step 1.")

    def set_status(self, text: str, style: str = "") -> None:
        self.query_one("#lesson-status", Static).update(Text(text, style))

    def step_started(self, event: ev.StepStarted) -> None:
        self.index = event.index
        self.checks.clear()
        self.commands = [Text("walkthrough: ", "bold") + Text(c) for c in event.commands]
        self.notes[event.index] = event.narrative
        total = len(self.lesson.steps)
        self.set_status(f"Step {event.index + 1} of {total}: {event.title} — running…", "bold")
        self.query_one("#narrative", Markdown).update(f"## {event.title}\n\n{event.narrative}")
        self._draw()

    def action_done(self, event: ev.ActionDone) -> None:
        line = Text("✓ " if event.ok else "✗ ", "green" if event.ok else "red") + Text(event.detail)
        self.commands.append(line)
        if event.command:
            self.commands.append(Text("   runs: ", "dim") + Text(event.command))
        if event.added:
            self.commands.append(Text("   natslab adds: ", "dim") + Text(event.added, "magenta"))
        self._draw()

    def check_result(self, event: ev.CheckResult) -> None:
        self.checks[event.position] = event
        self._draw()

    def step_finished(self, event: ev.StepFinished) -> None:
        total = len(self.lesson.steps)
        progress = self.query_one(ProgressBar)
        title = self.lesson.steps[event.index].title
        if event.ok:
            progress.update(progress=event.index + 1)
            more = "n: next step" if event.index + 1 < total else "done"
            self.set_status(
                f"Step {event.index + 1} of {total} passed in {event.duration:.1f} s. {more}",
                "green",
            )
        else:
            self.set_status(
                f"Lesson stopped: step {event.index + 1} of {total} failed ({title}). "
                "r: retry, s: skip",
                "bold red",
            )

    def lesson_complete(self) -> None:
        self.query_one(ProgressBar).update(progress=len(self.lesson.steps))
        self.set_status("Lesson complete: every check passed. q: quit", "bold green")

    def show_notes(self, index: int) -> None:
        """Show an earlier step's narrative again."""
        step = self.lesson.steps[index]
        self.query_one("#narrative", Markdown).update(
            f"## Step {index + 1}: {step.title}\n\n{step.narrative}"
        )

    def _draw(self) -> None:
        self.query_one("#commands", Static).update(Text("\n").join(self.commands))
        lines = []
        for position, check in enumerate(self.lesson.steps[self.index].checks):
            result = self.checks.get(position)
            if result is None:
                lines.append(Text(f"{PENDING} ", "dim") + Text(check.type, "dim"))
                continue
            mark, style = PENDING, "yellow"
            if result.final:
                mark, style = (PASSED, "green") if result.ok else (FAILED, "red")
            lines.append(
                Text(f"{mark} ", style)
                + Text(result.description, "bold")
                + Text(f" — {result.observation}", "dim" if not result.final else "")
            )
        self.query_one("#checks", Static).update(Text("\n").join(lines))
