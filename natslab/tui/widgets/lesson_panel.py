"""The lesson: progress, the step's narrative, its commands, and its checks as they resolve."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, ProgressBar, Static

from natslab.lessons.model import Lesson
from natslab.lessons.record import LessonRecord, StepRecord

PENDING, PASSED, FAILED = "…", "✓", "✗"


class LessonPanel(Vertical):
    """Draws the runner's lesson record; holds no verdicts or lesson logic of its own."""

    DEFAULT_CSS = """
    LessonPanel { border: round $accent; width: 1fr; }
    LessonPanel > .status { height: auto; padding: 0 1; }
    LessonPanel > ProgressBar { padding: 0 1; }
    LessonPanel > VerticalScroll { height: 1fr; }
    LessonPanel > VerticalScroll.verdicts { height: auto; max-height: 45%; }
    LessonPanel .commands { padding: 0 1; color: $text-muted; }
    LessonPanel .checks { padding: 0 1; }
    LessonPanel Markdown { margin: 0; padding: 0 1; }
    """

    def __init__(self, lesson: Lesson) -> None:
        super().__init__(id="lesson")
        self.lesson = lesson
        self._step: StepRecord | None = None
        self.notes_index = 0

    def compose(self) -> ComposeResult:
        yield Static(classes="status", id="lesson-status")
        yield ProgressBar(total=len(self.lesson.steps), show_eta=False, id="progress")
        # The verdicts come first, so that on a small screen they are never below the fold.
        with VerticalScroll(classes="verdicts"):
            yield Static(classes="checks", id="checks")
        with VerticalScroll():
            yield Markdown(self.lesson.summary, id="narrative")
            yield Static(classes="commands", id="commands")

    def on_mount(self) -> None:
        self.border_title = self.lesson.title
        self.set_status(f"{len(self.lesson.steps)} steps. Press n to run step 1.")

    def set_status(self, text: str, style: str = "") -> None:
        self.query_one("#lesson-status", Static).update(Text(text, style))

    def show(self, record: LessonRecord) -> None:
        """Draw the step the record says is current, with its actions and checks."""
        if record.current is None:
            return
        step = record.steps[record.current]
        if step is not self._step:
            self._step = step
            self.notes_index = step.index + 1
            self.query_one("#narrative", Markdown).update(f"## {step.title}\n\n{step.narrative}")
        self._draw(step)
        self.query_one(ProgressBar).update(progress=record.passed_through())
        total = len(self.lesson.steps)
        number = f"Step {step.index + 1} of {total}"
        if step.ok is None:
            self.set_status(f"{number}: {step.title} — running…", "bold")
        elif step.ok and step.index == total - 1:
            self.query_one(ProgressBar).update(progress=total)
            self.set_status("Lesson complete: every check passed. q: quit", "bold green")
        elif step.ok:
            more = "n: next step" if step.index + 1 < total else "done"
            self.set_status(f"{number} passed in {step.duration:.1f} s. {more}", "green")
        else:
            self.set_status(
                f"Lesson stopped: step {step.index + 1} of {total} failed ({step.title}). "
                "r: retry, s: skip",
                "bold red",
            )

    def previous_notes(self) -> None:
        """Show an earlier step's narrative again."""
        if self._step is None:
            return
        self.notes_index = max(0, self.notes_index - 1)
        step = self.lesson.steps[self.notes_index]
        self.query_one("#narrative", Markdown).update(
            f"## Step {self.notes_index + 1}: {step.title}\n\n{step.narrative}"
        )

    def _draw(self, step: StepRecord) -> None:
        commands = [Text("walkthrough: ", "bold") + Text(c) for c in step.commands]
        for action in step.actions:
            tick = Text("✓ " if action.ok else "✗ ", "green" if action.ok else "red")
            commands.append(tick + Text(action.detail))
            if action.command:
                commands.append(Text("   runs: ", "dim") + Text(action.command))
            if action.added:
                commands.append(Text("   natslab adds: ", "dim") + Text(action.added, "magenta"))
        self.query_one("#commands", Static).update(Text("\n").join(commands))
        lines = []
        for position, check in enumerate(self.lesson.steps[step.index].checks):
            result = step.checks[position] if position < len(step.checks) else None
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
