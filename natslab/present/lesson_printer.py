"""Prints a running lesson with rich as its events arrive; --json writes the runner's record."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.text import Text

from natslab.cluster import events as sev
from natslab.lab.local import LabSession
from natslab.lessons import events as ev
from natslab.lessons.model import Lesson
from natslab.lessons.record import LessonRecord, score_sentence
from natslab.lessons.runner import LessonRunner
from natslab.present.notices import InternalErrors
from natslab.present.prose import as_text
from natslab.words import printable

PASS: tuple[str, str] = ("✓", "green")
FAIL: tuple[str, str] = ("✗", "red")
DASH: tuple[str, str] = (" — ", "dim")

# Lines are built as Text, never markup: a lesson file's words, a check's observation and
# a server's name are data (a trailing backslash or a "[/]" must print as written).
Part = str | tuple[str, str] | Text


class LessonPrinter:
    """A bus listener: step titles, commands, natslab's added flags, actions and checks.
    It only prints what the runner decided; it keeps no verdicts of its own."""

    def __init__(self, console: Console, record: LessonRecord | None = None) -> None:
        self.console = console
        self.record = record  # the runner's, for the score at the end
        self.steps = 0
        self.previewed: int | None = None
        self.narrative = ""

    def say(self, *parts: Part) -> None:
        self.console.print(Text.assemble(*parts))

    def __call__(self, event: object) -> None:
        match event:
            case ev.LessonStarted():
                self.steps = event.steps
                self.console.rule(Text(event.title, style="bold"))
            case ev.StepPreviewed():
                self._previewed(event)
            case ev.PredictionLocked():
                self.say(("  answer locked:", "dim"), f" {event.answer + 1}")
            case ev.PredictionJudged():
                self._judged(event)
            case ev.StepStarted():
                self.narrative = event.narrative  # the why, printed once the step has run
                if event.index != self.previewed or event.retry:
                    self._step_started(event)
            case ev.ActionDone():
                self._action(event)
            case ev.CheckResult(final=True):
                self._check(event)
            case ev.StepFinished():
                self._step_finished(event)
            case ev.LessonFinished():
                self._finished(event)
            case sev.ServerExited(expected=False):
                # Nothing of the lesson's asked for it: a crash, or the learner's own signal
                # (a hands-on step says which). Either way the reader hears of it now.
                last = f": {printable(event.last_lines[-1])}" if event.last_lines else ""
                self.say(("  ! ", "bold red"), (f"{event.server} exited without natslab "
                         f"stopping it (exit code {event.returncode}){last}", "red"))  # fmt: skip

    def _step_started(self, event: ev.StepStarted | ev.StepPreviewed) -> None:
        self.console.print()
        self.say((f"Step {event.index + 1}/{self.steps}: {event.title}", "bold cyan"))
        for command in event.commands:
            self.say(("  walkthrough:", "dim"), f" {command}")

    def _previewed(self, event: ev.StepPreviewed) -> None:
        """The step before it runs: what it does, the question, and whose turn it would be."""
        self.previewed = event.index
        self._step_started(event)
        if event.preview:
            self.say(f"  {' '.join(event.preview.split())}")
        if event.hands_on:
            doing = f" in the UI you would {event.hands_on} yourself; here natslab does it."
            self.say(("  hands-on:", "magenta"), doing)
        if event.question:
            self.say(("  Predict:", "bold cyan"), f" {event.question}")
            for number, answer in enumerate(event.answers, 1):
                self.say(f"    {number}. {answer}")

    def _judged(self, event: ev.PredictionJudged) -> None:
        mark: list[Part] = [] if event.matched is None else [PASS if event.matched else FAIL, " "]
        said = f"you said {event.said()}: " if event.said() else ""
        self.say(("  Measured:", "bold cyan"), f" {event.measured}", DASH, *mark, said,
                 event.outcome())  # fmt: skip

    def _action(self, event: ev.ActionDone) -> None:
        mark: Part = "▸" if event.ok else FAIL
        self.say("  ", mark, f" {event.detail}")
        if event.command:
            self.say(("      runs:", "dim"), f" {event.command}")
        if event.added:
            self.say(("      natslab adds:", "dim"), " ", (event.added, "magenta"))

    def _check(self, event: ev.CheckResult) -> None:
        self.say("  ", PASS if event.ok else FAIL, f" {event.description}", DASH,
                 event.observation)  # fmt: skip

    def _step_finished(self, event: ev.StepFinished) -> None:
        verdict = ("passed", "green") if event.ok else ("failed", "red")
        self.say(f"  step {event.index + 1} ", verdict, f" in {event.duration:.1f} s")
        if event.ok and self.narrative:  # the same explanation the UI shows after the step
            for paragraph in self.narrative.strip().split("\n\n"):
                self.say("  ", as_text(" ".join(paragraph.split()), "italic"))

    def _finished(self, event: ev.LessonFinished) -> None:
        self.console.print()
        if self.record is not None and any(s.prediction for s in self.record.steps.values()):
            matched, answered, judged = self.record.score()
            hint = "" if answered else " `--answers 1,2,…` answers them."
            self.say(score_sentence(matched, answered, judged) + hint)
        if event.ok:
            self.say(("Lesson complete:", "bold green"),
                     f" every check passed in {event.duration:.1f} s.")  # fmt: skip
        else:
            failed = (event.failed_step or 0) + 1
            self.say((f"Lesson failed at step {failed}", "bold red"),
                     "; every server and client it started has been stopped.")  # fmt: skip


INTERRUPTED = 130  # as a shell reports a command ended by Ctrl+C (128 + SIGINT)


def interrupted(record: LessonRecord, steps: int) -> Text:
    """The one line a headless lesson stopped by a signal ends with."""
    passed = sum(1 for step in record.steps.values() if step.ok)
    current = record.steps.get(record.current) if record.current is not None else None
    if current is not None and current.ok is None:
        where = f"in step {current.index + 1} of {steps}"
    elif (shown := record.upcoming) is not None and (
        current is None or shown.index > current.index
    ):
        where = f"before step {shown.index + 1} of {steps}"  # shown, waiting for its pace
    elif current is not None:
        where = f"after step {current.index + 1} of {steps}"
    else:
        where = "before its first step"
    return Text.assemble(
        ("Interrupted", "bold yellow"),
        f" {where}, {passed} of {steps} steps passed: the lesson did not finish, and every "
        "server and client it started has been stopped.",
    )


async def run_headless_lesson(
    session: LabSession,
    lesson: Lesson,
    console: Console,
    json_path: Path | None = None,
    answers: Sequence[int | None] = (),
    pace: float = 0.0,
) -> int:
    """Run a lesson with no UI; exit status 0 only when every check passed. Nothing waits
    for a person: hands-on actions are done by the lab, `answers` stand in for the learner,
    and `pace` seconds between steps stand in for their reading time."""
    runner = LessonRunner(lesson, session.source, answers=answers)
    printer = LessonPrinter(console, runner.record)
    session.bus.subscribe(printer)
    session.bus.subscribe(InternalErrors())
    console.print(
        f"nats-server {session.source.binary.version} at {session.source.binary.path}; "
        f"run directory {session.run_dir.path}"
    )
    if lesson.summary:
        console.print(" ".join(lesson.summary.split()))
    if session.source.settings.upgrade_binary:
        console.print(f"Upgrades use {session.source.settings.upgrade_binary}")
    if pace:
        console.print(f"At a learner's pace: {pace:g} s between one step and the next")
    session.start_polling(interval=0.25)
    try:
        ok = await runner.run(pace)
    except asyncio.CancelledError:  # Ctrl+C or SIGTERM: not a pass, and said so in a line
        console.print(interrupted(runner.record, len(lesson.steps)))
        return INTERRUPTED
    if json_path is not None:
        json_path.write_text(json.dumps(runner.record.to_json(), indent=2))
        console.print(f"Results written to {json_path}")
    return 0 if ok else 1
