"""The TUI through Pilot: the client panel at scale, an idle lab, keys under a flood, and
reconnect visibility against a /connz poller."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

import psutil
from common import PACED_PUBLISHER, cpu_share, report

from natslab.clients.events import ClientReconnected
from natslab.cluster.events import LogLines
from natslab.cluster.ports import find_free_offset, ports_for
from natslab.cluster.spec import walkthrough_spec
from natslab.lab.local import LabSession, open_lab


async def start_fleet(session: LabSession, servers: str, offset: int, clients: int) -> None:
    """Servers at their walkthrough ports and `clients` subscribers spread evenly over them."""
    for name in servers:
        await session.source.supervisor.start(walkthrough_spec(name, offset))
    for name in servers:
        await session.source.fleet.start_subscribers(
            clients // len(servers), [session.source.client_url(name)], prefix=f"s{name.lower()}"
        )


async def bench_scale(servers: str, clients: int) -> None:
    from natslab.tui.app import NatsLabApp
    from natslab.tui.widgets.client_panel import ClientPanel

    session = open_lab()
    offset = find_free_offset(servers)
    me = psutil.Process()
    me.cpu_percent(None)
    try:
        await start_fleet(session, servers, offset, clients)
        app = NatsLabApp(session, list(servers))
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause(1.0)
            panel = app.query_one(ClientPanel)
            times = []
            for _ in range(10):
                start = time.perf_counter()
                panel.redraw_all(session.state)  # every row rebuilt, as after a resize
                times.append(time.perf_counter() - start)
                await pilot.pause(0.05)
        report(
            f"scale: {len(servers)} servers, {clients} clients, full client-panel refresh",
            f"{statistics.median(times) * 1000:.0f} ms",
            "<= 50 ms",
        )
        report(
            "  natslab RSS / CPU",
            f"{me.memory_info().rss / 2**20:.0f} MiB / {me.cpu_percent(None):.0f}%",
            "reported",
        )
    finally:
        await session.close()


async def bench_idle(servers: str, clients: int, window: float) -> None:
    """An idle lab: `clients` connected subscribers and nothing else happening, headless
    (monitoring polls only) and then with the TUI open, in the same process; and the
    client panel's full refresh at that size."""
    from natslab.tui.app import NatsLabApp
    from natslab.tui.widgets.client_panel import ClientPanel

    session = open_lab()
    offset = find_free_offset(servers)
    me = psutil.Process()
    try:
        await start_fleet(session, servers, offset, clients)
        # The TUI's own polling: every 0.5 s, every 2 s once the lab has been quiet for 5 s.
        session.start_polling(interval=0.5, idle_interval=2.0)
        await asyncio.sleep(7.0)  # the first /connz rounds of the new clients, then quiet
        print("  idle: measuring headless", file=sys.stderr, flush=True)
        assert session.source.pacer is not None
        rounds = session.source.pacer.rounds
        headless = await cpu_share(me, window)
        polls = (session.source.pacer.rounds - rounds) / window
        app = NatsLabApp(session, list(servers))
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause(2.0)
            print("  idle: measuring with the TUI open", file=sys.stderr, flush=True)
            tuis = [await cpu_share(me, window) for _ in range(3)]
            panel = app.query_one(ClientPanel)
            times = []
            for _ in range(10):
                start = time.perf_counter()
                panel.redraw_all(session.state)  # every row rebuilt, as after a resize
                times.append(time.perf_counter() - start)
                await pilot.pause(0.05)
        shown = f"{len(servers)} servers, {clients} idle clients"
        report(f"idle, headless ({shown}), {window:.0f} s window", f"{headless:.1f}%", "reported")
        report("  poll rounds per second while idle", f"{polls:.2f}", "reported")
        report(
            f"idle, TUI open ({shown}), median of three {window:.0f} s windows",
            f"{statistics.median(tuis):.1f}% ({min(tuis):.1f}-{max(tuis):.1f}%)",
            "<= 5%",
        )
        report(
            f"client-panel full refresh ({shown})",
            f"{statistics.median(times) * 1000:.0f} ms (median of 10)",
            "<= 50 ms",
        )
    finally:
        await session.close()


# A /connz poller as nats-top runs one: /varz and /connz?limit=1024 of one server every
# second (nats-top's -d default: 1 s, -n default: 1,024; nats-io/nats-top, readme.md). It
# prints, as JSON, when each named connection is first listed, then its CPU time at the end.
CONNZ_POLLER = """
import json, resource, sys, time, urllib.request
def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime
url, interval, until = sys.argv[1], float(sys.argv[2]), time.time() + float(sys.argv[3])
seen, polls, start, cpu0 = set(), 0, time.time(), cpu()
while time.time() < until:
    started = time.time()
    urllib.request.urlopen(url + "/varz").read()
    connz = json.loads(urllib.request.urlopen(url + "/connz?limit=1024").read())
    polls += 1
    for conn in connz.get("connections") or []:
        if conn.get("name") and conn["name"] not in seen:
            seen.add(conn["name"])
            print(json.dumps({"name": conn["name"], "at": time.time()}), flush=True)
    time.sleep(max(0.0, interval - (time.time() - started)))
print(json.dumps({"cpu": cpu() - cpu0, "polls": polls, "seconds": time.time() - start}))
"""


async def bench_visibility_vs_connz(clients: int, window: float) -> None:
    """After a failover, how soon natslab's screen shows each lab client on its new server,
    against a nats-top style /connz poller of that server in the same run; and what each
    costs per second while it waits."""
    from natslab.tui.app import NatsLabApp
    from natslab.tui.widgets.client_panel import ClientPanel

    session = open_lab()
    offset = find_free_offset("AB")
    reconnected: dict[str, float] = {}

    def note(event: object) -> None:
        if isinstance(event, ClientReconnected):
            reconnected.setdefault(event.client, event.at)

    session.bus.subscribe(note)
    me = psutil.Process()
    try:
        for name in "AB":
            await session.source.supervisor.start(
                walkthrough_spec(name, offset, cluster_name="bench")
            )
        await session.source.supervisor.wait_for_mesh("AB")
        subs = await session.source.fleet.start_subscribers(
            clients, [session.source.client_url("A")]
        )
        names = [s.name for s in subs]
        while not all("B" in session.state.clients[n].known_servers() for n in names):
            await asyncio.sleep(0.01)
        b_monitor = f"http://127.0.0.1:{ports_for('B', offset).monitor}"
        poller = await asyncio.create_subprocess_exec(
            sys.executable, "-c", CONNZ_POLLER, b_monitor, "1.0", str(window + 10),
            stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
        app = NatsLabApp(session, ["A", "B"])
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause(1.0)
            print("  visibility: the quiet window", file=sys.stderr, flush=True)
            natslab_share = await cpu_share(me, window)
            await session.source.supervisor.stop("A")
            table = app.query_one(ClientPanel).query_one("DataTable")
            drawn: dict[str, float] = {}
            deadline = time.time() + 20
            while len(drawn) < clients and time.time() < deadline:
                for name in names:
                    if name in reconnected and name not in drawn:
                        try:
                            shown = table.get_row(name)[1].plain  # type: ignore[attr-defined]
                        except Exception:
                            continue
                        if shown[-1:] == "B":
                            drawn[name] = time.time()
                await asyncio.sleep(0.005)
        assert poller.stdout is not None
        listed: dict[str, float] = {}
        poller_cpu = polls = poller_seconds = 0.0
        async for line in poller.stdout:
            record = json.loads(line)
            if "cpu" in record:
                poller_cpu, polls = record["cpu"], record["polls"]
                poller_seconds = record["seconds"]
            else:
                listed.setdefault(record["name"], record["at"])
        await poller.wait()
        lags = [drawn[n] - reconnected[n] for n in names if n in drawn]
        polled = [listed[n] - reconnected[n] for n in names if n in listed and n in reconnected]

        def spread(values: list[float]) -> str:
            if not values:
                return "none seen"
            return (
                f"median {statistics.median(values) * 1000:.0f} ms, "
                f"max {max(values) * 1000:.0f} ms ({len(values)} of {clients})"
            )

        report("reconnect -> natslab's screen shows the client on B", spread(lags), "<= 250 ms")
        report("reconnect -> a /connz poller at 1 s lists it on B", spread(polled), "reported")
        report(
            f"  cost: natslab, whole process (TUI, {clients} clients, polls), quiet {window:.0f} s",
            f"{natslab_share * 10:.0f} ms CPU/s",
            "reported",
        )
        per_second = poller_cpu / poller_seconds
        report(
            "  cost: the /connz poller (one server)",
            f"{per_second * 1000:.0f} ms CPU/s, {polls / poller_seconds:.1f} polls/s",
            "reported",
        )
    finally:
        await session.close()


async def bench_tui(samples: int, rate: float) -> None:
    """Keys under a log flood, and how soon a failover is drawn, both through Pilot."""
    from natslab.tui.app import NatsLabApp
    from natslab.tui.widgets.client_panel import ClientPanel

    session = open_lab()
    offset = find_free_offset("ABC")
    try:
        for name in "ABC":
            spec = walkthrough_spec(name, offset, log_flags=("-DV",), cluster_name="bench")
            await session.source.supervisor.start(spec)
        await session.source.supervisor.wait_for_mesh("ABC")
        app = NatsLabApp(session, list("ABC"))
        async with app.run_test(size=(160, 50)) as pilot:
            # One publisher per server, in its own process (the flood is the servers' output,
            # not natslab's own publishing): each traced message is a few -DV lines.
            floods = [
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-c",
                    PACED_PUBLISHER,
                    session.source.client_url(name),
                    str(rate),
                    "600",
                )
                for name in "ABC"
            ]
            lines: dict[str, int] = {}

            def count(event: object) -> None:
                if isinstance(event, LogLines):
                    lines[event.server] = lines.get(event.server, 0) + len(event.lines)

            session.bus.subscribe(count)
            await pilot.pause(1.0)
            # Count only the lines logged while the keys are pressed.
            lines.clear()
            flood_start = time.perf_counter()
            latencies = []
            for _ in range(samples):
                # tab moves the focus: the smallest thing a key can do that shows on screen.
                # The key goes in as the terminal driver would post it; Pilot.press would also
                # wait for the screen to fall idle, which a flooding log never lets it do.
                before = app.focused
                start = time.perf_counter()
                app.simulate_key("tab")
                while app.focused is before:
                    await asyncio.sleep(0.001)
                latencies.append(time.perf_counter() - start)
                await asyncio.sleep(0.05)
            per_server = min(lines.values()) / (time.perf_counter() - flood_start)
            latencies.sort()
            p95 = latencies[max(0, int(len(latencies) * 0.95) - 1)]
            report(
                f"key latency under flood (~{per_server:,.0f} lines/s per server), p95",
                f"{p95 * 1000:.0f} ms (median {statistics.median(latencies) * 1000:.0f} ms)",
                "<= 100 ms",
            )

            url = session.source.client_url("A")
            subs = await session.source.fleet.start_subscribers(5, [url], prefix="watch")
            while not all(
                {"B", "C"} <= session.state.clients[s.name].known_servers() for s in subs
            ):
                await asyncio.sleep(0.01)
            moved: dict[str, float] = {}
            session.bus.subscribe(
                lambda e: (
                    moved.setdefault(e.client, e.at) if isinstance(e, ClientReconnected) else None
                )
            )
            await session.source.supervisor.stop("A")
            table = app.query_one(ClientPanel).query_one("DataTable")
            drawn: dict[str, float] = {}
            deadline = time.time() + 30
            while len(drawn) < len(subs) and time.time() < deadline:
                for s in subs:
                    if s.name in moved and s.name not in drawn:
                        try:
                            shown = table.get_row(s.name)[1].plain  # type: ignore[attr-defined]
                        except Exception:
                            continue
                        if shown[-1:] in {"B", "C"}:
                            drawn[s.name] = time.time() - moved[s.name]
                await asyncio.sleep(0.005)
            report(
                "failover: client reconnected -> TUI shows it (max)",
                f"{max(drawn.values()) * 1000:.0f} ms",
                "<= 250 ms",
            )
            for flood in floods:
                flood.kill()
                await flood.wait()
    finally:
        await session.close()
