"""Prints a running lesson with rich, and collects its results for --json."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape

from natslab.lessons import events as ev
from natslab.lessons.context import RunSettings
from natslab.lessons.model import Lesson
from natslab.lessons.runner import LessonRunner
from natslab.session import LabSession

PASS = "[green]✓[/]"
FAIL = "[red]✗[/]"


class LessonPrinter:
    """A bus listener: step titles, commands, natslab's added flags, actions and checks."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.steps = 0
        self.results: dict[str, Any] = {"steps": []}

    def __call__(self, event: object) -> None:
        match event:
            case ev.LessonStarted():
                self.steps = event.steps
                self.results.update(lesson=event.lesson_id, title=event.title)
                self.console.rule(f"[bold]{escape(event.title)}[/]")
            case ev.StepStarted():
                self._step_started(event)
            case ev.ActionDone():
                self._action(event)
            case ev.CheckResult(final=True):
                self._check(event)
            case ev.StepFinished():
                self._step_finished(event)
            case ev.LessonFinished():
                self._finished(event)

    def _current(self) -> dict[str, Any]:
        return self.results["steps"][-1] if self.results["steps"] else {}

    def _step_started(self, event: ev.StepStarted) -> None:
        self.results["steps"].append(
            {"step": event.index + 1, "title": event.title, "actions": [], "checks": []}
        )
        self.console.print()
        self.console.print(
            f"[bold cyan]Step {event.index + 1}/{self.steps}: {escape(event.title)}[/]"
        )
        for command in event.commands:
            self.console.print(f"  [dim]walkthrough:[/] {escape(command)}")

    def _action(self, event: ev.ActionDone) -> None:
        self._current()["actions"].append(
            {
                "action": event.action,
                "ok": event.ok,
                "detail": event.detail,
                "command": event.command,
                "added": event.added,
            }
        )
        mark = "▸" if event.ok else FAIL
        self.console.print(f"  {mark} {escape(event.detail)}")
        if event.command:
            self.console.print(f"      [dim]runs:[/] {escape(event.command)}")
        if event.added:
            self.console.print(f"      [dim]natslab adds:[/] [magenta]{escape(event.added)}[/]")

    def _check(self, event: ev.CheckResult) -> None:
        self._current()["checks"].append(
            {"check": event.description, "ok": event.ok, "observation": event.observation}
        )
        mark = PASS if event.ok else FAIL
        self.console.print(
            f"  {mark} {escape(event.description)} [dim]—[/] {escape(event.observation)}"
        )

    def _step_finished(self, event: ev.StepFinished) -> None:
        step = self._current()
        step.update(ok=event.ok, duration=round(event.duration, 3))
        verdict = "[green]passed[/]" if event.ok else "[red]failed[/]"
        self.console.print(f"  step {event.index + 1} {verdict} in {event.duration:.1f} s")

    def _finished(self, event: ev.LessonFinished) -> None:
        self.results.update(ok=event.ok, duration=round(event.duration, 3))
        self.console.print()
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
    settings: RunSettings,
    console: Console,
    json_path: Path | None = None,
) -> int:
    """Run a lesson with no UI; exit status 0 only when every check passed."""
    printer = LessonPrinter(console)
    session.bus.subscribe(printer)
    console.print(
        f"nats-server {session.binary.version} at {session.binary.path}; "
        f"run directory {session.run_dir.path}"
    )
    if settings.upgrade_binary:
        console.print(f"Upgrades use {settings.upgrade_binary}")
    session.start_polling(interval=0.25)
    ok = await LessonRunner(lesson, session, settings).run()
    if json_path is not None:
        json_path.write_text(json.dumps(printer.results, indent=2))
        console.print(f"Results written to {json_path}")
    return 0 if ok else 1
