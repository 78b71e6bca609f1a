"""The runner in-process: events in order, retry re-checks, stopping midway cleans up."""

import asyncio

import psutil

from natslab.cluster.spec import walkthrough_spec
from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons import catalog
from natslab.lessons import events as ev
from natslab.lessons.model import Lesson
from natslab.lessons.runner import LessonRunner
from tests.helpers import async_wait_until

LESSON = {
    "id": "two-steps",
    "title": "Two steps",
    "servers": ["A", "B"],
    "steps": [
        {
            "title": "A and a client",
            "actions": [
                {"type": "start_server", "server": "A"},
                {"type": "start_clients", "count": 2, "seeds": ["A"]},
            ],
            "checks": [
                {"type": "server_ready", "server": "A"},
                {"type": "client_on", "servers": ["B"], "timeout": 0.5},
            ],
        },
        {
            "title": "B",
            "actions": [{"type": "start_server", "server": "B"}, {"type": "pause", "seconds": 30}],
        },
    ],
}


async def test_retry_rechecks_without_repeating_actions(offset):
    session = open_lab(settings=RunSettings(offset=offset))
    seen = []
    session.bus.subscribe(lambda e: seen.append(e) if isinstance(e, ev.LessonEvent) else None)
    session.start_polling(0.1)
    runner = LessonRunner(Lesson.model_validate(LESSON), session.source)
    try:
        first = await runner.run_step(0)
        assert not first.ok
        assert [c.ok for c in first.checks] == [True, False]
        assert first.checks[1].observation.startswith("sub-1 is on A; expected B")

        # The learner fixes the situation by hand, then retries: no second server A,
        # no extra clients, and the check now passes.
        await session.source.supervisor.start(walkthrough_spec("B", offset))
        await session.source.fleet.stop()
        await session.source.fleet.start_subscribers(2, [session.source.client_url("B")])
        again = await runner.retry_step(0)
        assert again.ok
        assert len(session.source.fleet.clients) == 2
        kinds = [type(e).__name__ for e in seen]
        assert kinds.count("ActionDone") == 2  # from the first run only
        assert kinds[-1] == "StepFinished"
    finally:
        await session.close()


async def test_stopping_midway_stops_everything_the_lesson_started(offset):
    session = open_lab(settings=RunSettings(offset=offset))
    lesson = Lesson.model_validate(
        {**LESSON, "steps": [LESSON["steps"][1] | {"title": "B then a long pause"}]}
    )
    runner = LessonRunner(lesson, session.source)
    task = asyncio.create_task(runner.run())
    try:
        await async_wait_until(lambda: session.source.supervisor.is_running("B"), 10)
        pid = session.source.supervisor.processes["B"].pid
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        assert not session.source.supervisor.running()
        assert not psutil.pid_exists(pid)
    finally:
        await session.close()


async def test_a_checked_healthz_is_shown_with_this_runs_port(offset):
    """A walkthrough's `curl .../healthz` stood behind a check, not an action, and had no
    "this run" line: it named port 8222 where A's was another (from a learner's walk)."""
    lesson = catalog.load("quorum-loss")
    session = open_lab(settings=RunSettings(offset=offset))
    seen: list[ev.StepPreviewed] = []
    session.bus.subscribe(lambda e: seen.append(e) if isinstance(e, ev.StepPreviewed) else None)
    runner = LessonRunner(lesson, session.source)
    try:
        step = lesson.steps[1]
        assert "curl http://localhost:8222/healthz" in step.commands
        assert not any(a.type == "wait_healthz" for a in step.actions)  # only a check reads it
        runner.progress.next_index = 1
        runner.preview()
        monitor = session.source.ports("A").monitor
        assert seen and f"curl http://127.0.0.1:{monitor}/healthz" in seen[-1].here, seen
    finally:
        await session.close()


async def test_a_read_both_done_and_checked_is_shown_once(offset):
    lesson = catalog.load("lame-duck")
    index = next(
        n for n, s in enumerate(lesson.steps)
        if "wait_healthz" in {a.type for a in s.actions} and "healthz" in {c.type for c in s.checks}
    )  # fmt: skip
    session = open_lab(settings=RunSettings(offset=offset))
    seen: list[ev.StepPreviewed] = []
    session.bus.subscribe(lambda e: seen.append(e) if isinstance(e, ev.StepPreviewed) else None)
    runner = LessonRunner(lesson, session.source)
    try:
        runner.progress.next_index = index
        runner.preview()
        curls = [line for line in seen[-1].here if line.endswith("/healthz")]
        assert len(curls) == 1, seen[-1].here
    finally:
        await session.close()
