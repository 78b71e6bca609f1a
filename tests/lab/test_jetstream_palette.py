"""The palette's JetStream entries come from what the servers report: a stream's name is
the servers' word, so a name the lab's operations could not carry is left out, not a crash;
a mirror is offered its promotion, any other stream a mirror of its own."""

import time

import pytest

from natslab.cluster import events as sev
from natslab.cluster.snapshot import JetStreamStatus, ReplicaStatus, ServerStatus, StreamStatus
from natslab.lab.jetstream_palette import jetstream_entries
from natslab.lab.local import open_lab
from natslab.lab.operations import Done
from natslab.lab.operator import start_plan
from natslab.lab.settings import RunSettings
from natslab.lessons.lab_protocol import CheckContext
from natslab.state import LabState
from tests.helpers import async_wait_until
from tests.helpers import check_verdict as verdict

LONGEST = "X" * 32  # a stream name at the limit: its mirror's name would be over it


def reported(*streams: StreamStatus) -> LabState:
    state = LabState()
    for name in "AB":
        js = JetStreamStatus(meta_leader="B", streams=streams)
        status = ServerStatus(server=name, up=True, at=1.0, healthy=True, jetstream=js)
        state.apply(sev.ServerPolled(server=name, at=1.0, status=status))
    return state


def titles(state: LabState, ledger: str | None = None, backups: tuple[str, ...] = ()) -> list[str]:
    return [e.title for e in jetstream_entries(state, ledger, [], list(backups))]


def test_streams_by_other_names_are_left_out_and_mirrors_are_offered_their_promotion():
    peers = (ReplicaStatus("A", True),)
    state = reported(
        StreamStatus("LEDGER", "B", peers, last_seq=9),
        StreamStatus("BACKUP", "B", (), mirror="LEDGER"),
        StreamStatus("orders", "B", peers),
        StreamStatus("[red]x", "B", peers),
        StreamStatus(LONGEST, "B", peers),
    )
    offered = titles(state)
    assert "Create stream LEDGER-BACKUP (2 replicas, a mirror of LEDGER)" in offered, offered
    assert "Promote mirror BACKUP to a stream of its own" in offered
    assert not any("BACKUP-BACKUP" in t for t in offered)  # a mirror is not mirrored
    assert not any("orders" in t or "[red]" in t for t in offered), offered
    assert f"Edit stream {LONGEST}: 1 replica" in offered
    assert not any(f"{LONGEST}-" in t for t in offered)
    assert "Start the ledger on stream LEDGER" in offered
    assert "Verify the ledger against stream LEDGER" in titles(state, ledger="ledger")
    # A backup is offered for restoring once its stream is gone, and not while it is there.
    restores = [t for t in titles(state, backups=("LEDGER", "GONE", "lower")) if "Restore" in t]
    assert restores == ["Restore stream GONE from its last backup"], restores


def test_without_a_ledger_stream_the_first_offer_is_to_create_it():
    offered = titles(reported())
    assert offered[0] == "Create stream LEDGER (2 replicas)", offered


@pytest.mark.slow(seconds=10)
async def test_a_jetstream_lab_is_run_from_the_palette_alone(offset):
    """`natslab lab --jetstream`: the lab starts its servers the walkthrough's way, with
    JetStream, and the palette alone creates the stream, runs the ledger, backs it up and
    mirrors it; each entry does what it says on real servers."""
    session = open_lab(settings=RunSettings(offset=offset, jetstream=True))
    session.start_polling(interval=0.2)
    ctx = CheckContext(session.source, [(1, time.time())])

    async def choose(title: str) -> Done:
        """Run a palette entry once it is offered: the palette follows the polls, and a
        stream between leaders (or not yet polled) offers nothing for a moment."""
        await async_wait_until(
            lambda: title in [e.title for e in session.palette()], 30,
            what=lambda: f"{title!r} among {sorted(e.title for e in session.palette())}",
        )  # fmt: skip
        offered = {e.title: e for e in session.palette()}
        return await session.take(offered[title])

    try:
        for step in start_plan(["A", "B", "C"]):
            await session.take(step)
        spec = session.source.supervisor.specs["A"]
        assert spec.jetstream and spec.cluster_name == "lab"
        await choose("Create stream LEDGER (3 replicas)")
        await choose("Start the ledger on stream LEDGER")
        done = await choose("Back up stream LEDGER")
        assert done.detail.startswith("backed up LEDGER: "), done
        await choose("Create stream LEDGER-BACKUP (3 replicas, a mirror of LEDGER)")
        await async_wait_until(
            lambda: verdict(ctx, "mirror_lag", stream="LEDGER-BACKUP", at_most=100).ok, 60,
            what=lambda: verdict(ctx, "mirror_lag", stream="LEDGER-BACKUP").observation,
        )  # fmt: skip
    finally:
        await session.close()


def test_a_down_replica_is_offered_for_removal_only_where_it_can_be_placed_again():
    """With every running server already holding the stream, nats-server refuses the
    removal ("peer remap failed", 10075): the palette offers it once there is a spare."""
    ledger = StreamStatus("LEDGER", "A", (ReplicaStatus("B", True), ReplicaStatus("C", False)))
    state = reported(ledger)
    state.apply(sev.ServerExited(server="C", at=1.0, returncode=0, expected=True))
    assert not state.servers["C"].up
    assert not any(t.startswith("Peer-remove C's replica") for t in titles(state))
    js = JetStreamStatus(meta_leader="B", streams=(ledger,))
    spare = ServerStatus(server="D", up=True, at=1.0, healthy=True, jetstream=js)
    state.apply(sev.ServerPolled(server="D", at=1.0, status=spare))
    assert "Peer-remove C's replica of stream LEDGER" in titles(state)
