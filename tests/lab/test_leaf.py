"""Leaf nodes on real servers: a port kind of their own, placeholders in config fragments,
and leaf_connected, which fails on a running edge whose link is up when it claims none
(and on a hub that claims a spoke it does not have): its running-but-wrong controls."""

from __future__ import annotations

import time

from natslab.cluster.ports import ports_for, with_ports
from natslab.lab import operations as ops
from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons.lab_protocol import CheckContext
from tests.helpers import async_wait_until
from tests.helpers import check_verdict as verdict

LEAF_CHECK_KINDS = {"leaf_connected"}


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
