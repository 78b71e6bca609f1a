"""Link proxies on real servers: every route of a linked lab goes through them, a cut
partitions a pair (routes and messages) and holds while gossip would heal it, a heal
restores it, a delay slows a request across the link, and a black hole keeps connections
open and carries nothing until the servers' pings call them stale."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import nats
import psutil
import pytest
from pydantic import TypeAdapter

from natslab.cluster.ports import find_free_offset, is_free, run_ports
from natslab.errors import ServerStateError
from natslab.lab import operations as ops
from natslab.lab.local import LabSession, LocalServers, open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons import checks
from natslab.lessons import model as m
from natslab.lessons.lab_protocol import CheckContext
from tests.helpers import async_wait_until

# Route pings every 2 s, stale after 2 unanswered (client.go processPingTimer): a black
# hole is found no sooner than 2 intervals after it opens, 4 s.
PING_INTERVAL, PING_MAX = 2.0, 2
PINGS = f'cluster {{\n  ping_interval: "{PING_INTERVAL:g}s"\n  ping_max: {PING_MAX}\n}}\n'


@pytest.fixture
def link_offset() -> int:
    """An offset at which A, B, C and their link proxies are all free."""
    return find_free_offset("ABC", links=True)


async def start_linked(session: LabSession) -> None:
    for name in "ABC":
        await session.source.perform(ops.StartServer(server=name, config=PINGS))
    await session.source.perform(ops.WaitMesh(servers=("A", "B", "C")))


@pytest.fixture
async def lab(link_offset: int) -> AsyncIterator[LabSession]:
    """A, B, C routed through link proxies (each to A and B, the walkthrough's way: a full
    mesh of three), route pings every 2 s."""
    session = open_lab(settings=RunSettings(offset=link_offset, links=True))
    session.start_polling(interval=0.2)
    try:
        await start_linked(session)
        yield session
    finally:
        await session.close()


def verdict(session: LabSession, kind: str, **fields) -> checks.Verdict:
    item = TypeAdapter(m.Check).validate_python({"type": kind, **fields})
    return checks.evaluate(item, CheckContext(session.source), time.time())


def peers_are(session: LabSession, server: str, peers: str) -> bool:
    return verdict(session, "route_peers", server=server, peers=list(peers)).ok


def direct_routes(lab: LocalServers) -> list[str]:
    """Every connection a server holds to another server's cluster port: a route that went
    around the link proxies (a proxied one ends at a proxy's port)."""
    supervisor = lab.supervisor
    cluster = {spec.ports.cluster: name for name, spec in supervisor.specs.items()}
    found = []
    for name, proc in supervisor.processes.items():
        if not proc.running or proc.pid is None:
            continue
        for conn in psutil.Process(proc.pid).net_connections(kind="tcp"):
            far = cluster.get(conn.raddr.port) if conn.raddr else None
            if conn.status == psutil.CONN_ESTABLISHED and far not in (None, name):
                found.append(f"{name}->{far}")
    return found


class Inbox:
    """A real nats-py subscriber on one server, keeping what it got."""

    def __init__(self) -> None:
        self.got: list[bytes] = []

    async def open(self, url: str, subject: str) -> nats.NATS:
        conn = await nats.connect(url, max_reconnect_attempts=0)

        async def keep(msg) -> None:
            self.got.append(msg.data)

        await conn.subscribe(subject, cb=keep)
        await conn.flush()
        return conn


async def test_every_route_goes_through_a_link_proxy_and_an_unlinked_lab_would_not(lab):
    src = lab.source
    links = src.supervisor.links
    assert links is not None
    # A pool of 3 plus the system account's pinned route: 4 connections a pair (opts.go
    # setBaselineOptions), each through one of the pair's two proxies.
    for a, b in (("A", "B"), ("A", "C"), ("B", "C")):
        await async_wait_until(
            lambda a=a, b=b: sum(p.connections for p in links.between(a, b)) == 4,
            10,
            what=lambda a=a, b=b: f"4 connections through the links of {a} and {b}",
        )
    assert direct_routes(src) == []
    assert links.sink.dials == 0
    spec = src.supervisor.specs["C"]
    assert f"--cluster_advertise localhost:{links.sink.port}" in spec.added_command()

    # Running but wrong: the same three servers, not linked, route directly (the census
    # sees them, so an empty one above is a finding).
    plain = open_lab(settings=RunSettings(offset=find_free_offset("ABC")))
    try:
        for name in "ABC":
            await plain.source.perform(ops.StartServer(server=name))
        await plain.source.perform(ops.WaitMesh(servers=("A", "B", "C")))
        # 4 a pair, each seen at its dialer's end (the other end's far port is ephemeral).
        await async_wait_until(
            lambda: len(direct_routes(plain.source)) == 12,
            10,
            what=lambda: f"12 direct route connections: {direct_routes(plain.source)}",
        )
    finally:
        await plain.close()


async def test_a_cut_partitions_the_pair_and_a_heal_restores_it(lab):
    src = lab.source
    on_b, on_c = Inbox(), Inbox()
    b = await on_b.open(src.client_url("B"), "orders.>")
    c = await on_c.open(src.client_url("C"), "orders.>")
    a = await nats.connect(src.client_url("A"), max_reconnect_attempts=0)
    try:
        # Before: A's messages reach B (the interest crossed A-B).
        async def reaches_b() -> bool:
            await a.publish("orders.before", b"0")
            return b"0" in on_b.got

        await async_wait_until(reaches_b, 10, 0.1, what="A's message on B before the cut")
        palette = [e.title for e in src.operator.palette(lab.state)]
        assert {"Cut the link A↔B", "Black-hole the link B↔C"} <= set(palette)
        # The first route carries messages before the pool's other three are up.
        links = src.supervisor.links
        assert links is not None
        await async_wait_until(
            lambda: sum(p.connections for p in links.between("A", "B")) == 4,
            10,
            what="the pool of A and B complete: 4 route connections",
        )

        done = await src.perform(ops.CutLink(servers=("A", "B")))
        assert "4 route connections closed" in done.detail
        assert "(127.0.0.1:" in done.command and "refuse new ones" in done.command
        await async_wait_until(
            lambda: peers_are(lab, "A", "C") and peers_are(lab, "B", "C"),
            10,
            what=lambda: verdict(lab, "route_peers", server="A", peers=["C"]).observation,
        )
        # Running but wrong, for the other links: the cut is of A-B alone.
        assert peers_are(lab, "C", "AB")
        palette = [e.title for e in src.operator.palette(lab.state)]
        assert "Heal the link A↔B (now cut)" in palette and "Cut the link A↔B" not in palette

        sent = [str(n).encode() for n in range(1, 51)]
        for body in sent:
            await a.publish("orders.during", body)
        await a.flush()
        # C has them all (A-C carries), so each one was routed by now: none is B's.
        await async_wait_until(lambda: set(sent) <= set(on_c.got), 10, what="C got all 50")

        done = await src.perform(ops.HealLink(servers=("A", "B")))
        assert "it was: cut" in done.detail
        await async_wait_until(lambda: peers_are(lab, "A", "BC"), 15, what="A routes to B")

        async def marker_on_b() -> bool:
            await a.publish("orders.after", b"healed")
            return b"healed" in on_b.got

        await async_wait_until(marker_on_b, 10, 0.1, what="A's message on B after the heal")
        # A message does not go around a cut (client.go processMsgResults: what came in
        # on a route is not sent on to another route), and NATS keeps none for later.
        assert not set(sent) & set(on_b.got)
    finally:
        for conn in (a, b, c):
            await conn.close()


async def test_a_cut_holds_while_another_server_restarts(lab):
    """Gossip: C's new routes tell A about B (route.go forwardNewRouteInfoToKnownServers),
    and A would dial B's advertised address around the proxies. It advertises the sink,
    which A takes for itself, so nothing is dialed and the cut holds."""
    src = lab.source
    await src.perform(ops.CutLink(servers=("A", "B")))
    await async_wait_until(lambda: peers_are(lab, "A", "C"), 10, what="A cut from B")

    await src.perform(ops.RestartServer(server="C"))
    await src.perform(ops.WaitMesh(servers=("A", "C")))
    await src.perform(ops.WaitMesh(servers=("B", "C")))
    # Gossip is dialed the moment C's routes register: it has had its chance. A claim
    # that the partition *stays*, checked every poll for 3 s.
    held_until = time.monotonic() + 3
    while time.monotonic() < held_until:
        assert peers_are(lab, "A", "C") and peers_are(lab, "B", "C"), verdict(
            lab, "route_peers", server="A", peers=["C"]
        ).observation
        assert direct_routes(src) == []
        await asyncio.sleep(0.2)
    assert src.supervisor.links is not None and src.supervisor.links.sink.dials == 0


async def test_a_delay_slows_a_request_across_the_link(lab):
    src = lab.source
    a = await nats.connect(src.client_url("A"), max_reconnect_attempts=0)
    b = await nats.connect(src.client_url("B"), max_reconnect_attempts=0)
    try:

        async def echo(msg) -> None:
            await msg.respond(msg.data)

        await b.subscribe("echo", cb=echo)
        await b.flush()

        async def answered() -> bool:
            try:
                await a.request("echo", b"x", timeout=1)
            except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
                return False
            return True

        await async_wait_until(answered, 10, 0.1, what="B's echo answering A")

        ms, jitter = 300, 100
        done = await src.perform(ops.DelayLink(servers=("A", "B"), ms=ms, jitter_ms=jitter))
        assert "delayed 300 ms + up to 100 ms" in done.detail
        for _ in range(5):
            started = time.monotonic()
            await a.request("echo", b"x", timeout=10)
            # There and back, each way at least the delay (the jitter only adds).
            assert time.monotonic() - started >= 2 * ms / 1000
    finally:
        await a.close()
        await b.close()


@pytest.mark.slow
async def test_a_black_hole_keeps_connections_and_carries_nothing_until_stale(lab):
    src = lab.source
    links = src.supervisor.links
    assert links is not None
    on_b = Inbox()
    b = await on_b.open(src.client_url("B"), "orders.>")
    a = await nats.connect(src.client_url("A"), max_reconnect_attempts=0)
    try:

        async def reaches_b() -> bool:
            await a.publish("orders.before", b"0")
            return b"0" in on_b.got

        await async_wait_until(reaches_b, 10, 0.1, what="A's message on B before the hole")

        # The route pool (4 connections each way) may still be filling: count it whole.
        await async_wait_until(
            lambda: sum(p.connections for p in links.between("A", "B")) == 4, 30,
            what="A and B's route pool complete",
        )  # fmt: skip
        opened = time.monotonic()
        done = await src.perform(ops.BlackholeLink(servers=("A", "B")))
        assert "holds 4 route connections open" in done.detail
        # Kept: no ping can have gone unanswered PING_MAX times yet, so the route is there.
        assert sum(p.connections for p in links.between("A", "B")) == 4
        assert "B" in (await src.supervisor.status("A")).peer_names
        for n in range(1, 21):
            await a.publish("orders.during", str(n).encode())
        await a.flush()

        await async_wait_until(
            lambda: peers_are(lab, "A", "C") and peers_are(lab, "B", "C"),
            30,
            what="the black-holed route declared stale on both sides",
        )
        stale_after = time.monotonic() - opened
        # The first unanswered ping goes out at most an interval after the hole opens, the
        # connection closes when one more would exceed ping_max (client.go processPingTimer).
        assert stale_after >= PING_MAX * PING_INTERVAL - 0.25, stale_after
        said = "\n".join(src.logs.lines("A") + src.logs.lines("B"))
        assert "Router connection closed: Stale Connection" in said

        await src.perform(ops.HealLink(servers=("A", "B")))
        await async_wait_until(lambda: peers_are(lab, "A", "BC"), 15, what="A routes to B")

        async def marker_on_b() -> bool:
            await a.publish("orders.after", b"healed")
            return b"healed" in on_b.got

        await async_wait_until(marker_on_b, 10, 0.1, what="A's message on B after the heal")
        assert not [body for body in on_b.got if body not in (b"0", b"healed")]
    finally:
        await a.close()
        await b.close()


async def test_a_heal_before_the_pings_give_up_delivers_what_the_hole_held(lab):
    src = lab.source
    links = src.supervisor.links
    assert links is not None
    on_b = Inbox()
    b = await on_b.open(src.client_url("B"), "orders.>")
    a = await nats.connect(src.client_url("A"), max_reconnect_attempts=0)
    try:

        async def reaches_b() -> bool:
            await a.publish("orders.before", b"0")
            return b"0" in on_b.got

        await async_wait_until(reaches_b, 10, 0.1, what="A's message on B before the hole")
        await src.perform(ops.BlackholeLink(servers=("A", "B")))
        await a.publish("orders.during", b"held")
        await a.flush()  # A has it: it waits in the hole
        kept = sum(p.connections for p in links.between("A", "B"))
        await src.perform(ops.HealLink(servers=("A", "B")))
        if kept < 4:  # the pings gave up first (a stalled machine): nothing to deliver
            pytest.skip("the route went stale before the heal")
        # The connections lived through the hole, so the stream goes on where it stopped.
        await async_wait_until(lambda: b"held" in on_b.got, 10, what="the held message on B")
        assert peers_are(lab, "A", "BC")
    finally:
        await a.close()
        await b.close()


async def test_the_links_stop_with_the_run(link_offset):
    """Nothing of a link outlives its run: no listener, no connection, no task."""
    session = open_lab(settings=RunSettings(offset=link_offset, links=True))
    try:
        await start_linked(session)
        links = session.source.supervisor.links
        assert links is not None
        await async_wait_until(
            lambda: sum(p.connections for p in links.proxies.values()) == 12, 10, what="12"
        )
        await session.source.perform(ops.BlackholeLink(servers=("B", "C")))  # held ones too
    finally:
        await session.close()
    assert not any(p.listening or p.connections for p in links.proxies.values())
    assert [t.get_name() for t in asyncio.all_tasks() if t.get_name().startswith("link ")] == []
    taken = [what for port, what in run_ports("ABC", link_offset, links=True) if not is_free(port)]
    assert taken == []


async def test_link_operations_need_a_linked_run(offset):
    session = open_lab(settings=RunSettings(offset=offset))
    try:
        with pytest.raises(ServerStateError, match="do not go through natslab's link proxies"):
            await session.source.perform(ops.CutLink(servers=("A", "B")))
    finally:
        await session.close()
