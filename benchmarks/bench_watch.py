"""natslab watch over plain nats-server processes it did not start."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from common import report

from natslab.cluster.ports import find_free_offset, ports_for

# A system account for the watch that goes through it; clients without a login land in APP.
ACCOUNTS = """
accounts {
  SYS { users = [ { user: watcher, password: watch-only } ] }
  APP { users = [ { user: anyone, password: not-asked } ] }
}
system_account: SYS
no_auth_user: anyone
"""


def _plain_server(
    port: int, monitor: int, routes: str = "", name: str = "W", config: str = ""
) -> subprocess.Popen:
    from natslab.cluster.binary import find_binary

    argv = [str(find_binary().path), "-a", "127.0.0.1", "-p", str(port), "-m", str(monitor),
            "-n", name]  # fmt: skip
    if config:
        argv += ["-c", config]
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
    from natslab.watch.login import SystemLogin
    from natslab.watch.runner import Watch
    from natslab.watch.system import SystemRounds

    offset = find_free_offset("AB")
    a, b = ports_for("A", offset), ports_for("B", offset)
    routes = f"nats://127.0.0.1:{a.cluster},nats://127.0.0.1:{b.cluster}"
    sockets: list[socket.socket] = []
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NATSLAB_STATE_DIR"] = tmp
        config = Path(tmp) / "accounts.conf"
        config.write_text(ACCOUNTS)
        procs = [
            _plain_server(a.client, a.monitor, f"nats://127.0.0.1:{a.cluster},{routes}", "A",
                          str(config)),
            _plain_server(b.client, b.monitor, f"nats://127.0.0.1:{b.cluster},{routes}", "B",
                          str(config)),
        ]  # fmt: skip
        try:
            await asyncio.sleep(1.0)
            for _ in range(connections):  # a client as cheap as can be: CONNECT, then idle
                sock = socket.create_connection(("127.0.0.1", a.client))
                sock.sendall(b'CONNECT {"verbose":false}\r\nPING\r\n')
                sockets.append(sock)
            watch = Watch.over_http([f"http://127.0.0.1:{a.monitor}"], interval=0.5)
            rounds = []
            for _ in range(5):
                start = time.perf_counter()
                (result,) = await watch.round()
                rounds.append(time.perf_counter() - start)
            total = getattr(result, "total_connections", 0)
            await watch.aclose()
            took = f"{statistics.median(rounds) * 1000:.0f} ms"
            report(f"watch: one poll round, {total} connections (median of 5)", took, "<= 500 ms")
            login = SystemLogin(
                f"nats://127.0.0.1:{b.client}", user="watcher", password="watch-only"
            )
            system = SystemRounds(login, 0.5)
            await system.open()
            rounds = []
            for _ in range(5):
                start = time.perf_counter()
                answers = await system.round()
                rounds.append(time.perf_counter() - start)
            await system.aclose()
            counts = {
                getattr(r, "server", "?"): getattr(r, "total_connections", 0) for r in answers
            }
            took = f"{statistics.median(rounds) * 1000:.0f} ms ({counts})"
            report("watch through the system account: one round, both servers (median of 5)",
                   took, "<= 500 ms")  # fmt: skip
            for sock in sockets:
                sock.close()
            sockets.clear()

            for interval in (0.1, 0.5):
                delays = []
                watch = Watch.over_http([f"http://127.0.0.1:{a.monitor}", f"http://127.0.0.1:{b.monitor}"],
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
