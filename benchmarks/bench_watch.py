"""natslab watch over plain nats-server processes it did not start."""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import tempfile
import time

from common import report

from natslab.cluster.ports import find_free_offset, ports_for


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
