"""Backing up and restoring a stream on a real server: a restore over a stream that exists
is refused, a delete and a restore bring back the stream as it was at the backup, and the
ledger counts exactly the acknowledged messages published after it as lost."""

from __future__ import annotations

import json
import time

import pytest

from natslab.clients.ledger import LedgerPublisher
from natslab.errors import ServerStateError
from natslab.lab import operations as ops
from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons.lab_protocol import CheckContext
from tests.helpers import async_wait_until
from tests.helpers import check_verdict as verdict


async def test_a_restore_brings_back_the_stream_as_it_was_at_the_backup(offset):
    session = open_lab(settings=RunSettings(offset=offset))
    session.start_polling(interval=0.2)
    perform = session.source.perform
    ctx = CheckContext(session.source, [(1, time.time())])
    try:
        for name in "AB":  # JetStream in a cluster: one server alone would have no routes
            await perform(ops.StartServer(server=name, cluster_name="lab", jetstream=True))
        await perform(ops.CreateStream(server="A", replicas=1))
        await perform(ops.StartLedger(seeds=("A",), rate=100))
        ledger = session.source.operator.fleet.clients["ledger"]
        assert isinstance(ledger, LedgerPublisher)
        await async_wait_until(lambda: len(ledger.acked) >= 50, 30, what="50 acks")

        done = await perform(ops.BackupStream(server="A"))
        where = session.source.operator.backup_dir("LEDGER")
        url = session.source.operator.client_url("A")
        assert done.command == f"nats stream backup LEDGER {where} -s {url}"
        backed_up = json.loads((where / "backup.json").read_text())["state"]["last_seq"]
        assert backed_up >= 50 and f"up to {backed_up}, " in done.detail, done.detail
        assert (where / "stream.tar.s2").stat().st_size > 0
        await async_wait_until(
            lambda: len(ledger.acked) >= backed_up + 50, 30, what="50 acks after the backup"
        )
        await perform(ops.StopPublisher(name="ledger"))
        after = sum(1 for seq in ledger.acked.values() if seq > backed_up)

        with pytest.raises(
            ServerStateError, match=r"already in use, cannot restore \(error 10130\)"
        ):
            await perform(ops.RestoreStream(server="A"))
        offered = {e.title: e.operation for e in session.palette()}
        assert "Restore stream LEDGER from its last backup" not in offered  # it is there
        delete = offered["Delete stream LEDGER"]
        assert isinstance(delete, ops.DeleteStream)
        done = await perform(delete)
        through = session.source.operator.client_url(delete.server)
        assert done.command == f"nats stream rm LEDGER -f -s {through}"
        await async_wait_until(
            lambda: "Restore stream LEDGER from its last backup" in [
                e.title for e in session.palette()
            ], 10, what="the restore offered once LEDGER is gone",
        )  # fmt: skip
        done = await perform(ops.RestoreStream(server="A"))
        assert done.command == f"nats stream restore {where} -s {url}"
        assert f"up to {backed_up}, from " in done.detail, done.detail

        # Running but wrong: the stream is back and answers, and what came after is gone.
        await perform(ops.VerifyLedger())
        lost = verdict(ctx, "acked_lost", at_most=0)
        assert not lost.ok and f"{after} of " in lost.observation, (after, lost)
        assert verdict(ctx, "acked_lost", at_most=after).ok

        with pytest.raises(ServerStateError, match="There is no backup of OTHER in this run"):
            await perform(ops.RestoreStream(name="OTHER", server="A"))
    finally:
        await session.close()
