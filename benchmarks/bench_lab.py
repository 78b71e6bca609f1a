"""A lab in this process: failover visibility in LabState, log ingestion."""

from __future__ import annotations

import asyncio
import sys
import time

import psutil
from common import FLOOD_PUBLISHER, report

from natslab.clients.events import ClientReconnected
from natslab.cluster.events import LogLines
from natslab.cluster.ports import find_free_offset
from natslab.cluster.spec import walkthrough_spec
from natslab.lab.local import open_lab


async def bench_visibility(clients: int) -> None:
    session = open_lab()
    offset = find_free_offset("ABC")
    lags: list[float] = []

    def after_state(event: object) -> None:
        # Runs after LabState (subscribed first): how long the fold took to show the move.
        if isinstance(event, ClientReconnected):
            view = session.state.clients[event.client]
            if view.server and view.server != "A":
                lags.append(time.time() - event.at)

    session.bus.subscribe(after_state)
    try:
        for name in "AB":
            await session.source.supervisor.start(walkthrough_spec(name, offset))
        await session.source.supervisor.wait_for_mesh("AB")
        names = [
            s.name
            for s in await session.source.fleet.start_subscribers(
                clients, [session.source.client_url("A")]
            )
        ]
        await session.source.supervisor.start(walkthrough_spec("C", offset))
        ready = session.state.servers["C"].ready_at or time.time()
        deadline = time.time() + 10
        while time.time() < deadline and not all(
            "C" in session.state.clients[n].known_servers() for n in names
        ):
            await asyncio.sleep(0.005)
        learned = max(session.state.clients[n].learned_at("C") or 0 for n in names)
        report(
            f"gossip: C ready -> all {clients} clients know C",
            f"{(learned - ready) * 1000:.0f} ms",
            "<= 1 s",
        )
        await session.source.supervisor.stop("A")
        deadline = time.time() + 30
        while time.time() < deadline and len(lags) < clients:
            await asyncio.sleep(0.01)
        report(
            "failover: client reconnected -> LabState shows it (max)",
            f"{max(lags) * 1000:.2f} ms",
            "<= 50 ms",
        )
    finally:
        await session.close()


async def bench_ingest(seconds: float) -> None:
    session = open_lab()
    offset = find_free_offset("A")
    lines = 0

    def count(event: object) -> None:
        nonlocal lines
        if isinstance(event, LogLines):
            lines += len(event.lines)

    session.bus.subscribe(count)
    me = psutil.Process()
    try:
        await session.source.supervisor.start(
            walkthrough_spec("A", offset, route_to=(), log_flags=("-DV",))
        )
        rss0 = me.memory_info().rss
        publisher = await asyncio.create_subprocess_exec(
            sys.executable, "-c", FLOOD_PUBLISHER, session.source.client_url("A"), str(seconds)
        )
        start, counted0 = time.perf_counter(), lines
        await publisher.wait()
        elapsed = time.perf_counter() - start
        rate = (lines - counted0) / elapsed
        rss1 = me.memory_info().rss
        report("log ingestion (-DV + flooding publisher), lines/s", f"{rate:,.0f}", ">= 50,000")
        report(
            "  natslab RSS before -> after", f"{rss0 / 2**20:.0f} -> {rss1 / 2**20:.0f} MiB", "flat"
        )
    finally:
        await session.close()
