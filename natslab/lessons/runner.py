"""The step state machine: run the actions, then re-check until every check holds or times out."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from natslab.errors import NatslabError
from natslab.lessons import actions, checks
from natslab.lessons import events as ev
from natslab.lessons.context import LessonContext, LogWatch, RunSettings
from natslab.lessons.model import Lesson, Step
from natslab.session import LabSession

CHECK_INTERVAL = 0.1


@dataclass
class CheckState:
    description: str
    ok: bool = False
    observation: str = ""
    final: bool = False


@dataclass
class StepResult:
    index: int
    title: str
    ok: bool = False
    duration: float = 0.0
    actions: list[ev.ActionDone] = field(default_factory=list)
    checks: list[CheckState] = field(default_factory=list)


class LessonRunner:
    """Runs a lesson against a session; every outcome is also emitted on the session's bus."""

    def __init__(self, lesson: Lesson, session: LabSession, settings: RunSettings) -> None:
        self.lesson = lesson
        self.session = session
        self.logs = LogWatch()
        self.ctx = LessonContext(session, settings, self.logs)
        self.results: dict[int, StepResult] = {}
        session.bus.subscribe(self.logs)

    def _emit(self, event: ev.LessonEvent) -> None:
        self.session.bus.emit(event)

    async def run(self) -> bool:
        """Every step in order, stopping at the first that fails; True when all passed.
        A failed or interrupted lesson stops every client and server it started."""
        started = time.time()
        self._emit(
            ev.LessonStarted(
                lesson_id=self.lesson.id, title=self.lesson.title, steps=len(self.lesson.steps)
            )
        )
        failed: int | None = None
        try:
            for index in range(len(self.lesson.steps)):
                if not (await self.run_step(index)).ok:
                    failed = index
                    break
        except BaseException:
            await self.stop_everything()
            raise
        if failed is not None:
            await self.stop_everything()
        self._emit(
            ev.LessonFinished(
                lesson_id=self.lesson.id,
                ok=failed is None,
                failed_step=failed,
                duration=time.time() - started,
            )
        )
        return failed is None

    async def run_step(self, index: int) -> StepResult:
        """Run (or retry) one step: actions first, then checks until they hold or time out."""
        step = self.lesson.steps[index]
        result = StepResult(index, step.title)
        started = self._begin(index, result)
        result.ok = await self._perform(index, step, result) and await self._verify(
            index, step, result
        )
        result.duration = time.time() - started
        self._emit(ev.StepFinished(index=index, ok=result.ok, duration=result.duration))
        return result

    async def retry_step(self, index: int) -> StepResult:
        """Run a step again. If its actions all succeeded last time, only its checks are
        re-evaluated: starting the same servers and clients twice would change the lesson."""
        previous = self.results.get(index)
        if previous is None or not all(a.ok for a in previous.actions):
            return await self.run_step(index)
        step = self.lesson.steps[index]
        result = StepResult(index, step.title, actions=list(previous.actions))
        started = self._begin(index, result)
        result.ok = await self._verify(index, step, result)
        result.duration = time.time() - started
        self._emit(ev.StepFinished(index=index, ok=result.ok, duration=result.duration))
        return result

    def _begin(self, index: int, result: StepResult) -> float:
        """Record the step's result slot, start its clock for log checks, and announce it."""
        step = self.lesson.steps[index]
        self.results[index] = result
        started = time.time()
        self.ctx.step_started_at = started
        self._emit(
            ev.StepStarted(
                index=index,
                title=step.title,
                narrative=step.narrative,
                commands=tuple(step.commands),
            )
        )
        return started

    async def _perform(self, index: int, step: Step, result: StepResult) -> bool:
        for item in step.actions:
            try:
                done = await actions.perform(item, self.ctx)
            except NatslabError as exc:
                event = ev.ActionDone(index=index, action=item.type, ok=False, detail=str(exc))
                result.actions.append(event)
                self._emit(event)
                return False
            event = ev.ActionDone(
                index=index,
                action=item.type,
                ok=True,
                detail=done.detail,
                command=done.command,
                added=done.added,
            )
            result.actions.append(event)
            self._emit(event)
        return True

    async def _verify(self, index: int, step: Step, result: StepResult) -> bool:
        """Checks hold in order: each one is re-evaluated every 100 ms until it passes or its
        own timeout (counted from when its turn came) expires; then the next one starts."""
        states = [CheckState(checks.describe(c)) for c in step.checks]
        result.checks = states
        for position, (item, state) in enumerate(zip(step.checks, states, strict=True)):
            begun = time.time()
            while not state.final:
                now = time.time()
                outcome = checks.evaluate(item, self.ctx, now)
                changed = (outcome.ok, outcome.observation) != (state.ok, state.observation)
                state.ok, state.observation = outcome.ok, outcome.observation
                state.final = outcome.ok or now - begun >= item.timeout
                if changed or state.final:
                    self._emit(
                        ev.CheckResult(
                            index=index,
                            position=position,
                            description=state.description,
                            ok=state.ok,
                            observation=state.observation,
                            final=state.final,
                        )
                    )
                if not state.final:
                    await asyncio.sleep(CHECK_INTERVAL)
            if not state.ok:
                return False
        return True

    async def stop_everything(self) -> None:
        await self.session.fleet.stop()
        await self.session.supervisor.stop_all()
