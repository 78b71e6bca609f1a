"""The runner against a fake Lab and a manual clock: progress and verdicts without real time."""

import asyncio
import re

from natslab.cluster import events as sev
from natslab.cluster.ports import ServerPorts, ports_for
from natslab.lab import operations as ops
from natslab.lab.logs import LogStore
from natslab.lab.settings import RunSettings
from natslab.lessons import events as ev
from natslab.lessons.model import Lesson
from natslab.lessons.runner import LessonRunner
from natslab.state import LabState
from tests.manual_clock import ManualClock

LESSON = Lesson.model_validate(
    {
        "id": "fake",
        "title": "Fake",
        "servers": ["A", "B"],
        "steps": [
            {
                "title": "Start A",
                "actions": [{"type": "start_server", "server": "A"}],
                "checks": [{"type": "server_ready", "server": "A"}],
            },
            {
                "title": "B never comes",
                "checks": [{"type": "server_ready", "server": "B", "timeout": 30}],
            },
            {"title": "Last", "checks": [{"type": "route_mesh", "servers": ["A", "B"]}]},
        ],
    }
)


class FakeLab:
    """A Lab whose operations only tell LabState what a real server would have said."""

    def __init__(self, clock: ManualClock) -> None:
        self.clock = clock
        self.state = LabState()
        self.logs = LogStore()
        self.settings = RunSettings()
        self.performed: list[ops.Operation] = []
        self.emitted: list[object] = []
        self.stopped = False

    def ports(self, server: str) -> ServerPorts:
        return ports_for(server)

    def by_hand(self, op: ops.Operation, whole: bool = False) -> str:
        return f"kill -INT 100  # {type(op).__name__}"

    async def perform(self, op: ops.Operation) -> ops.Done:
        self.performed.append(op)
        if isinstance(op, ops.StopServer):
            self.state.apply(
                sev.ServerExited(server=op.server, at=self.clock.now(), returncode=0, expected=True)
            )
            return ops.Done(f"stopped {op.server} with Ctrl+C (SIGINT); exit code 0")
        assert isinstance(op, ops.StartServer)
        ports, at = ports_for(op.server), self.clock.now()
        self.state.apply(
            sev.ServerStarted(
                server=op.server,
                at=at,
                pid=100,
                argv=(),
                binary=__file__,
                version="2.15.1",
                client_port=ports.client,
                cluster_port=ports.cluster,
                monitor_port=ports.monitor,
            )
        )
        self.state.apply(sev.ServerReady(server=op.server, at=at, level="INF", text="ready"))
        return ops.Done(f"started {op.server}")

    def emit(self, event: object) -> None:
        self.emitted.append(event)

    async def stop_everything(self) -> None:
        self.stopped = True


async def test_progress_next_fail_retry_skip_and_finish_in_no_real_time():
    clock = ManualClock()
    lab = FakeLab(clock)
    runner = LessonRunner(LESSON, lab, clock)

    first = await runner.next()
    assert first is not None and first.ok
    assert runner.progress.next_index == 1 and lab.performed == [ops.StartServer(server="A")]

    # B is never started: its check fails at its own 30 s timeout, on the manual clock.
    began = clock.now()
    second = await runner.next()
    assert second is not None and not second.ok
    assert clock.now() - began >= 30
    assert second.checks[0].final and "B was never started" in second.checks[0].observation
    assert runner.refusal("next") == "This step failed: r retries it, s skips it."
    assert await runner.next() is None

    retried = await runner.retry()
    assert retried is not None and not retried.ok
    assert runner.skip() == "Skipped: B never comes"
    assert runner.progress.next_index == 2 and not runner.progress.failed

    third = await runner.next()
    assert third is not None and not third.ok  # A alone is no mesh
    assert runner.skip() == "Skipped: Last"
    assert runner.finished
    skipped = [(e.index, e.title) for e in lab.emitted if isinstance(e, ev.StepSkipped)]
    assert skipped == [(1, "B never comes"), (2, "Last")]
    assert runner.refusal("next") == "The lesson is complete. q quits."


async def test_the_record_is_the_one_store_and_replays_from_the_events():
    from natslab.lessons.record import LessonRecord

    clock = ManualClock()
    lab = FakeLab(clock)
    runner = LessonRunner(LESSON, lab, clock)
    assert not await runner.run()
    assert lab.stopped  # a failed lesson stops what it started
    # The record the runner kept and one rebuilt from the emitted events agree.
    rebuilt = LessonRecord()
    for event in lab.emitted:
        rebuilt.apply(event)
    assert rebuilt.to_json() == runner.record.to_json()
    result = runner.record.to_json()
    assert result["ok"] is False and [s["ok"] for s in result["steps"]] == [True, False]
    assert result["steps"][0]["checks"][0]["check"] == "A is ready"
    kinds = [type(e).__name__ for e in lab.emitted]
    assert kinds[0] == "LessonStarted" and kinds[-1] == "LessonFinished"
    assert all(isinstance(e, ev.LessonEvent) for e in lab.emitted)
    assert all(re.fullmatch(r"[A-Z]\w+", k) for k in kinds)


HOLDING = Lesson.model_validate(
    {
        "id": "holding",
        "title": "Holding",
        "servers": ["A"],
        "steps": [
            {
                "title": "A stays up",
                "actions": [{"type": "start_server", "server": "A", "routes": []}],
                "checks": [{"type": "server_ready", "server": "A", "holds_for": 3}],
            }
        ],
    }
)


class CrashingClock(ManualClock):
    """A manual clock that makes server A crash once `at` is passed."""

    def __init__(self, lab_state: list[LabState], at: float) -> None:
        super().__init__()
        self.lab_state, self.crash_at = lab_state, self.time + at

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        state = self.lab_state[0]
        if self.time >= self.crash_at and state.servers["A"].up:
            state.apply(sev.ServerExited(server="A", at=self.time, returncode=2, expected=False))


async def test_a_held_claim_passes_only_after_holding_and_fails_when_it_breaks():
    steady = ManualClock()
    lab = FakeLab(steady)
    began = steady.now()
    held = await LessonRunner(HOLDING, lab, steady).run_step(0)
    assert held.ok and steady.now() - began >= 3
    assert held.checks[0].description == "A is ready, and stays so for 3 s"

    # Negative control: A crashes 1 s into the hold, so the claim "stays ready" is false.
    states: list[LabState] = []
    clock = CrashingClock(states, at=1.0)
    lab = FakeLab(clock)
    states.append(lab.state)
    broken = await LessonRunner(HOLDING, lab, clock).run_step(0)
    assert not broken.ok
    assert broken.checks[0].observation.startswith("held only 1.")
    assert "A is crashed" in broken.checks[0].observation


HANDS_ON = Lesson.model_validate(
    {
        "id": "hands-on",
        "title": "Hands on",
        "servers": ["A"],
        "steps": [
            {
                "title": "Start A",
                "actions": [{"type": "start_server", "server": "A", "routes": []}],
            },
            {
                "title": "Stop A yourself",
                "hands_on": True,
                "hint_after": 20,
                "actions": [{"type": "stop_server", "server": "A"}],
                "checks": [{"type": "server_stopped", "server": "A"}],
            },
        ],
    }
)


class LearnerClock(ManualClock):
    """A manual clock whose learner, `after` seconds into the wait, sends A a SIGINT
    from their own shell: A logs the trapped signal and exits 0, natslab asked nothing."""

    def __init__(self, after: float | None) -> None:
        super().__init__()
        self.after = after
        self.lab: FakeLab | None = None
        self.waiting_since: float | None = None

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        lab = self.lab
        if lab is None or self.after is None or not lab.state.servers["A"].up:
            return
        if any(isinstance(e, ev.HandsOnWaiting) for e in lab.emitted):
            self.waiting_since = self.waiting_since or self.time
            if self.time - self.waiting_since >= self.after:
                text = 'Trapped "interrupt" signal'
                lab.state.apply(
                    sev.SignalTrapped(
                        server="A", at=self.time, level="INF", text=text, signal="interrupt"
                    )
                )
                lab.state.apply(
                    sev.ServerExited(server="A", at=self.time, returncode=0, expected=False)
                )


async def hands_on_run(after: float | None, interactive: bool = True):
    clock = LearnerClock(after)
    lab = FakeLab(clock)
    clock.lab = lab
    runner = LessonRunner(HANDS_ON, lab, clock, interactive=interactive)
    assert (await runner.next()).ok
    return runner, lab, clock


async def test_a_hands_on_step_waits_for_the_learner_hints_and_recognises_their_stop():
    runner, lab, clock = await hands_on_run(after=30)
    began = clock.now()
    step = await runner.next()
    assert step is not None and step.ok
    assert clock.now() - began >= 30  # it waited for the learner, in manual time
    assert ops.StopServer(server="A") not in lab.performed  # natslab sent nothing
    waiting = next(e for e in lab.emitted if isinstance(e, ev.HandsOnWaiting))
    assert waiting.instruction == "Your turn: stop server A as Ctrl+C would (SIGINT)."
    assert waiting.commands[0] == "kill -INT 100  # StopServer"
    hints = [e for e in lab.emitted if isinstance(e, ev.HandsOnHint)]
    assert len(hints) == 1 and hints[0].at - waiting.at >= 20  # once, after hint_after
    assert step.actions[0].detail == (
        'You stopped A: it exited on the "interrupt" signal (exit code 0), and natslab sent '
        "nothing."
    )
    assert step.actions[0].hands_on == "learner"  # what a class room counts as done by hand


async def test_a_quick_learner_gets_no_hint_and_s_has_natslab_do_it():
    runner, lab, _ = await hands_on_run(after=1)
    await runner.next()
    assert not any(isinstance(e, ev.HandsOnHint) for e in lab.emitted)

    runner, lab, _ = await hands_on_run(after=None)  # a learner who never acts
    # s before the step has started skips nothing: the step is the learner's, and s does it
    # for them only once n has made it their turn (a skip would leave A running for good).
    turn = runner.refusal("skip")
    assert turn is not None and turn.startswith("This step is yours to do: n starts it")
    performed = list(lab.performed)
    assert runner.skip() is None and runner.progress.next_index == 1  # step 2 is still next
    assert lab.performed == performed
    task = asyncio.ensure_future(runner.next())
    await asyncio.wait_for(until_waiting(runner), 10)
    assert runner.refusal("skip") is None and runner.refusal("next") == "A step is still running."
    assert runner.skip() == "natslab does it for you."
    step = await task
    assert step is not None and step.ok
    assert lab.performed[-1] == ops.StopServer(server="A")
    assert step.actions[0].detail.startswith("natslab did it for you: stopped A with Ctrl+C")
    assert step.actions[0].hands_on == "natslab"


async def test_headless_and_auto_never_wait_for_a_person():
    runner, lab, clock = await hands_on_run(after=None, interactive=False)
    began = clock.now()
    step = await runner.next()
    assert step is not None and step.ok and clock.now() - began < 1
    assert lab.performed[-1] == ops.StopServer(server="A")
    assert not any(isinstance(e, ev.HandsOnWaiting) for e in lab.emitted)


START_A_ALONE = {"type": "start_server", "server": "A", "routes": []}
PACED = Lesson.model_validate(
    {
        "id": "paced",
        "title": "Paced",
        "servers": ["A"],
        "steps": [
            {"title": "Start A", "actions": [START_A_ALONE]},
            {"title": "Stop A", "actions": [{"type": "stop_server", "server": "A"}]},
            {"title": "A again", "actions": [START_A_ALONE]},
        ],
    }
)


async def test_a_paced_run_waits_between_steps_and_not_before_the_first():
    async def step_starts(pace: float) -> list[float]:
        clock = ManualClock()
        lab = FakeLab(clock)
        began = clock.now()
        assert await LessonRunner(PACED, lab, clock).run(pace)
        return [round(e.at - began, 3) for e in lab.emitted if isinstance(e, ev.StepStarted)]

    assert await step_starts(0) == [0, 0, 0]
    assert await step_starts(12) == [0, 12, 24]


async def until_waiting(runner: LessonRunner) -> None:
    """Until the runner waits for the learner (a manual clock: no time passes meanwhile)."""
    while not runner.waiting_for_learner:
        await asyncio.sleep(0)


def lifecycle(lab) -> list[tuple[str, object]]:
    return [(type(e).__name__, getattr(e, "ok", None)) for e in lab.emitted
            if isinstance(e, ev.LessonStarted | ev.LessonFinished)]  # fmt: skip


async def test_a_lesson_at_the_keys_starts_and_ends_once_as_a_headless_one_does():
    """The TUI's way (start, then n per step) records LessonStarted and LessonFinished as
    the headless run does: once each, finished only past the last step, ok only when every
    step's last run passed (a skipped step never ran its checks)."""
    one = Lesson.model_validate({**LESSON.model_dump(), "steps": [LESSON.model_dump()["steps"][0]]})
    clock = ManualClock()
    lab = FakeLab(clock)
    runner = LessonRunner(one, lab, clock, interactive=True)
    runner.start()
    runner.start()  # a second mount, say: still one start
    assert lifecycle(lab) == [("LessonStarted", None)]
    assert (await runner.next()).ok
    assert lifecycle(lab) == [("LessonStarted", None), ("LessonFinished", True)]
    assert runner.record.to_json()["ok"] is True

    clock = ManualClock()
    lab = FakeLab(clock)
    runner = LessonRunner(LESSON, lab, clock, interactive=True)
    runner.start()
    assert (await runner.next()).ok
    assert not (await runner.next()).ok  # B never comes: the manual clock runs out its wait
    assert lifecycle(lab) == [("LessonStarted", None)]  # a failed step is not the end
    runner.skip()
    runner.skip()
    finished = [e for e in lab.emitted if isinstance(e, ev.LessonFinished)]
    assert [(e.ok, e.failed_step) for e in finished] == [(False, 1)]
