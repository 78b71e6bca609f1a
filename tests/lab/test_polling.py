"""PollPacer: brisk while the lab changes, slow while it is idle, brisk again on news."""

import asyncio
import itertools

from natslab.clients import events as cev
from natslab.cluster import events as sev
from natslab.lab.polling import PollPacer
from natslab.state import LabState


async def test_polls_slow_down_when_nothing_changes_and_speed_up_on_an_event():
    state = LabState()
    loop = asyncio.get_running_loop()
    times: list[float] = []
    reached = {n: asyncio.Event() for n in (6, 8, 9, 11)}

    async def poll() -> None:
        times.append(loop.time())
        if len(times) == 2:
            state.revision += 1  # something changed: the quiet count starts again
        for n, event in reached.items():
            if len(times) >= n:
                event.set()

    pacer = PollPacer(state, poll, interval=0.01, idle_interval=0.5, quiet_rounds=3)
    task = asyncio.create_task(pacer.run())
    try:
        await asyncio.wait_for(reached[8].wait(), 5)
        gaps = [b - a for a, b in itertools.pairwise(times)]
        # Round 2 changed the state, so rounds 3-5 are the three quiet ones that follow it
        # (without the change, the lab would have been idle after round 3); then idle.
        assert all(gap < 0.25 for gap in gaps[:4]), gaps
        assert all(gap >= 0.49 for gap in gaps[4:7]), gaps
        # Background traffic does not count as news...
        pacer(sev.LogLines(server="A", lines=("x",)))
        pacer(cev.MessageCounts(client="sub-1", received=1))
        await asyncio.wait_for(reached[9].wait(), 5)
        assert times[8] - times[7] >= 0.49
        # ...an event does, at once.
        woken = loop.time()
        pacer(cev.ClientDisconnected(client="sub-1", url="x:1"))
        await asyncio.wait_for(reached[11].wait(), 5)
        assert times[9] - woken < 0.25 and times[10] - times[9] < 0.25, times
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_without_an_idle_interval_the_pace_never_changes():
    state = LabState()
    loop = asyncio.get_running_loop()
    times: list[float] = []
    done = asyncio.Event()

    async def poll() -> None:
        times.append(loop.time())
        if len(times) == 12:
            done.set()

    task = asyncio.create_task(PollPacer(state, poll, interval=0.01, quiet_rounds=2).run())
    try:
        await asyncio.wait_for(done.wait(), 5)
        assert max(b - a for a, b in itertools.pairwise(times)) < 0.25
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
