"""The lesson: progress, the step's narrative, its commands, and its checks as they resolve."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Markdown, ProgressBar, Static

from natslab.lessons import events as ev
from natslab.lessons.model import Check, Lesson
from natslab.lessons.record import LessonRecord, StepRecord

PENDING, PASSED, FAILED = "…", "✓", "✗"


class LessonBox(VerticalScroll):
    """The verdicts' box, or the question's: Tab stops at it only while it has more than it
    shows, so that the keyboard never lands on an empty or a whole box."""

    def allow_focus(self) -> bool:
        return self.max_scroll_y > 0


class LessonStory(VerticalScroll):
    """The step's narrative, its commands and the next step's preview: the lesson panel's
    reading, which takes the keyboard in a tutorial and `m` makes the whole screen."""

    ALLOW_MAXIMIZE = True


class LessonPanel(Vertical):
    """Draws the runner's lesson record; holds no verdicts or lesson logic of its own.

    Read from the top down: what the step found, why, what comes next; and at the bottom,
    always in view, what the lab is waiting for from the learner (a question, their turn)."""

    ALLOW_MAXIMIZE = True  # `m` on the story maximises the panel, verdicts and question too

    DEFAULT_CSS = """
    LessonPanel { border: round $accent; width: 1fr; }
    LessonPanel > .status { height: auto; padding: 0 1; }
    LessonPanel > ProgressBar { padding: 0 1; }
    LessonPanel > LessonStory { height: 1fr; min-height: 4; }
    LessonPanel > LessonBox.verdicts { height: auto; max-height: 60%; }
    LessonPanel.-asking > LessonBox.verdicts { max-height: 50%; }
    LessonPanel > LessonBox.asks { height: auto; max-height: 40%; }
    LessonPanel > LessonBox:focus { background: $boost; }
    LessonPanel .commands { padding: 0 1; color: $text-muted; }
    LessonPanel .checks { padding: 0 1; }
    LessonPanel .reveal { padding: 0 1; }
    LessonPanel .prompt { padding: 0 1; border-top: hkey $accent; }
    LessonPanel .room { padding: 0 1; color: $warning; }
    LessonPanel Markdown { margin: 0; padding: 0 1; }
    """

    def __init__(self, lesson: Lesson, claim: Callable[[Check], str] | None = None) -> None:
        super().__init__(id="lesson")
        self.lesson = lesson
        # A check's claim in words, the runner's own (the same as once it has run).
        self.claim = claim or (lambda check: check.type.replace("_", " "))
        self._drawn: tuple[object, ...] = (None, None, None)
        self._record: LessonRecord | None = None
        self.notes_index = 0

    def compose(self) -> ComposeResult:
        yield Static(classes="status", id="lesson-status")
        yield ProgressBar(total=len(self.lesson.steps), show_eta=False, id="progress")
        # The verdicts at the top and the learner's turn at the bottom, each in a box of its
        # own, so that on a small screen neither is below the fold; the story scrolls between.
        with LessonBox(classes="verdicts"):
            yield Static(classes="reveal", id="reveal").set_styles("display: none;")
            yield Static(classes="checks", id="checks")
            yield Static(classes="room", id="room-reveal").set_styles("display: none;")
        with LessonStory(id="lesson-story"):
            yield Markdown(self._opening(), id="narrative")
            yield Static(classes="commands", id="commands")
            yield Markdown(id="upcoming")
        with LessonBox(classes="asks"):
            yield Static(classes="prompt", id="prompt").set_styles("display: none;")

    def on_mount(self) -> None:
        self.border_title = self.lesson.title
        # The keyboard reads the lesson first (arrows, PageUp/PageDown); Tab moves to the logs.
        self.query_one(LessonStory).focus()
        self.set_status(f"{len(self.lesson.steps)} steps. Press n to run step 1.")

    def show_room(self, text: str) -> None:
        """What the room answered to a question the instructor revealed, beside ours."""
        room = self.query_one("#room-reveal", Static)
        room.update(Text(text))
        room.display = bool(text)

    def set_status(self, text: str, style: str = "") -> None:
        self.query_one("#lesson-status", Static).update(Text(text, style))

    def show(self, record: LessonRecord) -> None:
        """Draw the step the record says is current, and the next one before it runs."""
        self._record = record
        step = record.steps.get(record.current) if record.current is not None else None
        upcoming = record.upcoming
        if step is not None and (step.ok is None or (upcoming and upcoming.index <= step.index)):
            upcoming = None  # while a step runs, only it is on screen
        key = (step.index if step else None, step.ok if step else None, upcoming)
        if key != self._drawn:
            self._drawn = key
            self.notes_index = (step.index + 1) if step else 0
            self.query_one("#narrative", Markdown).update(self._story(step))
            self.query_one("#upcoming", Markdown).update(self._next(upcoming))
            if step is None:
                self.query_one("#commands", Static).update("")
        asking = prompt(record, step, upcoming)
        self.query_one("#prompt", Static).update(asking)
        self.query_one("#prompt", Static).display = bool(asking.plain)
        # Nothing asked: the verdicts may take more of the panel (a last step's four checks).
        self.set_class(bool(asking.plain), "-asking")
        found = verdict(self.lesson, record, step, upcoming)
        self.query_one("#reveal", Static).update(found)
        self.query_one("#reveal", Static).display = bool(found.plain)
        self.query_one(ProgressBar).update(progress=record.passed_through())
        if step is None:
            if upcoming is not None and upcoming.question:
                self.set_status(f"Step 1: answer 1-{len(upcoming.answers)} to run it.", "bold")
            return
        self._draw(step)
        total = len(self.lesson.steps)
        number = f"Step {step.index + 1} of {total}"
        if step.ok is None:
            turn = " — your turn" if step.waiting else " — running…"
            self.set_status(f"{number}: {step.title}{turn}", "bold")
        elif step.ok and step.index == total - 1:
            self.query_one(ProgressBar).update(progress=total)
            self.set_status("Lesson complete: every check passed. q: quit", "bold green")
        elif step.ok:
            more = "n: next step" if step.index + 1 < total else "done"
            if upcoming is not None and upcoming.question and upcoming.index not in record.locked:
                more = f"answer 1-{len(upcoming.answers)} to run the next step"
            self.set_status(f"{number} passed in {step.duration:.1f} s. {more}", "green")
        else:
            self.set_status(
                f"Lesson stopped: step {step.index + 1} of {total} failed ({step.title}). "
                "r: retry, s: skip",
                "bold red",
            )

    def _story(self, step: StepRecord | None) -> str:
        """The narrative: a step's explanation only once it has run; before that, its preview."""
        if step is None:
            return self._opening()
        parts = [f"**{step.title}**"]
        if step.ok is None:
            parts.append(self.lesson.steps[step.index].preview or "")
            parts.append("*What happened, and why, appears here once the step has run.*")
        else:
            parts.append(step.narrative)
        return "\n\n".join(p for p in parts if p)

    def _opening(self) -> str:
        """The lesson's whole title over its summary: the border has room for the first
        40-odd characters of it (at 120 columns, 'Leaf nodes: an edge server that keeps wor…')."""
        return f"**{self.lesson.title}**\n\n{self.lesson.summary}"

    @staticmethod
    def _next(upcoming: ev.StepPreviewed | None) -> str:
        """The next step's preview, below this step's commands and action lines."""
        if upcoming is None:
            return ""
        # Bold, not a heading: a heading is one line and is cut on a narrow panel.
        parts = [f"**Next: step {upcoming.index + 1}, {upcoming.title}**", upcoming.preview]
        parts += [f"walkthrough: `{command}`" for command in upcoming.commands]
        parts += [f"this run: `{command}`" for command in upcoming.here]
        return "\n\n".join(p for p in parts if p)

    def previous_notes(self) -> None:
        """Show an earlier step's narrative again (only steps that have run)."""
        if self._drawn[0] is None:
            return
        self.notes_index = max(0, self.notes_index - 1)
        step = self.lesson.steps[self.notes_index]
        ran = self._record.step(self.notes_index) if self._record else None
        narrative = ran.narrative if ran else step.narrative  # with this run's ports
        self.query_one("#narrative", Markdown).update(
            f"**Step {self.notes_index + 1}: {step.title}**\n\n{narrative}"
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
                lines.append(Text(f"{PENDING} ", "dim") + Text(self.claim(check), "dim"))
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


def prompt(
    record: LessonRecord, step: StepRecord | None, upcoming: ev.StepPreviewed | None
) -> Text:
    """What the lab waits for from the learner: their turn to act, or the next question."""
    lines: list[Text] = []
    if step is not None and step.waiting is not None:
        lines.append(Text(step.waiting.instruction, "bold reverse"))
        for way in step.waiting.commands:
            lines.append(Text("  " if way.startswith("ctrl+p") else "  $ ", "dim") + Text(way))
        lines.append(Text("  s: skip it, and natslab does it for you", "dim"))
        if step.hint:
            lines.append(Text(step.hint, "yellow"))
    if upcoming is not None and upcoming.question:
        lines.append(
            Text(f"Predict (step {upcoming.index + 1}): ", "bold cyan")
            + Text(upcoming.question, "bold")
        )
        locked = record.locked.get(upcoming.index)
        for number, answer in enumerate(upcoming.answers, 1):
            mark = "▶ " if locked == number - 1 else "  "
            lines.append(Text(f"{mark}{number}. ", "bold") + Text(answer))
        if locked is None:
            lines.append(
                Text(
                    f"Press 1-{len(upcoming.answers)}: your answer locks and the step runs.", "dim"
                )
            )
    if upcoming is not None and upcoming.hands_on:
        lines.append(Text("Hands-on: ", "bold magenta") + Text(f"you will {upcoming.hands_on}."))
    return Text("\n").join(lines)


def verdict(
    lesson: Lesson,
    record: LessonRecord,
    step: StepRecord | None,
    upcoming: ev.StepPreviewed | None,
) -> Text:
    """Above the step's checks: the learner's prediction, locked or beside what the run
    measured."""
    if step is not None and step.prediction is not None:
        asking = upcoming is not None and bool(upcoming.question)
        return Text("\n").join(reveal(step.prediction, with_question=not asking))
    if step is not None and step.index in record.locked:
        predict = lesson.steps[step.index].predict
        choice = record.locked[step.index]
        said = f"{choice + 1}. {predict.answers[choice].text}" if predict else str(choice + 1)
        return Text("Your prediction is locked: ", "dim") + Text(said, "bold")
    return Text()


def reveal(p: ev.PredictionJudged, with_question: bool = True) -> list[Text]:
    """The learner's answer beside what this run measured, and the verdict."""
    lines = [Text("You predicted: ", "bold cyan") + Text(p.question)] if with_question else []
    measured = Text("  this run measured ") + Text(p.measured, "bold")
    if p.matched is None:
        lines.append(measured + Text(f": {p.outcome()}", "cyan"))
    elif p.matched:
        lines.append(Text(f"{PASSED} {p.outcome()}: you said {p.said()}", "bold green"))
        lines.append(measured)
    else:
        lines.append(Text(f"{FAILED} you said {p.said()}", "bold red"))
        lines.append(measured + Text(f": {p.outcome()}", "bold"))
    return lines
