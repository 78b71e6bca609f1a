"""The one store of a lesson's verdicts: lesson events folded into steps, actions and checks.

The runner keeps one as it emits; the TUI, the headless printer, `--json` and the report read
one (the report by replaying `events.jsonl` into it). None of them decides a verdict itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from natslab.lessons import events as ev
from natslab.words import counted


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
    waiting: ev.HandsOnWaiting | None = None  # set while the learner is to act
    hint: str = ""
    prediction: ev.PredictionJudged | None = None

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
    lesson_steps: int = 0  # how many steps the lesson has, run or not
    steps: dict[int, StepRecord] = field(default_factory=dict)
    current: int | None = None
    ok: bool | None = None
    failed_step: int | None = None
    duration: float = 0.0
    upcoming: ev.StepPreviewed | None = None  # the next step, shown before it runs
    locked: dict[int, int] = field(default_factory=dict)  # step index -> answer, 0-based

    def apply(self, event: object) -> None:
        """Fold one lesson event in; other events are ignored."""
        match event:
            case ev.LessonStarted():
                self.lesson_id, self.title = event.lesson_id, event.title
                self.lesson_steps = event.steps
            case ev.StepPreviewed():
                self.upcoming = event
            case ev.PredictionLocked():
                self.locked[event.index] = event.answer
            case ev.StepStarted():
                previous = self.steps.get(event.index)
                self.steps[event.index] = StepRecord(
                    event.index, event.title, event.narrative, event.commands
                )
                if previous is not None and event.retry:
                    self.steps[event.index].actions = previous.actions
                self.current = event.index
                if self.upcoming is not None and self.upcoming.index == event.index:
                    self.upcoming = None
            case ev.HandsOnWaiting() if event.index in self.steps:
                self.steps[event.index].waiting = event
            case ev.HandsOnHint() if event.index in self.steps:
                self.steps[event.index].hint = event.text
            case ev.ActionDone() if event.index in self.steps:
                self.steps[event.index].actions.append(event)
                self.steps[event.index].waiting = None
            case ev.PredictionJudged() if event.index in self.steps:
                self.steps[event.index].prediction = event
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

    def score(self) -> tuple[int, int, int]:
        """(answers that matched the run, questions answered, questions judged)."""
        judged = [s.prediction for s in self.steps.values() if s.prediction is not None]
        answered = [p for p in judged if p.answer is not None]
        return sum(bool(p.matched) for p in answered), len(answered), len(judged)

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
            if step.prediction is not None:
                entry["prediction"] = _prediction_json(step.prediction)
            if step.ok is not None:
                entry.update(ok=step.ok, duration=round(step.duration, 3))
            result["steps"].append(entry)
        if any(s.prediction for s in self.steps.values()):
            matched, answered, judged = self.score()
            result["predictions"] = {"asked": judged, "answered": answered, "matched": matched}
        if self.ok is not None:
            result.update(ok=self.ok, duration=round(self.duration, 3))
        return result


def _prediction_json(p: ev.PredictionJudged) -> dict[str, Any]:
    """Answers numbered from 1, as the learner pressed them."""
    return {
        "question": p.question,
        "answers": list(p.answers),
        "answer": None if p.answer is None else p.answer + 1,
        "measured": p.measured,
        "right": [i + 1 for i in p.right],
        "matched": p.matched,
    }


def score_sentence(matched: int, answered: int, asked: int) -> str:
    """A run's predictions in one sentence, the same in the terminal and in the report."""
    questions = counted(asked, "question")
    if not answered:
        return f"Predictions: {questions} asked, none answered."
    return (
        f"Predictions: {matched} of your {counted(answered, 'answer')} matched this run "
        f"({questions} asked)."
    )
