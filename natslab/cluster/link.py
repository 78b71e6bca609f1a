"""Link proxies: every route between two lab servers runs through a TCP proxy on 127.0.0.1
that natslab controls, so a link can be cut, black-holed, delayed and healed.

Server X reaches server Y through the proxy of the directed link X->Y (its port:
ports.link_port), which forwards to Y's cluster port. A route's connections are dialed by
either side, so a pair is controlled through both of its directed links.

A proxy on the configured route alone does not control a pair: gossip (route.go
processImplicitRoute) dials the address a server advertises, around any proxy, whenever a
route to a pair's server is made. Every linked server therefore advertises one shared
hostname address, `localhost:<gossip sink>` (--cluster_advertise): each server counts that
address as itself (route.go startRouteAcceptLoop keeps every local IP with the advertised
port in routesToSelf) and getRandomIP (server.go) drops it, so no gossip is ever dialed and
only the configured routes, through the proxies, form. The sink listens all the same, so
a dial that did happen would be counted and refused, never reach a server.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from natslab.cancels import cancel_and_wait
from natslab.cluster.ports import gossip_sink_port, link_port, port_taken_message, ports_for
from natslab.errors import PortInUseError

LOOPBACK = "127.0.0.1"
CHUNK = 65536
LinkKind = Literal["pass", "cut", "blackhole", "delay"]


@dataclass(frozen=True)
class LinkMode:
    """What a link does to what crosses it: pass it, refuse it (cut), hold it (black
    hole), or pass it late (delay: `ms` plus up to `jitter_ms`, drawn uniformly)."""

    kind: LinkKind = "pass"
    ms: float = 0.0
    jitter_ms: float = 0.0

    def words(self) -> str:
        match self.kind:
            case "delay" if self.jitter_ms:
                return f"delayed {self.ms:g} ms + up to {self.jitter_ms:g} ms"
            case "delay":
                return f"delayed {self.ms:g} ms"
            case "blackhole":
                return "black hole"
        return self.kind


PASS = LinkMode()


class _Piped:
    """One connection through a proxy: the dialer's end, the far end once dialed, and the
    task that carries bytes between them."""

    def __init__(self, near: asyncio.StreamWriter) -> None:
        self.near = near
        self.far: asyncio.StreamWriter | None = None
        self.task: asyncio.Task[None] | None = None

    def abort(self) -> None:
        self.near.transport.abort()
        if self.far is not None:
            self.far.transport.abort()


class LinkProxy:
    """The directed link source->target: listens on 127.0.0.1:port while the link may carry
    anything, and pipes each connection to the target's cluster port."""

    def __init__(self, source: str, target: str, port: int, target_port: int) -> None:
        self.source, self.target = source, target
        self.port, self.target_port = port, target_port
        self.mode = PASS
        self.target_up = False
        self.accepted = 0
        self._server: asyncio.Server | None = None
        self._piped: set[_Piped] = set()
        self._flowing = asyncio.Event()
        self._flowing.set()
        self._lock = asyncio.Lock()

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def connections(self) -> int:
        return len(self._piped)

    def should_listen(self) -> bool:
        """A cut refuses; otherwise listen while the target does (a proxy that accepted for
        a stopped server would make each redial a connection that closes at once, where a
        direct route is refused), except that a black hole takes in whatever comes."""
        return self.mode.kind != "cut" and (self.target_up or self.mode.kind == "blackhole")

    async def set_mode(self, mode: LinkMode) -> int:
        """Change what the link does; returns how many connections a cut closed."""
        self.mode = mode
        if mode.kind == "blackhole":
            self._flowing.clear()
        else:
            self._flowing.set()
        await self.refresh()  # a cut stops listening first, so nothing new slips in
        return await self.close_connections() if mode.kind == "cut" else 0

    async def refresh(self) -> None:
        """Listen, or stop listening, as the mode and the target's state say."""
        async with self._lock:
            if self.should_listen() and self._server is None:
                try:
                    self._server = await asyncio.start_server(self._serve, LOOPBACK, self.port)
                except OSError:
                    raise PortInUseError(
                        port_taken_message(self.port, f"link port {self.source}->{self.target}")
                    ) from None
            elif not self.should_listen():
                self.stop_listening()

    def stop_listening(self) -> None:
        """Refuse new connections (synchronous: a server's exit is heard in a callback)."""
        if self._server is not None:
            self._server.close()
            self._server = None

    async def close_connections(self) -> int:
        """Close every connection through this link, both ends, and wait for their tasks."""
        piped = list(self._piped)
        for each in piped:
            each.abort()
            await cancel_and_wait(each.task)
        self._piped.difference_update(piped)
        return len(piped)

    async def aclose(self) -> None:
        self.stop_listening()
        await self.close_connections()

    # --- one connection ------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """asyncio's callback for a new connection: the carrying happens in a task of ours,
        which a cut cancels (asyncio reports a cancelled callback task as an error)."""
        self.accepted += 1
        piped = _Piped(writer)
        self._piped.add(piped)
        piped.task = asyncio.create_task(
            self._carry(piped, reader), name=f"link {self.source}->{self.target}"
        )
        await asyncio.wait([piped.task])

    async def _carry(self, piped: _Piped, reader: asyncio.StreamReader) -> None:
        try:
            await self._flowing.wait()  # a black hole holds a new connection, undialled
            far_reader, piped.far = await asyncio.open_connection(LOOPBACK, self.target_port)
            pipes = [
                asyncio.create_task(self._pipe(reader, piped.far)),
                asyncio.create_task(self._pipe(far_reader, piped.near)),
            ]
            try:
                await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for pipe in pipes:
                    await _quietly(pipe)
        except OSError:
            pass  # the target refused or a side reset: the connection ends, as it would
        finally:
            piped.abort()
            self._piped.discard(piped)

    async def _pipe(self, source: asyncio.StreamReader, into: asyncio.StreamWriter) -> None:
        """Copy one direction, each chunk no sooner than the delay after it arrived and in
        order; nothing moves while the link is a black hole (the bytes wait in the
        sockets' buffers, as TCP's own retransmissions would keep them)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def read() -> None:
            due = 0.0
            try:
                while True:
                    await self._flowing.wait()
                    data = await source.read(CHUNK)
                    if not data:
                        return
                    due = max(due, loop.time() + self._latency())
                    queue.put_nowait((due, data))
            finally:
                queue.put_nowait((0.0, b""))

        reading = asyncio.create_task(read())
        try:
            while True:
                due, data = await queue.get()
                if not data:
                    return
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)  # the delay itself, not a wait for a state
                await self._flowing.wait()
                if into.is_closing():
                    return
                into.write(data)
                await into.drain()
        finally:
            await _quietly(reading)

    def _latency(self) -> float:
        if self.mode.kind != "delay":
            return 0.0
        return (self.mode.ms + random.uniform(0, self.mode.jitter_ms)) / 1000


async def _quietly(task: asyncio.Task[None]) -> None:
    """Cancel a pipe and wait for it; a reset it met is the connection's end, not ours."""
    with contextlib.suppress(OSError):
        await cancel_and_wait(task)


class GossipSink:
    """The address every linked server advertises: no server dials it (each takes it for
    itself), and a dial that came anyway is counted and closed."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.dials = 0
        self._server: asyncio.Server | None = None

    async def start(self) -> None:
        if self._server is None:
            try:
                self._server = await asyncio.start_server(self._refuse, LOOPBACK, self.port)
            except OSError:
                raise PortInUseError(
                    port_taken_message(self.port, "gossip sink of the link proxies")
                ) from None

    async def _refuse(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.dials += 1
        writer.transport.abort()

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None


class LinkSet:
    """Every link proxy of one run, with the mode of each directed link (kept for links
    whose proxy is not made yet, so a server started after a cut starts cut off)."""

    def __init__(self, offset: int = 0) -> None:
        self.offset = offset
        self.sink = GossipSink(gossip_sink_port(offset))
        self.proxies: dict[tuple[str, str], LinkProxy] = {}
        self.modes: dict[tuple[str, str], LinkMode] = {}
        self.up: set[str] = set()

    async def prepare(self, source: str, targets: tuple[str, ...]) -> None:
        """Before a linked server starts: the sink, and a proxy to each server it solicits."""
        await self.sink.start()
        for target in targets:
            await self.open(source, target)

    async def open(self, source: str, target: str) -> LinkProxy:
        """The proxy source dials to reach target, made and listening if it may."""
        key = (source, target)
        if key not in self.proxies:
            proxy = LinkProxy(
                source,
                target,
                link_port(source, target, self.offset),
                ports_for(target, self.offset).cluster,
            )
            proxy.mode = self.modes.get(key, PASS)
            proxy.target_up = target in self.up
            self.proxies[key] = proxy
            await proxy.set_mode(proxy.mode)
        return self.proxies[key]

    def between(self, a: str, b: str) -> Iterator[LinkProxy]:
        """The proxies of a pair that exist (one per side that solicits the other)."""
        for key in ((a, b), (b, a)):
            if key in self.proxies:
                yield self.proxies[key]

    async def set_pair(self, a: str, b: str, mode: LinkMode) -> int:
        """Both directed links of a pair take `mode`; returns how many connections closed."""
        self.modes[(a, b)] = self.modes[(b, a)] = mode
        return sum([await proxy.set_mode(mode) for proxy in self.between(a, b)])

    def mode(self, a: str, b: str) -> LinkMode:
        return self.modes.get((a, b), PASS)

    async def target_started(self, name: str) -> None:
        """`name` is ready: the links into it listen (unless cut)."""
        self.up.add(name)
        for proxy in self._into(name):
            proxy.target_up = True
            await proxy.refresh()

    def target_exited(self, name: str) -> None:
        """`name` has exited: the links into it refuse, as its own port now does."""
        self.up.discard(name)
        for proxy in self._into(name):
            proxy.target_up = False
            if not proxy.should_listen():
                proxy.stop_listening()

    def _into(self, name: str) -> list[LinkProxy]:
        return [proxy for (_, target), proxy in self.proxies.items() if target == name]

    async def aclose(self) -> None:
        """Stop every proxy and the sink: nothing listening, no connection, no task left."""
        for proxy in self.proxies.values():
            await proxy.aclose()
        self.sink.close()
