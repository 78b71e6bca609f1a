"""A room on a three-server NATS cluster (operator mode, JWT users, loopback): the room's
stream replicated three times, three participants each on a different server and the board on
the third; one server SIGKILLed mid-lesson loses nothing and stops nobody."""

import asyncio
import json

import nats
import pytest

from natslab.room.instructor.feed import RoomFeed
from natslab.room.instructor.stream import read_room
from natslab.room.names import stream_name
from tests.deployment import Deployment
from tests.helpers import offsets_apart
from tests.test_class import lesson_events_sent, natslab_in
from tests.test_class_deployment import scoped

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster(tmp_path):
    company = Deployment(tmp_path / "cluster")
    company.start(size=3)
    try:
        yield company
    finally:
        company.stop()


async def until(predicate, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.mark.timeout(400)  # three lessons and a cluster's elections, on a loaded machine
@pytest.mark.slow(seconds=30)
async def test_a_room_on_a_cluster_loses_nothing_when_a_server_dies(cluster, tmp_path, state_dir):
    instructor = cluster.creds("instructor")
    await cluster.jetstream_ready(instructor)
    servers = ",".join([cluster.urls[2], cluster.urls[0], cluster.urls[1]])  # the board: s2
    started = await asyncio.to_thread(natslab_in, state_dir, "class", "start", "demo",
                                      "--server", servers, "--creds", str(instructor))  # fmt: skip
    assert started.returncode == 0, started.stderr
    assert "Any of these lines will do" in started.stdout
    nc = await nats.connect(cluster.urls, user_credentials=str(instructor))
    info = await nc.jetstream(timeout=15).stream_info(stream_name("demo"))
    await nc.close()
    assert info.config.num_replicas == 3
    names = ["ana", "ben", "cy"]
    for name, port in zip(names, cluster.ports, strict=True):
        joined = await asyncio.to_thread(
            natslab_in, tmp_path / name, "class", "join", f"nats://127.0.0.1:{port}/demo",
            "--name", name, "--creds", str(scoped(cluster, "demo", name)),
        )  # fmt: skip
        assert joined.returncode == 0, joined.stderr
    feed = RoomFeed("demo")
    await feed.start()
    try:
        lesson = ("tutorial", "herd", "--headless", "--answers", "1", "--port-offset")
        offsets = offsets_apart(len(names), "ABC")  # three lessons at once: blocks apart
        runs = asyncio.gather(*(
            asyncio.to_thread(natslab_in, tmp_path / name, *lesson, str(offset))
            for name, offset in zip(names, offsets, strict=True)
        ))  # fmt: skip
        ana = lambda: feed.state.participants.get("ana")  # noqa: E731
        await until(lambda: ana() is not None and ana().step is not None, 180, "ana's lesson")
        cluster.processes[0].kill()  # ana's server, mid-lesson
        for name, run in zip(names, await runs, strict=True):
            assert run.returncode == 0, run.stdout + run.stderr
            assert "Traceback" not in run.stderr, run.stderr
            if "Class: room demo: live." not in run.stdout:
                # The stream's leader was still being elected when the lesson ended: what
                # waits is in the outbox, and goes now (or with the next lesson).
                assert "waiting" in run.stdout, run.stdout
                sent_now = await asyncio.to_thread(natslab_in, tmp_path / name, "class", "send")
                assert sent_now.returncode == 0 and "room demo: live" in sent_now.stdout, (
                    sent_now.stdout + sent_now.stderr
                )
        sent = {name: lesson_events_sent(tmp_path / name) for name in names}
        await until(lambda: feed.state.events == sum(sent.values()) + len(names), 30,
                    "every event on the board (and each one's Joined)")  # fmt: skip
    finally:
        await feed.close()
    stored = await read_room("demo")
    ids = [item.record["id"] for item in stored]
    assert len(ids) == len(set(ids))  # none doubled
    got = {name: sum(1 for item in stored if item.record["participant"] == name
                     and item.record["type"] != "Joined") for name in names}  # fmt: skip
    assert got == sent, json.dumps({"got": got, "sent": sent})  # none lost


def test_the_rooms_servers_learned_in_a_run_are_tried_by_the_next(tmp_path):
    """`class send` after a lesson whose room server died knew only that server's address
    and found the room unreachable (seen under load in CI): what a run's connection learned
    of the room's cluster is kept beside the outbox, for that room at that address only."""
    from natslab.room.participant.membership import Membership
    from natslab.room.participant.uplink import Uplink, remember_servers

    ana = Membership("nats://127.0.0.1:4222", "demo", "ana", "")
    outbox = tmp_path / "outbox.jsonl"
    assert Uplink(ana, "run-1", outbox)._known == [ana.url]
    learned = [ana.url, "nats://127.0.0.1:4333", "nats://127.0.0.1:4444"]
    remember_servers(outbox, ana, learned)
    assert Uplink(ana, "send", outbox)._known == learned
    # Another room at the same address, or the room at another: not theirs to try.
    for other in (Membership(ana.url, "other", "ana", ""),
                  Membership("nats://127.0.0.1:5222", "demo", "ana", "")):  # fmt: skip
        assert Uplink(other, "send", outbox)._known == [other.url]
    (tmp_path / "room-servers.json").write_text("not json")
    assert Uplink(ana, "send", outbox)._known == [ana.url]
