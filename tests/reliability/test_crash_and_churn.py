"""A server crashing mid-step, and many start/stop and connect/disconnect cycles."""

import asyncio
import gc
import os
import signal

import psutil
import pytest

from natslab.cluster.spec import walkthrough_spec
from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons.model import Lesson
from natslab.lessons.runner import LessonRunner
from tests.helpers import async_wait_until

CRASHING = {
    "id": "crash",
    "title": "A server dies under a check",
    "servers": ["A", "B"],
    "steps": [
        {
            "title": "Mesh, then wait on a client that cannot come",
            "actions": [
                {"type": "start_server", "server": "A"},
                {"type": "start_server", "server": "B"},
            ],
            "checks": [
                {"type": "route_mesh", "servers": ["A", "B"], "timeout": 20},
                # Far longer than the test may take: only failing early, on A's death, ends it.
                {"type": "log_contains", "server": "A", "pattern": "never logged", "timeout": 180},
            ],
        }
    ],
}


async def test_a_server_killed_mid_step_fails_the_check_and_spares_the_rest(offset):
    session = open_lab(settings=RunSettings(offset=offset))
    session.start_polling(0.1)
    runner = LessonRunner(Lesson.model_validate(CRASHING), session.source)
    try:
        step = asyncio.create_task(runner.run_step(0))
        # The mesh check has passed and the log check waits, for a line that never comes.
        await async_wait_until(
            lambda: 0 in runner.record.steps and len(runner.record.steps[0].checks) == 2, 30
        )
        pid = session.state.servers["A"].pid
        assert pid
        os.kill(pid, signal.SIGKILL)  # from outside natslab, as a crash would come
        result = await asyncio.wait_for(step, 60)
        assert not result.ok
        (failed,) = [c for c in result.checks if c.final and not c.ok]
        assert failed.description.startswith("A's log shows")
        assert failed.observation.endswith("A stopped while the check waited (SIGKILL)"), failed
        assert session.source.supervisor.is_running("B")
        assert (await session.source.supervisor.status("B")).up
    finally:
        await session.close()


def resources() -> tuple[int, int, int]:
    me = psutil.Process()
    gc.collect()
    return me.num_fds(), len(asyncio.all_tasks()), me.memory_info().rss


@pytest.mark.slow
async def test_churn_leaves_descriptors_tasks_and_memory_flat(offset):
    session = open_lab()
    try:
        spec = walkthrough_spec("A", offset, route_to=(), log_flags=())
        await session.source.supervisor.start(spec)
        await session.source.supervisor.stop("A")
        fds0, tasks0, rss0 = resources()
        for _ in range(200):
            await session.source.supervisor.start(spec)
            await session.source.supervisor.stop("A")
        fds1, tasks1, rss1 = resources()
        assert fds1 <= fds0 + 2 and tasks1 <= tasks0
        assert rss1 - rss0 < 30 * 2**20, (rss0, rss1)

        await session.source.supervisor.start(spec)
        url = session.source.client_url("A")
        await session.source.fleet.start_subscribers(50, [url])
        await session.source.fleet.stop()
        fds2, tasks2, rss2 = resources()
        for _ in range(100):
            await session.source.fleet.start_subscribers(50, [url])
            await session.source.fleet.stop()
        fds3, tasks3, rss3 = resources()
        assert fds3 <= fds2 + 2 and tasks3 <= tasks2 + 1
        assert rss3 - rss2 < 60 * 2**20, (rss2, rss3)
    finally:
        await session.close()
