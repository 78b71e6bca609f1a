"""What the lessons say of nats-py itself, shown on a real server: how many times it tries a
server before it drops it, and that it then closes for good."""

from __future__ import annotations

import asyncio
import subprocess

import nats

from natslab.cluster.ports import find_free_offset, ports_for
from tests.helpers import wait_until
from tests.watched import listening


async def test_nats_py_drops_a_server_after_one_more_try_than_its_limit_then_closes(binary):
    """The lessons' "61 failed tries" for nats-py's default of 60: a limit of 3 gives 4
    refused dials, then NoServersError and a closed connection (client.py
    `_select_next_server` drops a server once its count is over the limit)."""
    port = ports_for("A", find_free_offset("A")).client
    server = subprocess.Popen([str(binary.path), "-a", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    refused: list[Exception] = []
    closed = asyncio.Event()

    async def noted(exc: Exception) -> None:
        if isinstance(exc, ConnectionRefusedError | OSError):
            refused.append(exc)

    async def on_closed() -> None:
        closed.set()

    try:
        wait_until(lambda: listening(port), 20, what="the server")
        nc = await nats.connect(
            f"nats://127.0.0.1:{port}", max_reconnect_attempts=3, reconnect_time_wait=0.05,
            error_cb=noted, closed_cb=on_closed,
        )  # fmt: skip
    finally:
        server.terminate()
        server.wait(10)
    await asyncio.wait_for(closed.wait(), 60)
    assert len(refused) == 3 + 1, refused
    assert nc.is_closed and isinstance(nc.last_error, nats.errors.NoServersError)
