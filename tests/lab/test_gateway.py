"""Gateways on real servers: a second cluster joined by a gateway under any port offset (a
port kind of its own, placeholders in config fragments), a message across it, and
gateway_connected, which fails on running servers whose gateways are up when it claims none
or another cluster: its running-but-wrong controls."""

from __future__ import annotations

import asyncio
import time

import nats
import psutil
import pytest

from natslab.cluster.ports import ports_for, with_ports
from natslab.errors import TimedOutError
from natslab.lab import operations as ops
from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons.lab_protocol import CheckContext
from tests.helpers import async_wait_until
from tests.helpers import check_verdict as verdict

GATEWAY_CHECK_KINDS = {"gateway_connected"}
WEST = 'gateway { name: "west", port: {gateway:%s} }'
WEST_TO_EAST = (
    'gateway { name: "west", port: {gateway:A}, '
    'gateways: [ { name: "east", url: "nats://127.0.0.1:{gateway:C}" } ] }'
)
EAST = (
    'gateway { name: "east", port: {gateway:C}, '
    'gateways: [ { name: "west", url: "nats://127.0.0.1:{gateway:A}" } ] }'
)


def test_the_gateway_port_follows_the_walkthrough_pattern_and_fills_placeholders():
    assert ports_for("A").gateway == 7222 and ports_for("C", offset=10).gateway == 7454
    assert with_ports("{gateway:B}", offset=0) == "7333"
    every = [getattr(ports_for(n), k) for n in "ABCDEFGHI"
             for k in ("client", "cluster", "monitor", "leafnode", "gateway")]  # fmt: skip
    assert len(set(every)) == len(every)  # no two kinds or servers share a port


async def test_two_clusters_joined_by_a_gateway_carry_a_message_across(offset):
    session = open_lab(settings=RunSettings(offset=offset))
    session.start_polling(interval=0.2)
    perform = session.source.perform
    ctx = CheckContext(session.source, [(1, time.time())])
    try:
        await perform(
            ops.StartServer(server="A", routes=("A", "B"), cluster_name="west", config=WEST_TO_EAST)
        )
        await perform(
            ops.StartServer(server="B", routes=("A", "B"), cluster_name="west", config=WEST % "B")
        )
        await perform(ops.StartServer(server="C", routes=(), cluster_name="east", config=EAST))
        # B was given no gateway to east: it learns of one from A (gossip), and dials it.
        await async_wait_until(
            lambda: all(
                verdict(ctx, "gateway_connected", server=s, clusters=[c]).ok
                for s, c in (("A", "east"), ("B", "east"), ("C", "west"))
            ),
            30,
            what=lambda: "; ".join(
                verdict(ctx, "gateway_connected", server=s, clusters=[]).observation for s in "ABC"
            ),
        )
        for name in "ABC":  # the gateway port too, on loopback alone
            pid = session.source.supervisor.processes[name].pid
            listening = {c.laddr for c in psutil.Process(pid).net_connections("inet")
                         if c.status == psutil.CONN_LISTEN}  # fmt: skip
            assert {a.ip for a in listening} == {"127.0.0.1"}, (name, listening)
            assert ports_for(name, offset).gateway in {a.port for a in listening}
        # Running but wrong: every gateway up; claims of none, or of another cluster, fail.
        wrong = verdict(ctx, "gateway_connected", server="A", clusters=[])
        assert not wrong.ok and wrong.observation == "A's gateways reach: east", wrong
        assert not verdict(ctx, "gateway_connected", server="C", clusters=["north"]).ok

        # A message from east reaches a subscriber in west, over the gateway.
        sub = await nats.connect(session.source.client_url("B"))
        pub = await nats.connect(session.source.client_url("C"))
        try:
            got = asyncio.get_running_loop().create_future()

            async def keep(msg) -> None:
                if not got.done():
                    got.set_result(msg.data)

            await sub.subscribe("orders.new", cb=keep)
            await sub.flush()

            async def arrived() -> bool:
                await pub.publish("orders.new", b"from east")
                await asyncio.sleep(0)
                return got.done()

            await async_wait_until(arrived, 15, 0.1, what="C's message on B")
            assert got.result() == b"from east"
        finally:
            await sub.close()
            await pub.close()

        await perform(ops.StopServer(server="C"))
        await async_wait_until(
            lambda: verdict(ctx, "gateway_connected", server="A", clusters=[]).ok, 30,
            what="A without its gateway to east",
        )  # fmt: skip
        # Requests through A to a service only east has: none while east is down (rounds
        # until one is answered in full give up); once C is back, east's member answers.
        with pytest.raises(TimedOutError, match=r"within 1 s \(\d+ rounds\); the last: 3 re"):
            await perform(ops.SendRequests(server="A", count=3, until_answered=True, within=1))
        await perform(ops.RestartServer(server="C"))
        await perform(ops.StartResponders(prefix="eastsvc", seeds=("C",)))
        done = await perform(ops.SendRequests(server="A", until_answered=True))
        assert "eastsvc-1 answered 20, 0 unanswered" in done.detail, done
        assert verdict(ctx, "answered_by", server="A", clients="eastsvc-*").ok
    finally:
        await session.close()
