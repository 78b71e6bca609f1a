"""Monitoring JSON captured from a real 2.15.1 three-server mesh."""

import json
from pathlib import Path

import pytest

from natslab.cluster.snapshot import connections, route_peers

DATA = Path(__file__).parent.parent / "data"


def test_route_peers_are_counted_by_remote_id_not_by_connection():
    routez = json.loads((DATA / "routez-A-2.15.1.json").read_text())
    assert len(routez["routes"]) == 8  # a pool of connections per peer in 2.10+
    peers = route_peers(routez)
    assert [p.name for p in peers] == ["B", "C"]
    assert all(p.connections == 4 for p in peers)
    assert len({p.server_id for p in peers}) == 2


def test_connections_carry_name_ip_port():
    (conn,) = connections(json.loads((DATA / "connz-A-2.15.1.json").read_text()))
    assert conn.name == "sub-1" and conn.ip == "127.0.0.1" and conn.port > 0
    assert conn.lang == "python3"


def test_empty_documents():
    assert route_peers({"routes": None}) == ()
    assert connections({}) == ()


async def test_connz_is_read_again_only_when_varz_shows_a_client_came_or_went(supervisor, offset):
    """The idle saving (issue 18), against a real server: /connz is skipped while /varz's
    connection counts stand still, and never for a list holding a nameless connection."""
    import asyncio
    import time

    import nats

    from natslab.cluster.spec import walkthrough_spec

    spec = walkthrough_spec("A", offset, route_to=())
    await supervisor.start(spec)
    monitor = supervisor.monitor
    url = f"http://127.0.0.1:{spec.ports.monitor}"

    async def poll():
        before = monitor.connz_fetches
        status = await monitor.poll("A", url, None)
        return monitor.connz_fetches - before, sorted(c.name for c in status.connections)

    await poll()
    assert await poll() == (0, [])
    client = await nats.connect(f"nats://127.0.0.1:{spec.ports.client}", name="x")
    try:
        assert await poll() == (1, ["x"])
        assert await poll() == (0, ["x"])
        # A connection that never sends CONNECT stays nameless: read every round.
        reader, raw = await asyncio.open_connection("127.0.0.1", spec.ports.client)
        # The server sends INFO once it has counted the connection (server.go createClientEx).
        assert (await reader.readline()).startswith(b"INFO ")
        assert await poll() == (1, ["", "x"])
        assert await poll() == (1, ["", "x"])
        raw.close()
    finally:
        await client.close()
    deadline = time.monotonic() + 10
    while (polled := await poll())[1]:  # the server notices the closes as they come
        assert polled[0] == 1
        assert time.monotonic() < deadline, f"the closes never showed in /connz: {polled}"
    # That round read /varz before /connz, so its counts may predate the last close: the
    # next round then sees them change and reads /connz once more. After that, none.
    if (settled := await poll())[0]:
        settled = await poll()
    assert settled == (0, [])
    assert await poll() == (0, [])


async def test_the_lab_reads_every_page_of_connz(supervisor, offset):
    """A lab server with more clients than one /connz page holds shows them all: the lab
    read one page of 1,024 before, and dropped the rest without a word."""
    import asyncio

    import nats

    from natslab.cluster.snapshot import CONNZ_PAGE
    from natslab.cluster.spec import walkthrough_spec

    many = CONNZ_PAGE + 76
    spec = walkthrough_spec("A", offset, route_to=())
    await supervisor.start(spec)
    url = f"nats://127.0.0.1:{spec.ports.client}"
    clients = []
    try:
        for start in range(0, many, 100):  # in batches: a thousand at once floods the accept
            clients += await asyncio.gather(
                *(nats.connect(url, name=f"c{n}") for n in range(start, min(start + 100, many)))
            )
        monitor = supervisor.monitor
        status = await monitor.poll("A", f"http://127.0.0.1:{spec.ports.monitor}", None)
        assert len(status.connections) == many
        assert {c.name for c in status.connections} == {f"c{n}" for n in range(many)}
    finally:
        await asyncio.gather(*(c.close() for c in clients))


@pytest.mark.slow
async def test_the_lab_reads_through_the_watch_s_guarded_reader():
    """One monitoring reader for both (issue 27): a redirect or an answer over 32 MiB is
    refused in a sentence by the lab's monitor too, not followed or parsed."""
    from natslab.cluster.monitor import Monitor
    from tests.test_watch import Impostor

    impostor, monitor = Impostor(), Monitor(timeout=10)
    try:
        moved = await monitor.poll("A", f"http://127.0.0.1:{impostor.port}/moved", None)
        huge = await monitor.poll("A", f"http://127.0.0.1:{impostor.port}/huge", None)
    finally:
        await monitor.aclose()
        impostor.close()
    assert not moved.up and "redirects to http://127.0.0.1:1/elsewhere" in moved.error
    assert not huge.up and "sent more than 32 MiB" in huge.error
