"""nats-py catches CancelledError in some awaits (`Client._flush_pending` on the publish
path, `Client._close` waiting for its reconnection task). A loop of natslab's around nats-py
calls must still end when cancelled: the watch's rounds and the class room's uplink.

The swallowing is nats-py's, and it cannot be made to happen on demand with a real server
(the cancel has to land in one of those awaits), so these stand-ins do what it does there."""

from __future__ import annotations

import asyncio
from pathlib import Path

from natslab.room.participant.membership import Membership
from natslab.room.participant.uplink import Uplink
from natslab.watch.runner import Watch


class Swallower:
    """A stand-in for a nats-py await that catches the cancel landing in it."""

    def __init__(self) -> None:
        self.inside = asyncio.Event()
        self.swallow = True

    async def wait(self) -> None:
        self.inside.set()
        try:
            await asyncio.sleep(0.2)
        except asyncio.CancelledError:
            if not self.swallow:
                raise


async def ends_when_cancelled(task: asyncio.Task[object], swallower: Swallower) -> bool:
    """Cancel `task` inside the swallowing await; whether it then ends (within 10 s)."""
    await asyncio.wait_for(swallower.inside.wait(), 10)
    task.cancel()
    try:
        await asyncio.wait({task}, timeout=10)
        return task.done()
    finally:
        swallower.swallow = False  # a failed test must not leave a task nobody can stop
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_the_uplink_stops_though_connect_swallowed_the_cancel(tmp_path: Path, monkeypatch):
    """A lesson run in a class whose room is away: at its end the uplink is cancelled while
    it tries to connect. Once, the run then never ended (nats-py's close swallowed it)."""
    swallower = Swallower()

    async def connect(*args: object, **kwargs: object) -> object:
        await swallower.wait()
        raise ConnectionError("nats: no servers available for connection")

    monkeypatch.setattr("natslab.room.participant.uplink.connect", connect)
    member = Membership(url="nats://127.0.0.1:1", room="demo", name="bob", seed="")
    uplink = Uplink(member, "run-1", tmp_path / "outbox.jsonl")
    uplink.start()
    assert uplink._task is not None
    assert await ends_when_cancelled(uplink._task, swallower), "the uplink went on connecting"


class SwallowingRounds:
    """A watch's rounds whose asking swallows a cancel, as nats-py's request can."""

    def __init__(self, swallower: Swallower) -> None:
        self.swallower = swallower

    def describe(self) -> str:
        return "rounds that swallow a cancel"

    async def open(self) -> None:
        return None

    async def round(self) -> list[object]:
        await self.swallower.wait()
        return []

    def waiting(self, unreachable: dict[str, str]) -> str:
        return ""

    async def aclose(self) -> None:
        return None


async def test_a_watch_stops_though_a_round_swallowed_the_cancel():
    """Ctrl+C on a watch through the system account once went unheard: it asked on until
    the lifecycle's watchdog left with 130."""
    swallower = Swallower()
    watch = Watch(SwallowingRounds(swallower), interval=0.01)  # type: ignore[arg-type]
    running = asyncio.create_task(watch.run())
    assert await ends_when_cancelled(running, swallower), "the watch went on asking"
    assert watch.rounds == 1  # it ended after the round the cancel landed in


async def test_a_ledger_stops_publishing_though_a_publish_swallowed_the_cancel():
    """The ledger paused (stop_publisher) in the middle of a publish: nats-py turned the
    cancel into its own timeout, the loop counted a failed publish and published on, and
    a test counting what came after the pause found two more acknowledged."""
    from natslab.clients.ledger import LedgerPublisher

    swallower = Swallower()

    class SwallowingJetStream:
        async def publish(self, *args: object, **kwargs: object) -> object:
            await swallower.wait()
            raise TimeoutError("nats: timeout")

    ledger = LedgerPublisher("ledger", ["nats://127.0.0.1:1"], emit=lambda event: None)
    ledger.js = SwallowingJetStream()  # type: ignore[assignment]
    ledger._in_background(ledger._publish_steadily(), "ledger")
    assert ledger._task is not None
    assert await ends_when_cancelled(ledger._task, swallower), "the ledger published on"
