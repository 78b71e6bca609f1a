"""The one store of a lesson's verdicts: lesson events folded into steps, actions and checks.

The runner keeps one as it emits; the TUI, the headless printer, `--json` and the report read
one (the report by replaying `events.jsonl` into it). None of them decides a verdict itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from natslab.lessons import events as ev


@dataclass
class CheckRecord:
    """A check's latest verdict; `final` once it passed or its time ran out."""

    description: str
    ok: bool = False
    observation: str = ""
    final: bool = False
    cited_server: str = ""
    cited_line: str = ""


@dataclass
class StepRecord:
    """One run of a step: `ok` is None while it runs."""

    index: int
    title: str
    narrative: str = ""
    commands: tuple[str, ...] = ()
    ok: bool | None = None
    duration: float = 0.0
    actions: list[ev.ActionDone] = field(default_factory=list)
    checks: list[CheckRecord] = field(default_factory=list)  # in the step's order

    def final_checks(self) -> list[CheckRecord]:
        return [c for c in self.checks if c.final]

    def cited(self, server: str) -> frozenset[str]:
        """The lines of a server's log that this step's checks quoted."""
        return frozenset(c.cited_line for c in self.checks if c.cited_server == server)


@dataclass
class LessonRecord:
    """Everything a lesson run decided, step by step (a retried step keeps its latest run)."""

    lesson_id: str = ""
    title: str = ""
    total_steps: int = 0
    steps: dict[int, StepRecord] = field(default_factory=dict)
    current: int | None = None
    ok: bool | None = None
    failed_step: int | None = None
    duration: float = 0.0

    def apply(self, event: object) -> None:
        """Fold one lesson event in; other events are ignored."""
        match event:
            case ev.LessonStarted():
                self.lesson_id, self.title = event.lesson_id, event.title
                self.total_steps = event.steps
            case ev.StepStarted():
                previous = self.steps.get(event.index)
                self.steps[event.index] = StepRecord(
                    event.index, event.title, event.narrative, event.commands
                )
                if previous is not None and event.retry:
                    self.steps[event.index].actions = previous.actions
                self.current = event.index
            case ev.ActionDone() if event.index in self.steps:
                self.steps[event.index].actions.append(event)
            case ev.CheckResult() if event.index in self.steps:
                checks = self.steps[event.index].checks
                record = CheckRecord(
                    event.description,
                    event.ok,
                    event.observation,
                    event.final,
                    event.cited_server,
                    event.cited_line,
                )
                # Checks are taken in order, so a new position is always the next one.
                if event.position < len(checks):
                    checks[event.position] = record
                else:
                    checks.append(record)
            case ev.StepFinished() if event.index in self.steps:
                step = self.steps[event.index]
                step.ok, step.duration = event.ok, event.duration
            case ev.LessonFinished():
                self.ok, self.failed_step = event.ok, event.failed_step
                self.duration = event.duration

    def step(self, index: int) -> StepRecord | None:
        return self.steps.get(index)

    def passed_through(self) -> int:
        """How many steps the progress bar shows done: up to the last passed step."""
        passed = [i for i, s in self.steps.items() if s.ok]
        return max(passed) + 1 if passed else 0

    def to_json(self) -> dict[str, Any]:
        """The `--json` results: each step with its actions and final checks."""
        result: dict[str, Any] = {"steps": []}
        if self.lesson_id:
            result.update(lesson=self.lesson_id, title=self.title)
        for _, step in sorted(self.steps.items()):
            entry: dict[str, Any] = {
                "step": step.index + 1,
                "title": step.title,
                "actions": [
                    {
                        "action": a.action,
                        "ok": a.ok,
                        "detail": a.detail,
                        "command": a.command,
                        "added": a.added,
                    }
                    for a in step.actions
                ],
                "checks": [
                    {"check": c.description, "ok": c.ok, "observation": c.observation}
                    for c in step.final_checks()
                ],
            }
            if step.ok is not None:
                entry.update(ok=step.ok, duration=round(step.duration, 3))
            result["steps"].append(entry)
        if self.ok is not None:
            result.update(ok=self.ok, duration=round(self.duration, 3))
        return result
