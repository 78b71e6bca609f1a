"""The runner against a fake Lab and a manual clock: progress and verdicts without real time."""

import re

from natslab.clock import ManualClock
from natslab.cluster import events as sev
from natslab.cluster.ports import ServerPorts, ports_for
from natslab.lab import operations as ops
from natslab.lab.logs import LogStore
from natslab.lab.settings import RunSettings
from natslab.lessons import events as ev
from natslab.lessons.model import Lesson
from natslab.lessons.runner import LessonRunner
from natslab.state import LabState

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

    async def perform(self, op: ops.Operation) -> ops.Done:
        self.performed.append(op)
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
    assert runner.skip() == "B never comes"
    assert runner.progress.next_index == 2 and not runner.progress.failed

    third = await runner.next()
    assert third is not None and not third.ok  # A alone is no mesh
    assert runner.skip() == "Last"
    assert runner.finished
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
