"""A damaged replica on real servers: bytes overwritten in the middle of a stopped server's
newest block of LEDGER. On restart the server says it found a corrupt record, its replica is
made whole again from the others, and the ledger, read back through that very replica as
the leader, has lost nothing acknowledged. A running server's store is not touched."""

from __future__ import annotations

import time

import pytest

from natslab.errors import ServerStateError
from natslab.lab import operations as ops
from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons.lab_protocol import CheckContext
from tests.helpers import async_wait_until
from tests.helpers import check_verdict as verdict

ROUTES = ("A", "B", "C")
CORRUPT = r"Filestore \[LEDGER\] .*corrupt"
CAUGHT_UP = r"Catchup for stream 'LAB > LEDGER' complete"


@pytest.mark.slow(seconds=20)
@pytest.mark.timeout(240)
async def test_a_damaged_replica_is_noticed_and_made_whole_again(offset):
    session = open_lab(settings=RunSettings(offset=offset))
    session.start_polling(interval=0.2)
    perform = session.source.perform
    ctx = CheckContext(session.source, [(1, time.time())])

    def start(name: str) -> ops.StartServer:
        return ops.StartServer(server=name, routes=ROUTES, cluster_name="lab", jetstream=True)

    try:
        for name in ROUTES:
            await perform(start(name))
        await perform(ops.CreateStream(server="A"))
        await perform(ops.StartLedger(seeds=("A",), rate=100))
        await async_wait_until(
            lambda: verdict(ctx, "stream_peers", peers=list(ROUTES)).ok, 60,
            what="LEDGER on A, B and C, all current",
        )  # fmt: skip
        with pytest.raises(ServerStateError, match="C is running; stop it before damaging"):
            await perform(ops.DamageStore(server="C"))
        await perform(ops.StopServer(server="C"))
        done = await perform(ops.DamageStore(server="C"))
        block = session.source.supervisor.run.path / "jetstream" / "C" / "jetstream" / "LAB"
        block = block / "streams" / "LEDGER" / "msgs" / "1.blk"
        at = int(done.detail.split(" at offset ")[1].split()[0])
        assert block.read_bytes()[at : at + 64] == b"\xff" * 64, done
        assert done.command.startswith("head -c 64 /dev/zero | tr '\\0' '\\377' | dd of=")
        assert f"of={block} bs=1 seek={at} conv=notrunc" in done.command

        ctx.step_starts.append((2, time.time()))
        await perform(start("C"))
        await async_wait_until(
            lambda: verdict(ctx, "log_contains", server="C", pattern=CORRUPT).ok, 30,
            what="C's log on the damaged block",
        )  # fmt: skip
        # C caught up from the leader (until then a step-down may reach C, still sure it
        # leads the term it left, or find the stream between leaders).
        await async_wait_until(
            lambda: verdict(ctx, "log_contains", server="C", pattern=CAUGHT_UP).ok, 60,
            what="C's catch-up of LEDGER",
        )  # fmt: skip
        # C's copy, leading: whatever the ledger reads now comes from the repaired replica.
        await perform(ops.MoveLeader(server="A", stream="LEDGER", to="C"))
        await async_wait_until(
            lambda: verdict(ctx, "stream_leader", server="C").ok
            and verdict(ctx, "stream_peers", peers=list(ROUTES)).ok,
            60, what=lambda: verdict(ctx, "stream_peers", peers=list(ROUTES)).observation,
        )  # fmt: skip
        await perform(ops.VerifyLedger())
        kept = verdict(ctx, "acked_lost", at_most=0)
        assert kept.ok, kept
    finally:
        await session.close()
