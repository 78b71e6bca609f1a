"""The lesson runner: owns progress (next, retry, skip, auto, finished) and every verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from natslab.clock import SYSTEM_CLOCK, Clock, Deadline
from natslab.errors import NatslabError
from natslab.lab.operations import Done, Operation, WaitHealthz
from natslab.lab.titles import title
from natslab.lessons import checks, hands_on, predictions
from natslab.lessons import events as ev
from natslab.lessons.lab_protocol import CheckContext, Lab
from natslab.lessons.model import NEVER, Healthz, HealthzError, Lesson, Prediction, Step
from natslab.lessons.record import CheckRecord, LessonRecord, StepRecord
from natslab.lessons.wording import with_ports
from natslab.state import LessonActionNoted

# A lesson's actions that change the lab without a note of their own in the timeline (a
# server's start or a client's move has one): the timeline shows them as the palette's would.
# verify_ledger is not among them: a verification has its own line (LedgerVerified).
NOTED_ON_THE_TIMELINE = frozenset({
    "edit_config", "validate_config", "reload_config", "create_stream", "edit_stream",
    "promote_mirror", "backup_stream", "delete_stream", "restore_stream", "move_leader",
    "remove_server", "remove_stream_peer", "wipe_store", "damage_store", "pause_server",
    "resume_server", "cut_link", "blackhole_link", "delay_link", "heal_link", "probe_jetstream",
    "send_requests", "expect_refusal",
})  # fmt: skip

CHECK_INTERVAL = 0.1


@dataclass
class Progress:
    """Where the learner is: the next step to run, whether the last run failed, and whether
    a step is running now."""

    next_index: int = 0
    failed: bool = False
    running: bool = False


class LessonRunner:
    """Runs a lesson against a Lab; every verdict goes into `record` and out on the lab's bus.

    `interactive` is a learner at the keys: a question must be answered before its step runs,
    and a hands-on action waits for the learner. Otherwise (headless, --auto) nothing waits
    for a person: the lab does hands-on actions itself, and `answers` (the 0-based answer to
    each question in order, None for none) stand in for the learner's."""

    def __init__(
        self,
        lesson: Lesson,
        lab: Lab,
        clock: Clock = SYSTEM_CLOCK,
        *,
        interactive: bool = False,
        answers: Sequence[int | None] = (),
    ) -> None:
        self.lesson = lesson
        self.lab = lab
        self.clock = clock
        self.interactive = interactive
        self.ctx = CheckContext(lab)
        self.record = LessonRecord(lesson_id=lesson.id, title=lesson.title)
        self.progress = Progress()
        asked = [i for i, step in enumerate(lesson.steps) if step.predict is not None]
        self._given = {index: a for index, a in zip(asked, answers, strict=False) if a is not None}
        self._take_over = False
        self._waiting = False
        self._started_at: float | None = None  # when LessonStarted was recorded
        self._ended = False  # LessonFinished recorded

    def _emit(self, event: ev.LessonEvent) -> None:
        self.record.apply(event)
        self.lab.emit(event)

    # --- progress, as the keys n / r / s and --auto ask for it ---------------------------

    @property
    def finished(self) -> bool:
        return self.progress.next_index >= len(self.lesson.steps)

    @property
    def question(self) -> Prediction | None:
        """The next step's question, while it waits to be answered."""
        if self.finished or self.progress.running or self.progress.failed:
            return None
        predict = self.lesson.steps[self.progress.next_index].predict
        return None if self.progress.next_index in self.record.locked else predict

    @property
    def waiting_for_learner(self) -> bool:
        return self._waiting

    def refusal(self, request: str) -> str | None:
        """Why `next`, `retry` or `skip` cannot happen now, in a sentence; None when it can."""
        if self.progress.running:
            if request == "skip" and self._waiting:
                return None  # s while the lab waits for the learner: the lab does it
            return "A step is still running."
        if request == "next" and self.progress.failed:
            return "This step failed: r retries it, s skips it."
        if self.finished:
            return "The lesson is complete. q quits."
        # A hands-on step skipped before it starts would leave the lab as the next steps do
        # not expect, and the panel promises that s does the action: that needs it started.
        step = self.lesson.steps[self.progress.next_index]
        if request == "skip" and self.interactive and not self.progress.failed and step.hands_on:
            return (
                "This step is yours to do: n starts it, then do it yourself, or press s and "
                "natslab does it for you."
            )
        if request == "next" and self.interactive and self.question is not None:
            return f"Predict first: press 1-{len(self.question.answers)} (s skips the step)."
        return None

    # --- one lifecycle, however the lesson is taken ------------------------------------

    def start(self) -> None:
        """The lesson begins: recorded once, and the first step previewed. The TUI, --auto,
        the headless run and a room's participant all start here, so the board, `runs`,
        `tutorial list`, the report and a comparison read every way of taking it alike."""
        if self._started_at is not None:
            return
        self._started_at = self.clock.now()
        lesson = self.lesson
        started = ev.LessonStarted(
            at=self._started_at, lesson_id=lesson.id, title=lesson.title, steps=len(lesson.steps)
        )
        self._emit(started)
        self.preview()

    def _end(self, failed: int | None) -> None:
        """The lesson ends, once: every step passed in turn (None), or where it stopped."""
        if self._ended or self._started_at is None:
            return
        self._ended = True
        now = self.clock.now()
        ended = ev.LessonFinished(at=now, lesson_id=self.lesson.id, ok=failed is None,
                                  failed_step=failed, duration=now - self._started_at)  # fmt: skip
        self._emit(ended)

    def _end_if_finished(self) -> None:
        """Past the last step: ended, ok when every step's last run passed (a skipped step
        never ran its checks, so it is where the lesson fell short)."""
        if not self.finished:
            return
        short = [i for i in range(len(self.lesson.steps))
                 if (step := self.record.step(i)) is None or not step.ok]  # fmt: skip
        self._end(short[0] if short else None)

    def preview(self) -> None:
        """Announce the next step before it runs, and lock an answer given in advance."""
        index = self.progress.next_index
        if self.finished:
            return
        step = self.lesson.steps[index]
        first = step.actions[0] if step.actions else None
        self._emit(
            ev.StepPreviewed(
                at=self.clock.now(),
                index=index,
                title=step.title,
                preview=self.in_this_run(step.preview),
                commands=tuple(step.commands),
                question=step.predict.question if step.predict else "",
                answers=tuple(a.text for a in step.predict.answers) if step.predict else (),
                hands_on=hands_on.task(first)
                if step.hands_on and isinstance(first, hands_on.HandsOn)
                else "",
                here=self._by_hand(step),
            )
        )
        if index in self._given and index not in self.record.locked:
            self.answer(self._given[index])

    def _by_hand(self, step: Step) -> tuple[str, ...]:
        """This run's commands for what the step does, and for the reads its checks make."""
        done = (*step.actions, *_reads(step))
        commands = (c for op in done if (c := self.lab.by_hand(op, whole=True)))
        return tuple(dict.fromkeys(commands))  # a wait_healthz and a healthz check: one line

    def in_this_run(self, text: str) -> str:
        """A lesson's sentence with its port placeholders as this run's ports."""
        return with_ports(text, lambda server, kind: getattr(self.lab.ports(server), kind))

    def answer(self, choice: int) -> str | None:
        """Lock the 0-based answer to the next step's question; a refusal sentence if not."""
        question = self.question
        if question is None:
            return "There is no question to answer now."
        if not 0 <= choice < len(question.answers):
            return f"This question has answers 1-{len(question.answers)}."
        self._emit(
            ev.PredictionLocked(at=self.clock.now(), index=self.progress.next_index, answer=choice)
        )
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
        """Move past the current step without running it, or, while the lab waits for the
        learner's action, do it for them; what happened in a sentence, or None."""
        if self.refusal("skip"):
            return None
        if self._waiting:
            self._take_over = True
            return "natslab does it for you."
        skipped = self.lesson.steps[self.progress.next_index].title
        self._emit(ev.StepSkipped(at=self.clock.now(), index=self.progress.next_index,
                                  title=skipped))  # fmt: skip
        self.progress.next_index += 1
        self.progress.failed = False
        self.preview()
        self._end_if_finished()
        return f"Skipped: {skipped}"

    async def run_all(self, pause: float) -> bool:
        """--auto: every remaining step in turn, `pause` seconds apart; stops at a failure."""
        self.start()
        first = self.lesson.steps[self.progress.next_index] if not self.finished else None
        if first is not None and first.predict is not None:
            await self.clock.sleep(pause)  # time to read the first question
        while not self.finished:
            result = await self.next()
            if result is None or not result.ok:
                return False  # r may still retry it on the projector: not ended yet
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
            self.preview()
            self._end_if_finished()
        return result

    # --- a whole lesson, headless ------------------------------------------------------

    async def run(self, pace: float = 0.0) -> bool:
        """Every step in order, stopping at the first that fails; True when all passed.
        `pace` seconds pass between one step's end and the next one's start, as they would
        while a learner reads, answers and types. A failed or interrupted lesson stops every
        client and server it started."""
        self.start()
        failed: int | None = None
        try:
            for index in range(len(self.lesson.steps)):
                if index and pace:
                    await self.clock.sleep(pace)  # the learner reads the preview, answers
                if not (await self._advance(index, retry=False)).ok:
                    failed = index
                    break
        except BaseException:
            await self.lab.stop_everything()
            raise
        if failed is not None:
            await self.lab.stop_everything()
            self._end(failed)
        return failed is None

    # --- one step ----------------------------------------------------------------------

    async def run_step(self, index: int) -> StepRecord:
        """Run one step: actions first, then checks until they hold or time out."""
        step = self.lesson.steps[index]
        started = self._begin(index, retry=False)
        performed = await self._perform(index, step)
        ok = performed and await self._verify(index, step)
        if performed:
            await self._judge(index, step, wait=ok)
        return self._finish(index, ok, started)

    async def retry_step(self, index: int) -> StepRecord:
        """Run a step again. If its actions all succeeded last time, only its checks are
        re-evaluated: starting the same servers and clients twice would change the lesson."""
        previous = self.record.step(index)
        if previous is None or not all(a.ok for a in previous.actions):
            return await self.run_step(index)
        step = self.lesson.steps[index]
        started = self._begin(index, retry=True)
        ok = await self._verify(index, step)
        await self._judge(index, step, wait=ok)
        return self._finish(index, ok, started)

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
                narrative=self.in_this_run(step.narrative),
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
        for position, item in enumerate(step.actions):
            try:
                by = ""
                if position == 0 and step.hands_on and isinstance(item, hands_on.HandsOn):
                    (done, by), ok = await self._by_learner(index, step, item), True
                else:
                    done, ok = await self.lab.perform(item), True
            except NatslabError as exc:
                done, ok = Done(str(exc)), False
            self._emit(
                ev.ActionDone(
                    at=self.clock.now(),
                    index=index,
                    action=item.type,
                    title=title(item),
                    ok=ok,
                    detail=done.detail,
                    command=done.command,
                    added=done.added,
                    hands_on=by,
                )
            )
            if item.type in NOTED_ON_THE_TIMELINE:
                self.lab.emit(LessonActionNoted(title=title(item), ok=ok, detail=done.detail))
            if not ok:
                return False
        return True

    async def _by_learner(self, index: int, step: Step, op: hands_on.HandsOn) -> tuple[Done, str]:
        """Wait until the action's effect shows, however it was caused; `s` (or not being
        interactive) has the lab do it. A hint follows after `hint_after` seconds. Says who
        did it: "learner", "natslab" after `s`, or "" when nobody was asked."""
        command = self.lab.by_hand(op)
        view = self.lab.state.servers.get(op.server)
        if not self.interactive or view is None or not view.up:
            return await self.lab.perform(op), ""  # nobody to wait for, or nothing to act on
        ways = hands_on.ways(op, command, view.pid)
        since = self.clock.now()
        self._emit(
            ev.HandsOnWaiting(
                at=since, index=index, instruction=hands_on.instruction(op), commands=ways
            )
        )
        hint = Deadline(step.hint_after, self.clock)
        hinted, self._take_over, self._waiting = False, False, True
        try:
            while (seen := hands_on.done(op, self.lab.state, since)) is None:
                if self._take_over:
                    done = await self.lab.perform(op)
                    said = f"natslab did it for you: {done.detail}"
                    return Done(said, done.command, done.added), "natslab"
                if hint.expired and not hinted:
                    hinted = True
                    text = (
                        f"Still waiting. In a shell: {ways[0]}; or {ways[-1]}; "
                        "or press s and natslab does it."
                    )
                    self._emit(ev.HandsOnHint(at=self.clock.now(), index=index, text=text))
                await self.clock.sleep(CHECK_INTERVAL)
        finally:
            self._waiting = False
        return Done(seen, command), "learner"

    async def _judge(self, index: int, step: Step, wait: bool) -> None:
        """Measure what the step's question asked, until final or its timeout (once, after a
        failed step), then say which answers that makes right and whether the learner's was."""
        if step.predict is None:
            return
        deadline = Deadline(step.predict.timeout if wait else 0.0, self.clock)
        judge = step.predict.judge
        while not (measured := predictions.measure(judge, self.ctx, self.clock.now())).final:
            if deadline.expired:
                break
            await self.clock.sleep(CHECK_INTERVAL)
        right = predictions.right_answers(step.predict, measured.value)
        text = measured.text
        value = measured.value if isinstance(measured.value, int | float) else None
        if not measured.final and measured.value != NEVER:
            # A figure still moving when time ran out proves no answer right.
            right, text = (), f"no final figure within {step.predict.timeout:g} s ({text})"
            value = None
        answer = self.record.locked.get(index)
        self._emit(
            ev.PredictionJudged(
                at=self.clock.now(),
                index=index,
                question=step.predict.question,
                answers=tuple(a.text for a in step.predict.answers),
                answer=answer,
                measured=text,
                right=right,
                matched=None if answer is None else answer in right,
                value=value,
            )
        )

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
                elif not verdict.ok and (gone := checks.gone_meanwhile(item, self.ctx)):
                    state.final = True  # it cannot come true now: say why, at once
                    observation = f"{observation}; {gone}"
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
                            figure=verdict.figure if state.final else None,
                        )
                    )
                first = False
                if not state.final:
                    await self.clock.sleep(CHECK_INTERVAL)
            if not state.ok:
                return False
        return True


def _reads(step: Step) -> list[Operation]:
    """The reads a step's checks make that a learner can make too: a walkthrough's `curl
    .../healthz` is shown again with this run's port (it said 8222 where A's was another)."""
    return [
        WaitHealthz(server=check.server)
        for check in step.checks
        if isinstance(check, Healthz | HealthzError)
    ]
