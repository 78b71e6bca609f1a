"""Whether a room's server takes a TCP connection at all: a refused port says so at once,
where nats-py would retry (the participant's join and the instructor's reads both ask)."""

from __future__ import annotations

import asyncio
import contextlib


async def reachable(host: str, port: int, timeout: float = 3.0) -> None:
    """A plain TCP connect first: a refused port says so at once, where nats-py retries."""
    _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def reachable_any(urls: list[str]) -> str:
    """The first of `urls` that takes a TCP connection, or the last one's error."""
    error: OSError | TimeoutError = OSError("no server given")
    for url in urls:
        host, _, port = url.removeprefix("nats://").rpartition(":")
        try:
            await reachable(host, int(port))
            return url
        except (OSError, TimeoutError) as exc:
            error = exc
    raise error
