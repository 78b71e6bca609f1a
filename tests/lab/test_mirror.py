"""Mirrors on real servers: a mirror on another server keeps up with its origin, falls behind
while the link between them is cut (both running, each with a leader: running but wrong),
catches up when it heals, keeps its origin's sequence numbers, and is promoted to a stream of
its own (refused while the origin still holds the subjects it asks for)."""

from __future__ import annotations

import time

import nats
import pytest

from natslab.cluster.ports import find_free_offset
from natslab.errors import ServerStateError
from natslab.lab import operations as ops
from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons.lab_protocol import CheckContext
from tests.helpers import async_wait_until
from tests.helpers import check_verdict as verdict

MIRROR_CHECK_KINDS = {"mirror_lag", "sources_lag"}
CLOSE = 25  # messages: the two streams are polled a moment apart, at 50 msg/s


@pytest.mark.slow(seconds=10)
async def test_a_mirror_keeps_up_falls_behind_across_a_cut_link_and_is_promoted():
    session = open_lab(settings=RunSettings(offset=find_free_offset("ABC", links=True), links=True))
    session.start_polling(interval=0.2)
    perform = session.source.perform
    ctx = CheckContext(session.source, [(1, time.time())])

    def lag(at_most: int = CLOSE):
        return verdict(ctx, "mirror_lag", stream="BACKUP", at_most=at_most)

    try:
        for name in "ABC":
            await perform(
                ops.StartServer(
                    server=name, cluster_name="lab", jetstream=True,
                    config=f'server_tags: ["zone:{name.lower()}"]',
                )
            )  # fmt: skip
        await perform(ops.CreateStream(server="A", replicas=1, tags=("zone:a",)))
        done = await perform(
            ops.CreateStream(
                name="BACKUP", server="B", replicas=1, tags=("zone:b",), mirror="LEDGER"
            )
        )
        assert ", a mirror of LEDGER, leader B" in done.detail, done
        assert done.command == (
            "nats stream add BACKUP --mirror LEDGER --replicas 1 --storage file "
            f"--tag zone:b --defaults -s {session.source.operator.client_url('B')}"
        )
        await perform(ops.StartLedger(seeds=("A",), rate=50))
        await async_wait_until(
            lambda: lag().ok and "LEDGER at 0," not in lag().observation, 60,
            what=lambda: lag().observation,
        )  # fmt: skip

        offered = [e.title for e in session.palette()]
        assert "Promote mirror BACKUP to a stream of its own" in offered, offered
        assert "Create stream LEDGER-BACKUP (1 replica, a mirror of LEDGER)" in offered
        assert not any(t.startswith("Create stream BACKUP-BACKUP") for t in offered)
        assert "Verify the ledger against stream LEDGER" in offered

        # Running but wrong: both streams up and led, the copying cut off.
        await perform(ops.CutLink(servers=("A", "B")))
        await async_wait_until(lambda: not lag().ok, 30, what=lambda: lag().observation)
        behind = lag().observation
        assert "BACKUP is " in behind and " behind LEDGER (LEDGER at " in behind, behind
        assert verdict(ctx, "stream_peers", stream="BACKUP", peers=["B"]).ok

        await perform(ops.HealLink(servers=("A", "B")))
        await async_wait_until(lambda: lag().ok, 60, what=lambda: lag().observation)
        # Once the ledger stops, the mirror ends exactly where its origin does: the same
        # last sequence number, not just the same count.
        await perform(ops.StopPublisher(name="ledger"))
        await async_wait_until(lambda: lag(0).ok, 30, what=lambda: lag(0).observation)

        # The origin still holds ledger.>: the promotion that asks for it is refused whole.
        with pytest.raises(ServerStateError, match=r"subjects overlap with an existing stream"):
            await perform(ops.PromoteMirror(name="BACKUP", server="B", subjects=("ledger.>",)))
        assert lag(0).ok, lag(0).observation  # still a mirror
        done = await perform(ops.PromoteMirror(name="BACKUP", server="C", subjects=("backup.>",)))
        assert done.detail.startswith("BACKUP no longer mirrors LEDGER: a stream of its own, ")
        assert done.command == (
            'nats stream edit BACKUP --no-mirror --subjects "backup.>" -f '
            f"-s {session.source.operator.client_url('C')}"
        )
        await async_wait_until(
            lambda: lag().observation == "BACKUP is not a mirror", 30,
            what=lambda: lag().observation,
        )  # fmt: skip
        offered = [e.title for e in session.palette()]
        assert "Promote mirror BACKUP to a stream of its own" not in offered
        assert "Create stream BACKUP-BACKUP (1 replica, a mirror of BACKUP)" in offered
        with pytest.raises(ServerStateError, match="BACKUP is not a mirror: nothing to promote"):
            await perform(ops.PromoteMirror(name="BACKUP", server="B"))
    finally:
        await session.close()


def test_a_mirror_takes_no_subjects_and_is_not_its_own():
    with pytest.raises(ValueError, match="a mirror takes no subjects"):
        ops.CreateStream(name="BACKUP", server="A", mirror="LEDGER", subjects=("x.>",))
    with pytest.raises(ValueError, match="cannot mirror itself"):
        ops.CreateStream(name="LEDGER", server="A", mirror="LEDGER")


@pytest.mark.slow(seconds=8)
async def test_a_stream_gathers_its_sources_and_a_purged_one_is_found_behind():
    """`nats stream add ALL --source EU --source US`: every message of both, counted; then
    ALL purged, up and led and still gathering, is as far behind as its sources hold."""
    session = open_lab(settings=RunSettings(offset=find_free_offset("ABC")))
    session.start_polling(interval=0.2)
    perform = session.source.perform
    ctx = CheckContext(session.source, [(1, time.time())])

    def lag(stream: str = "ALL"):
        return verdict(ctx, "sources_lag", stream=stream)

    try:
        for name in "ABC":
            await perform(ops.StartServer(server=name, cluster_name="lab", jetstream=True))
        # A server's command to type as shown (a lesson's "this run:") carries its config
        # file, which holds JetStream: without it the server would run without.
        typed = session.source.by_hand(ops.RestartServer(server="A"), whole=True)
        config = session.run_dir.config_path("A")
        assert typed.endswith(f" -c {config}") and "jetstream {" in config.read_text(), typed
        for name in ("EU", "US"):
            subjects = (f"{name.lower()}.>",)
            await perform(ops.CreateStream(name=name, subjects=subjects, replicas=1, server="A"))
        nc = await nats.connect(session.source.operator.client_url("A"))
        try:
            js = nc.jetstream()
            for n in range(30):
                await js.publish("eu.order" if n % 3 else "us.order", str(n).encode())
            done = await perform(
                ops.CreateStream(name="ALL", sources=("EU", "US"), replicas=1, server="A")
            )
            assert "gathering EU, US" in done.detail, done
            assert done.command == (
                "nats stream add ALL --source EU --source US --replicas 1 --storage file "
                f"--defaults -s {session.source.operator.client_url('A')}"
            )
            await async_wait_until(
                lambda: lag().ok and "(30 messages" in lag().observation, 30,
                what=lambda: lag().observation,
            )  # fmt: skip
            assert "its sources: EU 20, US 10" in lag().observation, lag()
            assert not lag("EU").ok and lag("EU").observation == "EU gathers no sources"
            # Running but wrong: ALL up, led and gathering, with its messages purged.
            await js.purge_stream("ALL")
            await async_wait_until(
                lambda: "ALL is 30 behind (0 messages" in lag().observation, 30,
                what=lambda: lag().observation,
            )  # fmt: skip
            assert not lag().ok
        finally:
            await nc.close()
    finally:
        await session.close()
