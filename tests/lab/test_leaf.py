"""Leaf nodes on real servers: a port kind of their own, placeholders in config fragments,
and leaf_connected, which fails on a running edge whose link is up when it claims none
(and on a hub that claims a spoke it does not have): its running-but-wrong controls."""

from __future__ import annotations

import time

import psutil

from natslab.cluster.ports import ports_for, with_ports
from natslab.lab import operations as ops
from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons.lab_protocol import CheckContext
from tests.helpers import async_wait_until, judged
from tests.helpers import check_verdict as verdict

LEAF_CHECK_KINDS = {"leaf_connected", "answered_by"}


def test_the_leafnode_port_follows_the_walkthrough_pattern_and_fills_placeholders():
    assert ports_for("A").leafnode == 7422 and ports_for("B", offset=10).leafnode == 7543
    assert with_ports("port: {leafnode:B}, at {client:A}", offset=10) == "port: 7543, at 4232"


async def test_an_edge_server_joins_a_hub_and_loses_the_link_with_it(offset):
    session = open_lab(settings=RunSettings(offset=offset))
    session.start_polling(interval=0.2)
    perform = session.source.perform
    ctx = CheckContext(session.source, [(1, time.time())])
    try:
        await perform(
            ops.StartServer(server="A", routes=(), config="leafnodes { port: {leafnode:A} }")
        )
        remote = 'leafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:{leafnode:A}" } ] }'
        await perform(ops.StartServer(server="E", routes=(), config=remote))
        written = session.source.supervisor.run.config_path("A").read_text()
        assert f"port: {ports_for('A', offset).leafnode}" in written  # the placeholder, filled
        # Every port of the lab's servers, the leafnode port too, is on loopback alone
        # (nats-server binds a leafnodes block without a host on every interface).
        for name in "AE":
            pid = session.source.supervisor.processes[name].pid
            listening = {
                c.laddr for c in psutil.Process(pid).net_connections("inet")
                if c.status == psutil.CONN_LISTEN
            }  # fmt: skip
            assert listening and {a.ip for a in listening} == {"127.0.0.1"}, (name, listening)
        assert ports_for("A", offset).leafnode in {
            c.laddr.port
            for c in psutil.Process(session.source.supervisor.processes["A"].pid).net_connections(
                "inet"
            )
        }
        await async_wait_until(
            lambda: (
                verdict(ctx, "leaf_connected", server="E", peers=["A"]).ok
                and verdict(ctx, "leaf_connected", server="A", peers=["E"]).ok
            ),
            30,
            what="E linked to A, seen from both ends",
        )
        # /connz lists the link too (kind "Leafnode"): a server, never counted as a client.
        await session.source.supervisor.poll()
        assert not session.state.servers["A"].connections, session.state.servers["A"].connections
        assert not session.state.servers["E"].connections
        assert not session.state.clients, session.state.clients
        # Running but wrong: both up, the link up; claims of no link, or of another peer, fail.
        wrong = verdict(ctx, "leaf_connected", server="E", peers=[])
        assert not wrong.ok and wrong.observation == "E's leaf connections: A", wrong
        assert not verdict(ctx, "leaf_connected", server="A", peers=["B"]).ok
        await perform(ops.StopServer(server="A"))
        await async_wait_until(
            lambda: verdict(ctx, "leaf_connected", server="E", peers=[]).ok, 30,
            what="E without its link",
        )  # fmt: skip
    finally:
        await session.close()


async def test_a_queue_group_answers_from_the_edge_first_and_from_the_hub_without_it(offset):
    """Requests from a client on E go to E's own member of the queue group while it lives,
    though the hub has one too (nats-server client.go processMsgResults keeps a leaf
    connection's queue subscriber only as the fallback); without it, the hub's answers."""
    session = open_lab(settings=RunSettings(offset=offset))
    session.start_polling(interval=0.2)
    perform = session.source.perform
    ctx = CheckContext(session.source, [(1, time.time())])
    try:
        await perform(
            ops.StartServer(
                server="A", routes=("A", "B"), config="leafnodes { port: {leafnode:A} }"
            )
        )
        await perform(ops.StartServer(server="B", routes=("A", "B")))
        remote = 'leafnodes { remotes = [ { url: "nats-leaf://127.0.0.1:{leafnode:A}" } ] }'
        await perform(ops.StartServer(server="E", routes=(), config=remote))
        await async_wait_until(
            lambda: (
                verdict(ctx, "leaf_connected", server="E", peers=["A"]).ok
                and verdict(ctx, "route_peers", server="A", peers=["B"]).ok
            ),
            30,
            what="E linked to A, A routed to B",
        )
        await perform(ops.StartResponders(prefix="edgesvc", seeds=("E",)))
        await perform(ops.StartResponders(prefix="hubsvc", seeds=("B",)))

        # B's interest reaches E over the link once it has crossed A: until then E's own
        # member is the only one E knows of, so wait for a round the hub can answer.
        async def hub_reachable() -> bool:
            await perform(ops.SendRequests(server="A", count=10))
            return any(n.startswith("hubsvc") for n in session.state.requests[-1].answered_by)

        await async_wait_until(hub_reachable, 20, 0.2, what="the hub's member answering on A")
        done = await perform(ops.SendRequests(server="E", count=20))
        assert done.detail == "20 requests through E: edgesvc-1 answered 20, 0 unanswered", done
        assert "nats request -s nats://127.0.0.1:" in done.command
        assert verdict(ctx, "answered_by", server="E", clients="edgesvc-*").ok
        # Running but wrong: both members up and reachable; the hub's did not answer E.
        wrong = verdict(ctx, "answered_by", server="E", clients="hubsvc-*")
        assert not wrong.ok and "edgesvc-1 answered 20" in wrong.observation, wrong
        assert judged(ctx, "answered_by", server="E", clients="hubsvc-*").value == 0

        await perform(ops.StopClients(prefix="edgesvc"))
        done = await perform(ops.SendRequests(server="E", count=20))
        assert done.detail == "20 requests through E: hubsvc-1 answered 20, 0 unanswered", done
        assert verdict(ctx, "answered_by", server="E", clients="hubsvc-*").ok
        assert judged(ctx, "answered_by", server="E", clients="hubsvc-*").value == 20
        # The link down as well: E knows of no member at all and says so at once (the
        # lesson's last narrative); a round nobody answered is not "every request answered".
        await perform(ops.StopServer(server="A"))
        await async_wait_until(
            lambda: verdict(ctx, "leaf_connected", server="E", peers=[]).ok, 30,
            what="E without its link",
        )  # fmt: skip
        done = await perform(ops.SendRequests(server="E", count=3, timeout=5))
        assert done.detail.endswith("3 unanswered (no responders)"), done
        assert not verdict(ctx, "answered_by", server="E", clients="*").ok
    finally:
        await session.close()
