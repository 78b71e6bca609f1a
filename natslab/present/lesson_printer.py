"""Prints a running lesson with rich as its events arrive; --json writes the runner's record."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from natslab.lab.local import LabSession
from natslab.lessons import events as ev
from natslab.lessons.model import Lesson
from natslab.lessons.record import LessonRecord, score_sentence
from natslab.lessons.runner import LessonRunner
from natslab.present.notices import InternalErrors

PASS = "[green]✓[/]"
FAIL = "[red]✗[/]"


class LessonPrinter:
    """A bus listener: step titles, commands, natslab's added flags, actions and checks.
    It only prints what the runner decided; it keeps no verdicts of its own."""

    def __init__(self, console: Console, record: LessonRecord | None = None) -> None:
        self.console = console
        self.record = record  # the runner's, for the score at the end
        self.steps = 0
        self.previewed: int | None = None
        self.narrative = ""

    def __call__(self, event: object) -> None:
        match event:
            case ev.LessonStarted():
                self.steps = event.steps
                self.console.rule(f"[bold]{escape(event.title)}[/]")
            case ev.StepPreviewed():
                self._previewed(event)
            case ev.PredictionLocked():
                self.console.print(f"  [dim]answer locked:[/] {event.answer + 1}")
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

    def _step_started(self, event: ev.StepStarted | ev.StepPreviewed) -> None:
        self.console.print()
        self.console.print(
            f"[bold cyan]Step {event.index + 1}/{self.steps}: {escape(event.title)}[/]"
        )
        for command in event.commands:
            self.console.print(f"  [dim]walkthrough:[/] {escape(command)}")

    def _previewed(self, event: ev.StepPreviewed) -> None:
        """The step before it runs: what it does, the question, and whose turn it would be."""
        self.previewed = event.index
        self._step_started(event)
        if event.preview:
            self.console.print(f"  {escape(' '.join(event.preview.split()))}")
        if event.hands_on:
            self.console.print(
                f"  [magenta]hands-on:[/] in the UI you would {escape(event.hands_on)} "
                "yourself; here natslab does it."
            )
        if event.question:
            self.console.print(f"  [bold cyan]Predict:[/] {escape(event.question)}")
            for number, answer in enumerate(event.answers, 1):
                self.console.print(f"    {number}. {escape(answer)}")

    def _judged(self, event: ev.PredictionJudged) -> None:
        mark = {True: f"{PASS} ", False: f"{FAIL} ", None: ""}[event.matched]
        said = f"you said {escape(event.said())}: " if event.said() else ""
        self.console.print(
            f"  [bold cyan]Measured:[/] {escape(event.measured)} [dim]—[/] "
            f"{mark}{said}{escape(event.outcome())}"
        )

    def _action(self, event: ev.ActionDone) -> None:
        mark = "▸" if event.ok else FAIL
        self.console.print(f"  {mark} {escape(event.detail)}")
        if event.command:
            self.console.print(f"      [dim]runs:[/] {escape(event.command)}")
        if event.added:
            self.console.print(f"      [dim]natslab adds:[/] [magenta]{escape(event.added)}[/]")

    def _check(self, event: ev.CheckResult) -> None:
        mark = PASS if event.ok else FAIL
        self.console.print(
            f"  {mark} {escape(event.description)} [dim]—[/] {escape(event.observation)}"
        )

    def _step_finished(self, event: ev.StepFinished) -> None:
        verdict = "[green]passed[/]" if event.ok else "[red]failed[/]"
        self.console.print(f"  step {event.index + 1} {verdict} in {event.duration:.1f} s")
        if event.ok and self.narrative:  # the same explanation the UI shows after the step
            for paragraph in self.narrative.strip().split("\n\n"):
                self.console.print(f"  [italic]{escape(' '.join(paragraph.split()))}[/]")

    def _finished(self, event: ev.LessonFinished) -> None:
        self.console.print()
        if self.record is not None and any(s.prediction for s in self.record.steps.values()):
            matched, answered, judged = self.record.score()
            hint = "" if answered else " `--answers 1,2,…` answers them."
            self.console.print(escape(score_sentence(matched, answered, judged) + hint))
        if event.ok:
            self.console.print(
                f"[bold green]Lesson complete:[/] every check passed in {event.duration:.1f} s."
            )
        else:
            failed = (event.failed_step or 0) + 1
            self.console.print(
                f"[bold red]Lesson failed at step {failed}[/]; every server and client it "
                "started has been stopped."
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
    ok = await runner.run(pace)
    if json_path is not None:
        json_path.write_text(json.dumps(runner.record.to_json(), indent=2))
        console.print(f"Results written to {json_path}")
    return 0 if ok else 1
