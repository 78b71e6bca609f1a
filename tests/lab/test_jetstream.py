"""JetStream on real servers: three servers with an R3 file stream, the ledger publishing and
reading throughout; a killed leader, moved leaders, and a verification that must catch a
message deleted behind its back."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Callable

import nats
import pytest
from pydantic import TypeAdapter

from natslab.clients import events as cev
from natslab.cluster import events as sev
from natslab.lab import operations as ops
from natslab.lab.local import LabSession, open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons import checks
from natslab.lessons import model as m
from natslab.lessons.lab_protocol import CheckContext
from natslab.present.timeline_words import words


async def until(condition: Callable[[], object], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(0.05)


@pytest.fixture
async def lab(offset: int) -> AsyncIterator[tuple[LabSession, list[object]]]:
    """A, B, C with JetStream, stream LEDGER (R3, file) and the ledger running on A and B."""
    session = open_lab(settings=RunSettings(offset=offset))
    seen: list[object] = []
    session.bus.subscribe(seen.append)
    session.start_polling(interval=0.2)
    try:
        for name in "ABC":
            await session.source.perform(
                ops.StartServer(
                    server=name, routes=("A", "B", "C"), cluster_name="lab", jetstream=True
                )
            )
        state = session.state
        await until(lambda: state.jetstream.meta_leader, 30, "a meta leader")
        await session.source.perform(ops.CreateStream(server="A"))
        await session.source.perform(ops.StartLedger(seeds=("A", "B"), rate=200))
        await until(lambda: state.clients["ledger"].acked > 50, 10, "the ledger's first acks")
        yield session, seen
    finally:
        await session.close()


def stream_leader(session: LabSession) -> str:
    found = session.state.jetstream.streams.get("LEDGER")
    return found.leader if found else ""


@pytest.mark.slow(seconds=15)
async def test_a_leader_killed_mid_publish_costs_publishes_but_no_acked_message(lab):
    session, seen = lab
    state = session.state
    await session.source.perform(ops.MoveLeader(stream="LEDGER", to="C", server="A"))
    await until(lambda: stream_leader(session) == "C", 15, "the stream leader on C")
    await session.source.perform(ops.KillServer(server="C"))
    # The ledger notices: failed publishes, and a stretch without an ack.
    await until(lambda: any(isinstance(e, cev.PublishGap) and e.failed for e in seen), 30, "a gap")
    await until(lambda: stream_leader(session) in {"A", "B"}, 30, "a new stream leader")
    gap = max((e for e in seen if isinstance(e, cev.PublishGap)), key=lambda e: e.at - e.start)
    assert gap.at - gap.start > 0.2 and gap.failed > 0
    assert state.clients["ledger"].publish_failures > 0
    leaders = [e.server for e in seen if isinstance(e, sev.StreamLeaderChanged)]
    assert "C" in leaders and leaders[-1] in {"A", "B"}

    await session.source.perform(ops.RestartServer(server="C"))
    await until(
        lambda: stream_leader(session) and not state.jetstream.lagging("LEDGER")
        and len(state.jetstream.streams["LEDGER"].replicas) == 2,
        60, "every replica current again",
    )  # fmt: skip
    done = await session.source.perform(ops.VerifyLedger())
    verdict = state.clients["ledger"].verified
    assert verdict is not None and verdict.acked > 100, done.detail
    assert verdict.missing == 0 and verdict.duplicates == 0, done.detail
    assert verdict.stored >= verdict.acked
    assert verdict.failed > 0 and verdict.longest_gap_ms > 200
    assert any(isinstance(e, sev.ReplicaChanged) and e.server == "C" for e in seen)


async def test_the_verification_catches_a_message_deleted_from_the_stream(lab):
    """Negative control: a verification that cannot find a loss proves nothing."""
    session, _ = lab
    state = session.state
    await session.source.perform(ops.VerifyLedger())
    assert state.clients["ledger"].verified.missing == 0
    nc = await nats.connect(session.source.client_url("B"))
    try:
        await nc.jetstream().delete_msg("LEDGER", 10)  # an acknowledged message
    finally:
        await nc.close()
    await session.source.perform(ops.VerifyLedger())
    verdict = state.clients["ledger"].verified
    assert verdict.missing == 1 and verdict.missing_ids == ("ledger-10",)


async def test_leaders_move_through_the_server_api_and_show_as_events(lab):
    session, seen = lab
    state = session.state
    meta = state.jetstream.meta_leader
    target = next(n for n in "ABC" if n != meta)
    await session.source.perform(ops.MoveLeader(to=target, server="A"))
    await until(lambda: state.jetstream.meta_leader == target, 15, f"the meta leader on {target}")
    changes = [e for e in seen if isinstance(e, sev.MetaLeaderChanged)]
    assert changes[-1].server == target
    assert any(words(e).startswith("JetStream meta leader: ") for e in state.timeline)
    with pytest.raises(Exception, match="Moving stream NOPE's leader was refused"):
        await session.source.perform(ops.MoveLeader(stream="NOPE", server="A"))


# Each JetStream check kind against the same cluster, true claim and false claim; the list is
# part of tests/lessons/test_check_controls.py's census of every check kind.
JETSTREAM_CHECK_KINDS = {
    "meta_leader",
    "stream_leader",
    "leads_nothing",
    "replicas_current",
    "acked_lost",
    "publish_gap",
}


async def test_every_jetstream_check_passes_a_true_claim_and_fails_a_false_one(lab):
    session, _ = lab
    state = session.state
    ctx = CheckContext(session)
    checked: set[str] = set()

    def holds(kind: str, **fields) -> bool:
        checked.add(kind)
        item = TypeAdapter(m.Check).validate_python({"type": kind, **fields})
        return checks.evaluate(item, ctx, time.time()).ok

    def new_step() -> None:
        ctx.step_starts.append((len(ctx.step_starts) + 1, time.time()))

    new_step()
    await session.source.perform(ops.MoveLeader(to="A", server="A"))
    await until(lambda: state.jetstream.meta_leader == "A", 15, "the meta leader on A")
    await session.source.perform(ops.MoveLeader(stream="LEDGER", to="B", server="A"))
    await until(lambda: stream_leader(session) == "B", 15, "the stream leader on B")
    assert holds("meta_leader", server="A") and not holds("meta_leader", server="B")
    assert holds("meta_leader", server="B", on=False)
    assert not holds("meta_leader", server="A", on=False)
    assert holds("stream_leader", server="B") and not holds("stream_leader", server="C")
    # The durable reader's consumer moved with its stream: B leads it, C leads nothing.
    reader = "LEDGER/ledger-reader"
    await until(
        lambda: state.jetstream.consumer_leaders.get(reader) == "B", 15, "the reader's leader on B"
    )
    assert holds("leads_nothing", server="C")
    assert not holds("leads_nothing", server="B") and not holds("leads_nothing", server="A")
    await until(lambda: holds("replicas_current"), 15, "every replica current")
    assert not holds("replicas_current", replicas=5)
    # A stream nobody created has no leader: the claim fails with a sentence, never raises.
    item = TypeAdapter(m.Check).validate_python({"type": "replicas_current", "stream": "NOPE"})
    verdict = checks.evaluate(item, ctx, time.time())
    assert not verdict.ok and verdict.observation == "NOPE has no leader right now", verdict
    # Running but behind (M4): C paused while the ledger publishes falls behind the leader,
    # and the check says so; resumed, it catches up and the check holds again.
    paused = state.servers["C"].pid
    os.kill(paused, signal.SIGSTOP)
    try:
        await until(lambda: not holds("replicas_current"), 20, "C behind while paused")
    finally:
        os.kill(paused, signal.SIGCONT)
    await until(lambda: holds("replicas_current"), 30, "C current again")

    new_step()
    assert not holds("acked_lost")  # no verification in this step yet
    await session.source.perform(ops.VerifyLedger())
    assert holds("acked_lost")
    nc = await nats.connect(session.source.client_url("A"))
    try:
        await nc.jetstream().delete_msg("LEDGER", 5)
    finally:
        await nc.close()
    await session.source.perform(ops.VerifyLedger())
    assert not holds("acked_lost") and holds("acked_lost", at_most=1)

    # Steady acks, every 5 ms: a window of 50 acks in a row with no gap over 250 ms. A busy
    # machine may stall once; then a fresh window (a new step) is watched, until one holds.
    async def steady_window() -> bool:
        new_step()
        first = state.clients["ledger"].acked
        await until(lambda: state.clients["ledger"].acked >= first + 50, 15, "50 more acks")
        return holds("publish_gap", at_most=0.25)

    deadline = time.monotonic() + 30
    while not await steady_window():
        assert time.monotonic() < deadline, "no window of 50 acks without a gap over 250 ms"
    await session.source.perform(ops.KillServer(server="B"))  # the stream leader
    await until(lambda: not holds("publish_gap", at_most=0.25), 15, "a gap over 250 ms")
    assert checked == JETSTREAM_CHECK_KINDS


@pytest.mark.slow(seconds=15)  # fetches and runs a second release
async def test_on_2_10_leaders_move_by_stepping_down_again_and_the_command_says_so(cache, offset):
    """nats-server 2.10 has no preferred leader in a step-down (Placement.Preferred came with
    2.11) and refuses any body for a stream's: natslab steps down plainly until the server it
    wants leads, and the command it shows is the one that works on 2.10."""
    from natslab.cluster import versions

    old = versions.install("2.10.26")
    session = open_lab(settings=RunSettings(offset=offset, upgrade_binary=old.path))
    state = session.state
    session.start_polling(interval=0.2)
    try:
        for name in "ABC":
            await session.source.perform(
                ops.StartServer(server=name, routes=("A", "B", "C"), cluster_name="lab",
                                jetstream=True, binary="upgrade")
            )  # fmt: skip
        await until(lambda: state.jetstream.meta_leader, 30, "a meta leader")
        assert {state.servers[n].version for n in "ABC"} == {"2.10.26"}
        await session.source.perform(ops.CreateStream(server="A"))
        await until(lambda: stream_leader(session), 15, "the stream's leader")
        for _ in range(2):  # twice: each time to a server that does not lead it
            target = next(n for n in "ABC" if n != stream_leader(session))
            done = await session.source.perform(
                ops.MoveLeader(stream="LEDGER", to=target, server="A")
            )
            await until(lambda t=target: stream_leader(session) == t, 20, f"LEDGER led by {target}")
        url = session.source.operator.client_url("A")
        assert done.command == (
            f"nats stream cluster step-down LEDGER -s {url}   # 2.10 has no --preferred or "
            f"--host: repeat until {target} leads"
        ), done.command
        meta = next(n for n in "ABC" if n != state.jetstream.meta_leader)
        done = await session.source.perform(ops.MoveLeader(to=meta, server="A"))
        await until(lambda: state.jetstream.meta_leader == meta, 20, f"the meta leader on {meta}")
        assert done.command.startswith("nats server cluster step-down --user"), done.command
    finally:
        await session.close()
