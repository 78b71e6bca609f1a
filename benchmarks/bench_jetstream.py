"""JetStream: the careless and careful rolls of the lesson, and the ledger's own cost."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from common import headless_lesson, report

from natslab.cluster.ports import find_free_offset
from natslab.lab.local import open_lab


def bench_jetstream(runs: int) -> None:
    """The jetstream-upgrade lesson: the careless step's longest stretch without an ack
    against the careful steps', and that no acknowledged message was lost."""
    careless, careful, walls = [], [], []
    for _ in range(runs):
        wall, steps = headless_lesson("jetstream-upgrade")
        walls.append(wall)
        careless.append(_gap_ms(steps[2]))
        careful.append(max(_gap_ms(steps[i]) for i in (6, 7, 8)))
    report("jetstream-upgrade: careless step, longest gap (median)",
           f"{statistics.median(careless):.0f} ms", "reported")  # fmt: skip
    report("jetstream-upgrade: careful steps, longest gap (worst run)",
           f"{max(careful):.0f} ms", "<= 250 ms")  # fmt: skip
    report("jetstream-upgrade --headless, wall (median)",
           f"{statistics.median(walls):.1f} s", "<= 120 s")  # fmt: skip


def _gap_ms(step: dict) -> float:
    check = next(c for c in step["checks"] if "without an ack" in c["check"])
    return float(check["observation"].split()[1])


async def bench_ledger(seconds: float) -> None:
    """The ledger's own cost: acknowledged publishes per second at full speed on an R3 file
    stream, and how many messages per second its verification reads back."""
    from natslab.lab import operations as ops
    from natslab.lab.settings import RunSettings

    with tempfile.TemporaryDirectory() as tmp:
        session = open_lab(
            runs_base=Path(tmp), settings=RunSettings(offset=find_free_offset("ABC"))
        )
        try:
            for name in "ABC":
                await session.source.perform(
                    ops.StartServer(server=name, routes=("A", "B", "C"), cluster_name="lab",
                                    jetstream=True)
                )  # fmt: skip
            await session.source.perform(ops.CreateStream(server="A"))
            await session.source.perform(ops.StartLedger(seeds=("A",), rate=2000))
            ledger = session.source.fleet.clients["ledger"]
            before = len(ledger.acked)  # type: ignore[attr-defined]
            await asyncio.sleep(seconds)
            acked = len(ledger.acked) - before  # type: ignore[attr-defined]
            start = time.perf_counter()
            await session.source.perform(ops.VerifyLedger())
            took = time.perf_counter() - start
            verified = session.state.clients["ledger"].verified
            assert verified is not None and verified.missing == 0
            report("ledger: acknowledged publishes/s (R3 file, asked for 2000/s)",
                   f"{acked / seconds:.0f}/s", "reported")  # fmt: skip
            rate = f"{verified.stored / took:.0f} msgs/s ({verified.stored})"
            report("ledger: verification read-back", rate, "reported")
        finally:
            await session.close()
