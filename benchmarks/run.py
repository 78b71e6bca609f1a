"""natslab benchmarks: print figures against their targets. `--quick` is CI's smoke run.

python benchmarks/run.py            # the full run written down in BENCHMARKS.md
python benchmarks/run.py --quick    # one short round of each, to show they still work
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from natslab.clients.events import ClientReconnected
from natslab.cluster.events import LogLines
from natslab.cluster.ports import find_free_offset, ports_for
from natslab.cluster.spec import walkthrough_spec
from natslab.lab.session import LabSession

NATSLAB = str(Path(sys.executable).parent / "natslab")
PACED_PUBLISHER = """
import asyncio, sys, nats
async def main():
    async def quiet(e): pass
    nc = await nats.connect(sys.argv[1], error_cb=quiet)
    loop = asyncio.get_running_loop()
    rate, end = float(sys.argv[2]), loop.time() + float(sys.argv[3])
    sent, start = 0, loop.time()
    while loop.time() < end:
        await nc.publish("flood", b"x" * 16)
        sent += 1
        ahead = sent / rate - (loop.time() - start)
        if ahead > 0:
            await asyncio.sleep(ahead)
    await nc.close()
asyncio.run(main())
"""
FLOOD_PUBLISHER = """
import asyncio, sys, nats
async def main():
    async def quiet(e): pass
    nc = await nats.connect(sys.argv[1], error_cb=quiet)
    end = asyncio.get_running_loop().time() + float(sys.argv[2])
    while asyncio.get_running_loop().time() < end:
        for _ in range(200):
            await nc.publish("flood", b"x" * 16)
        await nc.flush()
    await nc.close()
asyncio.run(main())
"""


def report(name: str, value: str, target: str) -> None:
    print(f"{name:<58} {value:>22}   target {target}", flush=True)


def bench_help(runs: int) -> None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([NATSLAB, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    report("start-up: natslab --help (median)", f"{statistics.median(times):.3f} s", "<= 0.3 s")


def bench_upgrade(runs: int) -> None:
    walls, unavoidable = [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            results = Path(tmp) / "upgrade.json"
            env = os.environ | {"NATSLAB_STATE_DIR": tmp}
            start = time.perf_counter()
            subprocess.run(
                [
                    NATSLAB,
                    "tutorial",
                    "upgrade",
                    "--headless",
                    "--port-offset",
                    "auto",
                    "--json",
                    str(results),
                ],
                capture_output=True,
                check=True,
                env=env,
            )
            walls.append(time.perf_counter() - start)
            steps = json.loads(results.read_text())["steps"]
            # What nats-server and nats-py impose: the 3 s the route-retry quiet window needs
            # (step 2) and the failover steps, where clients may sit out a 2 s reconnect wait.
            unavoidable.append(sum(steps[i]["duration"] for i in (1, 4, 6, 8)))
    report(
        "tutorial upgrade --headless, wall (median)", f"{statistics.median(walls):.1f} s", "<= 15 s"
    )
    report(
        "  of which waits imposed by server/client (median)",
        f"{statistics.median(unavoidable):.1f} s",
        "reported",
    )


async def bench_visibility(clients: int) -> None:
    session = LabSession.open()
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
            await session.supervisor.start(walkthrough_spec(name, offset))
        await session.supervisor.wait_for_mesh("AB")
        names = [
            s.name
            for s in await session.fleet.start_subscribers(clients, [session.client_url("A")])
        ]
        await session.supervisor.start(walkthrough_spec("C", offset))
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
        await session.supervisor.stop("A")
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
    session = LabSession.open()
    offset = find_free_offset("A")
    lines = 0

    def count(event: object) -> None:
        nonlocal lines
        if isinstance(event, LogLines):
            lines += len(event.lines)

    session.bus.subscribe(count)
    me = psutil.Process()
    try:
        await session.supervisor.start(
            walkthrough_spec("A", offset, route_to=(), log_flags=("-DV",))
        )
        rss0 = me.memory_info().rss
        publisher = await asyncio.create_subprocess_exec(
            sys.executable, "-c", FLOOD_PUBLISHER, session.client_url("A"), str(seconds)
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


async def bench_scale(servers: str, clients: int) -> None:
    from natslab.tui.app import NatsLabApp
    from natslab.tui.widgets.client_panel import ClientPanel

    session = LabSession.open()
    offset = find_free_offset(servers)
    me = psutil.Process()
    me.cpu_percent(None)
    try:
        for name in servers:
            await session.supervisor.start(walkthrough_spec(name, offset))
        per_server = clients // len(servers)
        for name in servers:
            await session.fleet.start_subscribers(
                per_server, [session.client_url(name)], prefix=f"s{name.lower()}"
            )
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


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def _cpu_share(process: psutil.Process, seconds: float) -> float:
    """Percent of one core this process used over the next `seconds` of wall time."""
    cpu, wall = _cpu_seconds(process), time.perf_counter()
    await asyncio.sleep(seconds)
    return 100 * (_cpu_seconds(process) - cpu) / (time.perf_counter() - wall)


async def bench_idle(servers: str, clients: int, window: float) -> None:
    """An idle lab: `clients` connected subscribers and nothing else happening, headless
    (monitoring polls only) and then with the TUI open, in the same process; and the
    client panel's full refresh at that size."""
    from natslab.tui.app import NatsLabApp
    from natslab.tui.widgets.client_panel import ClientPanel

    session = LabSession.open()
    offset = find_free_offset(servers)
    me = psutil.Process()
    try:
        for name in servers:
            await session.supervisor.start(walkthrough_spec(name, offset))
        per_server = clients // len(servers)
        for name in servers:
            await session.fleet.start_subscribers(
                per_server, [session.client_url(name)], prefix=f"s{name.lower()}"
            )
        # The TUI's own polling: every 0.5 s, every 2 s once the lab has been quiet for 5 s.
        session.start_polling(interval=0.5, idle_interval=2.0)
        await asyncio.sleep(7.0)  # the first /connz rounds of the new clients, then quiet
        print("  idle: measuring headless", file=sys.stderr, flush=True)
        assert session.pacer is not None
        rounds = session.pacer.rounds
        headless = await _cpu_share(me, window)
        polls = (session.pacer.rounds - rounds) / window
        app = NatsLabApp(session, list(servers))
        async with app.run_test(size=(160, 50)) as pilot:
            await pilot.pause(2.0)
            print("  idle: measuring with the TUI open", file=sys.stderr, flush=True)
            tuis = [await _cpu_share(me, window) for _ in range(3)]
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

    session = LabSession.open()
    offset = find_free_offset("AB")
    reconnected: dict[str, float] = {}

    def note(event: object) -> None:
        if isinstance(event, ClientReconnected):
            reconnected.setdefault(event.client, event.at)

    session.bus.subscribe(note)
    me = psutil.Process()
    try:
        for name in "AB":
            await session.supervisor.start(walkthrough_spec(name, offset, cluster_name="bench"))
        await session.supervisor.wait_for_mesh("AB")
        subs = await session.fleet.start_subscribers(clients, [session.client_url("A")])
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
            natslab_share = await _cpu_share(me, window)
            await session.supervisor.stop("A")
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

    session = LabSession.open()
    offset = find_free_offset("ABC")
    try:
        for name in "ABC":
            spec = walkthrough_spec(name, offset, log_flags=("-DV",), cluster_name="bench")
            await session.supervisor.start(spec)
        await session.supervisor.wait_for_mesh("ABC")
        app = NatsLabApp(session, list("ABC"))
        async with app.run_test(size=(160, 50)) as pilot:
            # One publisher per server, in its own process (the flood is the servers' output,
            # not natslab's own publishing): each traced message is a few -DV lines.
            floods = [
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    "-c",
                    PACED_PUBLISHER,
                    session.client_url(name),
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

            url = session.client_url("A")
            subs = await session.fleet.start_subscribers(5, [url], prefix="watch")
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
            await session.supervisor.stop("A")
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


def bench_first_frame() -> None:
    """Start the TUI in tmux and time until the lesson panel is on the screen."""
    with tempfile.TemporaryDirectory() as tmp:
        name = f"natslab-bench-{os.getpid()}"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", "sleep 60"],
            check=True,
        )
        try:
            start = time.perf_counter()
            subprocess.run(
                [
                    "tmux",
                    "respawn-pane",
                    "-k",
                    "-t",
                    name,
                    f"env -u COLUMNS -u LINES NATSLAB_STATE_DIR={tmp} {NATSLAB} "
                    "tutorial upgrade --port-offset auto",
                ],
                check=True,
            )
            while time.perf_counter() - start < 20:
                screen = subprocess.run(
                    ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True
                ).stdout
                if "Press n to run step 1" in screen:
                    break
                time.sleep(0.01)
            report(
                "start-up: TUI first frame (tmux)",
                f"{time.perf_counter() - start:.2f} s",
                "<= 1.5 s",
            )
        finally:
            subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
            # Let natslab finish with its state directory before the directory goes.
            psutil.wait_procs(_natslab_processes(tmp), timeout=15)


def _natslab_processes(state_dir: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if NATSLAB in (proc.info["cmdline"] or [])[1:2] and (
                proc.environ().get("NATSLAB_STATE_DIR") == state_dir
            ):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def bench_jetstream(runs: int) -> None:
    """The jetstream-upgrade lesson: the careless step's longest stretch without an ack
    against the careful steps', and that no acknowledged message was lost."""
    careless, careful, walls = [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            results = Path(tmp) / "js.json"
            env = os.environ | {"NATSLAB_STATE_DIR": tmp}
            start = time.perf_counter()
            subprocess.run(
                [NATSLAB, "tutorial", "jetstream-upgrade", "--headless", "--port-offset",
                 "auto", "--json", str(results)],
                capture_output=True, check=True, env=env,
            )  # fmt: skip
            walls.append(time.perf_counter() - start)
            steps = json.loads(results.read_text())["steps"]

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
    from natslab.cluster.ports import find_free_offset
    from natslab.lab import operations as ops
    from natslab.lab.session import LabSession
    from natslab.lab.settings import RunSettings

    with tempfile.TemporaryDirectory() as tmp:
        session = LabSession.open(
            runs_base=Path(tmp), settings=RunSettings(offset=find_free_offset("ABC"))
        )
        try:
            for name in "ABC":
                await session.perform(
                    ops.StartServer(server=name, routes=("A", "B", "C"), cluster_name="lab",
                                    jetstream=True)
                )  # fmt: skip
            await session.perform(ops.CreateStream(server="A"))
            await session.perform(ops.StartLedger(seeds=("A",), rate=2000))
            ledger = session.fleet.clients["ledger"]
            before = len(ledger.acked)  # type: ignore[attr-defined]
            await asyncio.sleep(seconds)
            acked = len(ledger.acked) - before  # type: ignore[attr-defined]
            start = time.perf_counter()
            await session.perform(ops.VerifyLedger())
            took = time.perf_counter() - start
            verified = session.state.clients["ledger"].verified
            assert verified is not None and verified.missing == 0
            report("ledger: acknowledged publishes/s (R3 file, asked for 2000/s)",
                   f"{acked / seconds:.0f}/s", "reported")  # fmt: skip
            rate = f"{verified.stored / took:.0f} msgs/s ({verified.stored})"
            report("ledger: verification read-back", rate, "reported")
        finally:
            await session.close()


def _plain_server(port: int, monitor: int, routes: str = "", name: str = "W") -> subprocess.Popen:
    from natslab.cluster.binary import find_binary

    argv = [str(find_binary().path), "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor),
            "-n", name]  # fmt: skip
    if routes:
        argv += ["--cluster_name", "w", "-cluster", routes.split(",")[0], "-routes", routes]
    return subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def bench_watch(connections: int, moves: int) -> None:
    """natslab watch: one poll round against a server holding `connections` raw client
    connections, and how long after a named client's reconnect the watch shows the move,
    against its poll interval."""
    import socket

    import nats

    from natslab.cluster import events as ev
    from natslab.cluster.ports import find_free_offset, ports_for
    from natslab.watch.runner import Watch

    offset = find_free_offset("AB")
    a, b = ports_for("A", offset), ports_for("B", offset)
    routes = f"nats://127.0.0.1:{a.cluster},nats://127.0.0.1:{b.cluster}"
    procs = [
        _plain_server(a.client, a.monitor, f"nats://127.0.0.1:{a.cluster},{routes}", "A"),
        _plain_server(b.client, b.monitor, f"nats://127.0.0.1:{b.cluster},{routes}", "B"),
    ]
    sockets: list[socket.socket] = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NATSLAB_STATE_DIR"] = tmp
        try:
            await asyncio.sleep(1.0)
            for _ in range(connections):  # a client as cheap as can be: CONNECT, then idle
                sock = socket.create_connection(("127.0.0.1", a.client))
                sock.sendall(b'CONNECT {"verbose":false}\r\nPING\r\n')
                sockets.append(sock)
            watch = Watch([f"http://127.0.0.1:{a.monitor}"], interval=0.5)
            rounds = []
            for _ in range(5):
                start = time.perf_counter()
                (result,) = await watch.round()
                rounds.append(time.perf_counter() - start)
            total = getattr(result, "total_connections", 0)
            await watch.aclose()
            took = f"{statistics.median(rounds) * 1000:.0f} ms"
            report(f"watch: one poll round, {total} connections (median of 5)", took, "<= 500 ms")
            for sock in sockets:
                sock.close()
            sockets.clear()

            for interval in (0.1, 0.5):
                delays = []
                watch = Watch([f"http://127.0.0.1:{a.monitor}", f"http://127.0.0.1:{b.monitor}"],
                              interval=interval)  # fmt: skip
                shown: list[float] = []

                def note(event: object, shown: list[float] = shown) -> None:
                    if isinstance(event, ev.WatchedClientMoved):
                        shown.append(time.time())

                watch.bus.subscribe(note)
                runner = asyncio.create_task(watch.run())
                for n in range(moves):
                    server = (a, b)[n % 2]
                    nc = await nats.connect(f"nats://127.0.0.1:{server.client}", name="mover")
                    await asyncio.sleep(interval * 3)
                    await nc.close()
                    other = (b, a)[n % 2]
                    nc = await nats.connect(f"nats://127.0.0.1:{other.client}", name="mover")
                    connected = time.time()
                    before = len(shown)
                    deadline = time.monotonic() + 10
                    while len(shown) == before and time.monotonic() < deadline:
                        await asyncio.sleep(0.01)
                    if len(shown) > before:
                        delays.append(shown[-1] - connected)
                    await nc.close()
                    await asyncio.sleep(interval * 3)
                runner.cancel()
                await asyncio.gather(runner, return_exceptions=True)
                await watch.aclose()
                shown_after = f"{statistics.median(delays) * 1000:.0f} ms ({len(delays)} moves)"
                name = f"watch: reconnect -> move shown, every {interval * 1000:.0f} ms (median)"
                report(name, shown_after, "<= interval")
        finally:
            for sock in sockets:
                sock.close()
            for proc in procs:
                proc.kill()
                proc.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short round of each")
    parser.add_argument(
        "--soak", type=float, metavar="SECONDS", help="only the log-ingestion flood, this long"
    )
    parser.add_argument(
        "--flood-rate",
        type=float,
        default=1500,
        metavar="MSGS",
        help="messages/s per server in the TUI flood (each is ~2.7 log lines at -DV)",
    )
    parser.add_argument(
        "--only",
        choices=[
            "help",
            "first-frame",
            "upgrade",
            "visibility",
            "ingest",
            "scale",
            "tui",
            "jetstream",
            "ledger",
            "watch",
            "idle",
            "connz",
        ],
        help="run just this benchmark",
    )
    args = parser.parse_args()
    if args.soak:
        asyncio.run(bench_ingest(args.soak))
        return 0
    quick = args.quick
    print(f"natslab benchmarks on {os.cpu_count()} cores ({'quick' if quick else 'full'} run)")
    benchmarks = {
        "help": lambda: bench_help(3 if quick else 15),
        "first-frame": bench_first_frame,
        "upgrade": lambda: bench_upgrade(1 if quick else 3),
        "visibility": lambda: asyncio.run(bench_visibility(5 if quick else 20)),
        "ingest": lambda: asyncio.run(bench_ingest(1.0 if quick else 10.0)),
        "scale": lambda: asyncio.run(
            bench_scale("ABC" if quick else "ABCDE", 30 if quick else 500)
        ),
        "tui": lambda: asyncio.run(
            bench_tui(5 if quick else 40, 300 if quick else args.flood_rate)
        ),
        "jetstream": lambda: bench_jetstream(1 if quick else 5),
        "ledger": lambda: asyncio.run(bench_ledger(2.0 if quick else 10.0)),
        "watch": lambda: asyncio.run(bench_watch(500 if quick else 10_000, 2 if quick else 10)),
        "connz": lambda: asyncio.run(
            bench_visibility_vs_connz(5 if quick else 20, 2 if quick else 10)
        ),
        "idle": lambda: asyncio.run(
            bench_idle("ABC" if quick else "ABCDE", 60 if quick else 2000, 3 if quick else 10)
        ),
    }
    for name, bench in benchmarks.items():
        if args.only in (None, name):
            bench()
    return 0


if __name__ == "__main__":
    sys.exit(main())
