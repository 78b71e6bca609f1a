"""The lesson runner: owns progress (next, retry, skip, auto, finished) and every verdict."""

from __future__ import annotations

from dataclasses import dataclass

from natslab.clock import SYSTEM_CLOCK, Clock, Deadline
from natslab.errors import NatslabError
from natslab.lab.operations import Done
from natslab.lessons import checks
from natslab.lessons import events as ev
from natslab.lessons.model import Lesson, Step
from natslab.lessons.port import CheckContext, Lab
from natslab.lessons.record import CheckRecord, LessonRecord, StepRecord

CHECK_INTERVAL = 0.1


@dataclass
class Progress:
    """Where the learner is: the next step to run, whether the last run failed, and whether
    a step is running now."""

    next_index: int = 0
    failed: bool = False
    running: bool = False


class LessonRunner:
    """Runs a lesson against a Lab; every verdict goes into `record` and out on the lab's bus."""

    def __init__(self, lesson: Lesson, lab: Lab, clock: Clock = SYSTEM_CLOCK) -> None:
        self.lesson = lesson
        self.lab = lab
        self.clock = clock
        self.ctx = CheckContext(lab)
        self.record = LessonRecord(lesson_id=lesson.id, title=lesson.title)
        self.record.total_steps = len(lesson.steps)
        self.progress = Progress()

    def _emit(self, event: ev.LessonEvent) -> None:
        self.record.apply(event)
        self.lab.emit(event)

    # --- progress, as the keys n / r / s and --auto ask for it ---------------------------

    @property
    def finished(self) -> bool:
        return self.progress.next_index >= len(self.lesson.steps)

    def refusal(self, request: str) -> str | None:
        """Why `next`, `retry` or `skip` cannot happen now, in a sentence; None when it can."""
        if self.progress.running:
            return "A step is still running."
        if request == "next" and self.progress.failed:
            return "This step failed: r retries it, s skips it."
        if self.finished:
            return "The lesson is complete. q quits."
        return None

    async def next(self) -> StepRecord | None:
        """Run the next step; None when it may not run now (see `refusal`)."""
        if self.refusal("next"):
            return None
        return await self._advance(self.progress.next_index, retry=False)

    async def retry(self) -> StepRecord | None:
        """Run the current step again (only its checks, if its actions all succeeded)."""
        if self.refusal("retry"):
            return None
        return await self._advance(self.progress.next_index, retry=True)

    def skip(self) -> str | None:
        """Move past the current step without running it; its title, or None."""
        if self.refusal("skip"):
            return None
        skipped = self.lesson.steps[self.progress.next_index].title
        self.progress.next_index += 1
        self.progress.failed = False
        return skipped

    async def run_all(self, pause: float) -> bool:
        """--auto: every remaining step in turn, `pause` seconds apart; stops at a failure."""
        while not self.finished:
            result = await self.next()
            if result is None or not result.ok:
                return False
            if not self.finished:
                await self.clock.sleep(pause)  # reading time on a projector
        return True

    async def _advance(self, index: int, retry: bool) -> StepRecord:
        self.progress.running = True
        try:
            result = await (self.retry_step(index) if retry else self.run_step(index))
        finally:
            self.progress.running = False
        self.progress.failed = not result.ok
        if result.ok:
            self.progress.next_index = index + 1
        return result

    # --- a whole lesson, headless ------------------------------------------------------

    async def run(self) -> bool:
        """Every step in order, stopping at the first that fails; True when all passed.
        A failed or interrupted lesson stops every client and server it started."""
        started = self.clock.now()
        self._emit(
            ev.LessonStarted(
                at=started,
                lesson_id=self.lesson.id,
                title=self.lesson.title,
                steps=len(self.lesson.steps),
            )
        )
        failed: int | None = None
        try:
            for index in range(len(self.lesson.steps)):
                if not (await self._advance(index, retry=False)).ok:
                    failed = index
                    break
        except BaseException:
            await self.lab.stop_everything()
            raise
        if failed is not None:
            await self.lab.stop_everything()
        self._emit(
            ev.LessonFinished(
                at=self.clock.now(),
                lesson_id=self.lesson.id,
                ok=failed is None,
                failed_step=failed,
                duration=self.clock.now() - started,
            )
        )
        return failed is None

    # --- one step ----------------------------------------------------------------------

    async def run_step(self, index: int) -> StepRecord:
        """Run one step: actions first, then checks until they hold or time out."""
        step = self.lesson.steps[index]
        started = self._begin(index, retry=False)
        ok = await self._perform(index, step) and await self._verify(index, step)
        return self._finish(index, ok, started)

    async def retry_step(self, index: int) -> StepRecord:
        """Run a step again. If its actions all succeeded last time, only its checks are
        re-evaluated: starting the same servers and clients twice would change the lesson."""
        previous = self.record.step(index)
        if previous is None or not all(a.ok for a in previous.actions):
            return await self.run_step(index)
        step = self.lesson.steps[index]
        started = self._begin(index, retry=True)
        return self._finish(index, await self._verify(index, step), started)

    def _begin(self, index: int, retry: bool) -> float:
        """Start the step's clock for log checks, and announce it."""
        step = self.lesson.steps[index]
        started = self.clock.now()
        self.ctx.step_starts.append((index + 1, started))
        self._emit(
            ev.StepStarted(
                at=started,
                index=index,
                title=step.title,
                narrative=step.narrative,
                commands=tuple(step.commands),
                retry=retry,
            )
        )
        return started

    def _finish(self, index: int, ok: bool, started: float) -> StepRecord:
        now = self.clock.now()
        self._emit(ev.StepFinished(at=now, index=index, ok=ok, duration=now - started))
        result = self.record.step(index)
        assert result is not None
        return result

    async def _perform(self, index: int, step: Step) -> bool:
        for item in step.actions:
            try:
                done, ok = await self.lab.perform(item), True
            except NatslabError as exc:
                done, ok = Done(str(exc)), False
            self._emit(
                ev.ActionDone(
                    at=self.clock.now(),
                    index=index,
                    action=item.type,
                    ok=ok,
                    detail=done.detail,
                    command=done.command,
                    added=done.added,
                )
            )
            if not ok:
                return False
        return True

    async def _verify(self, index: int, step: Step) -> bool:
        """Checks hold in order: each one is re-evaluated every 100 ms until it passes or its
        own timeout (counted from when its turn came) expires; then the next one starts.
        A check with `holds_for` must then stay true that long: if it breaks, it fails."""
        for position, item in enumerate(step.checks):
            state = CheckRecord(checks.describe(item, self.ctx))
            deadline = Deadline(item.timeout, self.clock)
            held: Deadline | None = None
            first = True
            while not state.final:
                verdict = checks.evaluate(item, self.ctx, self.clock.now())
                observation = verdict.observation
                if verdict.ok and item.holds_for:
                    held = held or Deadline(item.holds_for, self.clock)
                    state.final = held.expired
                    observation += f" (held {held.elapsed:.0f} of {item.holds_for:g} s)"
                elif held is not None:  # it was true, and stopped being so within the hold
                    state.final = True
                    observation = f"held only {held.elapsed:.1f} s, then: {observation}"
                else:
                    state.final = verdict.ok or deadline.expired
                ok = verdict.ok and state.final
                changed = (ok, observation) != (state.ok, state.observation)
                state.ok, state.observation = ok, observation
                if changed or state.final or first:
                    self._emit(
                        ev.CheckResult(
                            at=self.clock.now(),
                            index=index,
                            position=position,
                            description=state.description,
                            ok=state.ok,
                            observation=state.observation,
                            final=state.final,
                            cited_server=getattr(item, "server", "") if verdict.cited else "",
                            cited_line=verdict.cited,
                        )
                    )
                first = False
                if not state.final:
                    await self.clock.sleep(CHECK_INTERVAL)
            if not state.ok:
                return False
        return True
