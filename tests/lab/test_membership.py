"""JetStream membership on real servers: a server gone for good (killed, its store wiped), a
replacement that does not get its replica until the dead one is peer-removed, and a paused
server. stream_peers fails on the running cluster before the removal (its control)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import nats
import pytest

from natslab.errors import ServerStateError
from natslab.lab import operations as ops
from natslab.lab.local import LabSession, open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons.lab_protocol import CheckContext
from tests.helpers import async_wait_until
from tests.helpers import check_verdict as verdict

MEMBERSHIP_CHECK_KINDS = {"stream_peers"}
ROUTES = ("A", "B", "C")


@pytest.fixture
async def lab(offset: int) -> AsyncIterator[LabSession]:
    session = open_lab(settings=RunSettings(offset=offset))
    session.start_polling(interval=0.2)
    try:
        for name in ROUTES:
            await session.source.perform(
                ops.StartServer(server=name, routes=ROUTES, cluster_name="lab", jetstream=True)
            )
        await session.source.perform(ops.CreateStream(server="A"))
        await session.source.perform(ops.StartLedger(seeds=("A",), rate=50))
        yield session
    finally:
        await session.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_a_replacement_gets_the_replica_only_once_the_dead_server_is_removed(lab, offset):
    ctx = CheckContext(lab.source, [(1, time.time())])
    perform = lab.source.perform
    await async_wait_until(
        lambda: verdict(ctx, "stream_peers", peers=["A", "B", "C"]).ok, 60,
        what="LEDGER on A, B and C, all current",
    )  # fmt: skip
    with pytest.raises(ServerStateError, match="Server C is running; stop it before wiping"):
        await perform(ops.WipeStore(server="C"))
    # A leads LEDGER, so that its word about C is the one read after the kill.
    await perform(ops.MoveLeader(stream="LEDGER", to="A", server="A"))
    await async_wait_until(
        lambda: lab.state.jetstream.streams["LEDGER"].leader == "A", 30, what="A leading LEDGER"
    )
    await perform(ops.KillServer(server="C"))
    # A new step, and no poll since (nothing awaited): the leader's last word, from before
    # the kill, still calls C current; the check waits for a fresh one instead of saying so.
    ctx.step_starts.append((2, time.time()))
    stale = verdict(ctx, "stream_peers", peers=["A", "B", "C"], current=False)
    assert not stale.ok and "since this step" in stale.observation, stale
    assert "Wipe server C's JetStream store" in [e.title for e in lab.palette()]
    done = await perform(ops.WipeStore(server="C"))
    assert "Wipe server C's JetStream store" not in [e.title for e in lab.palette()]
    assert done.detail.startswith("deleted C's JetStream store (") and "rm -rf" in done.command
    await perform(ops.StartServer(server="D", routes=ROUTES, cluster_name="lab", jetstream=True))
    await async_wait_until(
        lambda: lab.state.servers["D"].jetstream is not None, 30, what="D polled with JetStream"
    )
    # If C led LEDGER, A and B elect a leader first (4-9 s): wait for one, on A, B and C.
    await async_wait_until(
        lambda: verdict(ctx, "stream_peers", peers=["A", "B", "C"], current=False).ok, 60,
        what="LEDGER led again, still placed on A, B and C",
    )  # fmt: skip
    # Running but wrong: D is up and in the cluster, and LEDGER still names C, behind.
    wrong = verdict(ctx, "stream_peers", peers=["A", "B", "D"])
    assert not wrong.ok and "replicas on A, B, C" in wrong.observation, wrong
    assert not verdict(ctx, "stream_peers", peers=["A", "B", "C"]).ok  # C is not current
    assert verdict(ctx, "stream_peers", peers=["A", "B", "C"], current=False).ok

    # The palette offers the removals of the dead server, asked through a running one.
    offered = {e.title: e for e in lab.palette()}
    assert "Peer-remove C's replica of stream LEDGER" in offered, sorted(offered)
    removal = offered["Peer-remove server C from the meta group"].operation
    assert isinstance(removal, ops.RemoveServer) and removal.through in ("A", "B", "D")
    done = await perform(removal)
    assert done.detail == "C is no longer a member of the JetStream meta group"
    assert done.command == (
        "nats server cluster peer-remove C -f --user sys --password sys "
        f"-s {lab.source.operator.client_url(removal.through)}"
    )
    await async_wait_until(
        lambda: verdict(ctx, "stream_peers", peers=["A", "B", "D"]).ok, 60,
        what="LEDGER's third replica placed on D and current",
    )  # fmt: skip
    with pytest.raises(
        ServerStateError, match=r"server is not a member of the cluster \(error 10044\)"
    ):
        await perform(ops.RemoveServer(server="C", through="A"))

    # C back under its old name, empty, within 5 minutes of its removal: it runs, follows
    # the meta leader and answers /healthz 200, yet no member counts it (raft.go trackPeer,
    # peerRemoveTimeoutDefault).
    await perform(ops.RestartServer(server="C"))
    await async_wait_until(
        lambda: lab.state.servers["C"].healthy, 60, what="C back, answering /healthz 200"
    )
    assert verdict(ctx, "meta_peers", server="A", members=["A", "B", "D"]).ok
    # Running but wrong: C is up and healthy, and still not a member.
    wrong = verdict(ctx, "meta_peers", server="A", members=["A", "B", "C", "D"])
    assert not wrong.ok and "members: A, B, D" in wrong.observation, wrong
    assert verdict(ctx, "stream_peers", peers=["A", "B", "D"]).ok
    await perform(ops.VerifyLedger())
    assert verdict(ctx, "acked_lost", at_most=0).ok


async def test_a_paused_server_keeps_its_sockets_and_answers_nothing_until_resumed(offset):
    session = open_lab(settings=RunSettings(offset=offset))
    try:
        await session.source.perform(ops.StartServer(server="A", routes=()))
        url = session.source.operator.client_url("A")
        nc = await nats.connect(url, max_reconnect_attempts=-1, ping_interval=60)
        try:
            done = await session.source.perform(ops.PauseServer(server="A"))
            assert done.command.startswith("kill -STOP ")
            # The kernel still accepts the TCP connection; the frozen server never sends INFO.
            with pytest.raises((nats.errors.NoServersError, TimeoutError)):
                await nats.connect(url, connect_timeout=0.5, max_reconnect_attempts=0,
                                   allow_reconnect=False)  # fmt: skip
            assert nc.is_connected  # and nothing was closed
            # The panes say so, and the palette offers the way back (not a start: it is alive).
            assert session.state.servers["A"].state == "paused"
            titles = [e.title for e in session.palette()]
            assert (
                "Resume server A (SIGCONT)" in titles and "Pause server A (SIGSTOP)" not in titles
            )
            assert not any(t.startswith("Start server A") for t in titles)
            await session.source.perform(ops.ResumeServer(server="A"))
            assert session.state.servers["A"].state == "running"
            assert "Pause server A (SIGSTOP)" in [e.title for e in session.palette()]
            await nc.flush(timeout=5)
        finally:
            await nc.close()
        await session.source.perform(ops.PauseServer(server="A"))
        done = await session.source.perform(ops.StopServer(server="A"))  # a stop still works
        assert "with Ctrl+C (SIGINT); exit code 0" in done.detail, done.detail
    finally:
        await session.close()
