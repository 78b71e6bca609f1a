"""The ledger's reader on a real server while its stream is gone: it says each failure once
per outage, in words, and reads again from a stream made anew."""

from __future__ import annotations

from natslab.clients.ledger import LedgerPublisher, LedgerReader
from natslab.lab import operations as ops
from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from tests.helpers import async_wait_until


async def test_a_deleted_stream_is_said_once_per_outage_and_a_new_one_is_read(offset):
    session = open_lab(settings=RunSettings(offset=offset))
    perform = session.source.perform
    try:
        for name in "AB":  # JetStream in a cluster: one server alone would have no routes
            await perform(ops.StartServer(server=name, cluster_name="lab", jetstream=True))
        await perform(ops.CreateStream(server="A", replicas=1))
        await perform(ops.StartLedger(seeds=("A",), rate=50))
        clients = session.source.operator.fleet.clients
        ledger, reader = clients["ledger"], clients["ledger-reader"]
        assert isinstance(ledger, LedgerPublisher) and isinstance(reader, LedgerReader)
        await async_wait_until(lambda: reader.received >= 10, 30, what="the reader reading")

        def said() -> dict[str, int]:
            return session.state.clients["ledger-reader"].error_kinds

        for outage in (1, 2):
            await perform(ops.DeleteStream(server="A"))
            before = reader.failed_reads
            # Running but wrong: the reader is up and asking, and every ask fails.
            await async_wait_until(
                lambda b=before: reader.failed_reads >= b + 4, 30, what="four failed reads"
            )
            # Each failure said once per outage, not once per ask: the fetch finds no
            # responders, and subscribing again finds no stream.
            assert said() == {
                "no responders (status 503): nothing answered the reader's fetch; the stream"
                " or its consumer is gone, or has no leader": outage,
                "stream not found (error 10059)": outage,
            }, said()
            # A stream made anew (not restored) has no consumer: the reader makes its own again.
            await perform(ops.CreateStream(server="A", replicas=1))
            read = reader.received
            await async_wait_until(
                lambda r=read: reader.received >= r + 10, 30, what="reading the new stream"
            )
    finally:
        await session.close()
