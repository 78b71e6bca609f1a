"""Many lab clients at once: start N subscribers, a publisher, stop them, report their counts."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Iterable, Sequence

from natslab.bus import EventBus
from natslab.cancels import cancel_and_wait
from natslab.clients.client import ClientOptions, LabClient, Publisher, Responder, Subscriber
from natslab.clients.ledger import LedgerPublisher, LedgerReader
from natslab.errors import ClientSetupError
from natslab.words import counted

COUNTS_INTERVAL = 0.25
CLIENT_STOP_TIMEOUT = 5.0
FIRST_MESSAGE_TIMEOUT = 10.0


class Fleet:
    """Owns every lab client; totals are sent on the bus a few times a second when they change."""

    def __init__(self, bus: EventBus | None = None) -> None:
        self.bus = bus or EventBus()
        self.clients: dict[str, LabClient] = {}
        self._sent_counts: dict[str, object] = {}
        self._ticker: asyncio.Task[None] | None = None

    def _next_names(self, prefix: str, count: int) -> list[str]:
        numbers = (n for n in itertools.count(1) if f"{prefix}-{n}" not in self.clients)
        return [f"{prefix}-{n}" for n in itertools.islice(numbers, count)]

    async def _start(self, clients: Sequence[LabClient]) -> None:
        for client in clients:
            if client.name in self.clients:
                raise ClientSetupError(f"There is already a client named {client.name}.")
            self.clients[client.name] = client
        results = await asyncio.gather(*(c.start() for c in clients), return_exceptions=True)
        failures = [r for r in results if isinstance(r, BaseException)]
        if failures:
            await self.stop(c.name for c in clients)
            raise failures[0]
        self._ensure_ticker()

    async def start_subscribers(
        self,
        count: int,
        seeds: Sequence[str],
        options: ClientOptions | None = None,
        subject: str = ">",
        prefix: str = "sub",
    ) -> list[Subscriber]:
        """Start `count` subscribers named prefix-1, prefix-2, ... (numbering continues)."""
        emit = self.bus.emit
        subs = [
            Subscriber(name, seeds, emit, options, subject)
            for name in self._next_names(prefix, count)
        ]
        await self._start(subs)
        return subs

    async def start_responders(
        self,
        count: int,
        seeds: Sequence[str],
        options: ClientOptions | None = None,
        subject: str = "natslab.svc",
        queue: str = "natslab",
        prefix: str = "svc",
    ) -> list[Responder]:
        """Start `count` responders in queue group `queue`, named prefix-1, prefix-2, ..."""
        emit = self.bus.emit
        members = [
            Responder(name, seeds, emit, options, subject, queue)
            for name in self._next_names(prefix, count)
        ]
        await self._start(members)
        return members

    async def until_receiving(
        self, subs: Sequence[Subscriber], timeout: float = FIRST_MESSAGE_TIMEOUT
    ) -> None:
        """Return once every one of `subs` has received a message; a sentence if not."""
        deadline = asyncio.get_running_loop().time() + timeout
        while waiting := [s.name for s in subs if s.received == 0]:
            if asyncio.get_running_loop().time() > deadline:
                raise ClientSetupError(
                    f"{counted(len(waiting), 'subscriber')} ({', '.join(waiting)}) had no "
                    f"message within {timeout:g} s: is a publisher running?"
                )
            await asyncio.sleep(0.02)

    async def start_publisher(
        self,
        seeds: Sequence[str],
        rate: float = 200.0,
        options: ClientOptions | None = None,
        name: str | None = None,
    ) -> Publisher:
        name = name or self._next_names("pub", 1)[0]
        publisher = Publisher(name, seeds, self.bus.emit, options, rate)
        await self._start([publisher])
        return publisher

    async def start_ledger(
        self,
        seeds: Sequence[str],
        stream: str,
        subject: str,
        rate: float = 200.0,
        name: str = "ledger",
    ) -> tuple[LedgerPublisher, LedgerReader]:
        """A ledger publisher `name` and its durable reader `name`-reader."""
        emit = self.bus.emit
        publisher = LedgerPublisher(name, seeds, emit, subject=subject, rate=rate)
        reader = LedgerReader(f"{name}-reader", seeds, emit, stream=stream, subject=subject)
        await self._start([publisher, reader])
        return publisher, reader

    def publishers(self) -> list[Publisher]:
        return [c for c in self.clients.values() if isinstance(c, Publisher)]

    async def stop(self, names: Iterable[str] | None = None) -> None:
        """Stop the named clients (all when None) and forget them."""
        chosen = list(self.clients) if names is None else [n for n in names if n in self.clients]
        clients = [self.clients[n] for n in chosen]
        # A client that cannot say goodbye in time (nats-py waiting on a dead server) must
        # not hold up the rest, nor the servers' shutdown behind it.
        await asyncio.gather(
            *(asyncio.wait_for(c.stop(), CLIENT_STOP_TIMEOUT) for c in clients),
            return_exceptions=True,
        )
        self.send_counts()
        for name in chosen:
            del self.clients[name]

    async def aclose(self) -> None:
        await cancel_and_wait(self._ticker)
        await self.stop()

    def send_counts(self) -> None:
        """Emit each client's message totals if they changed since last time."""
        for client in self.clients.values():
            key = client.count_key()
            if key is None or self._sent_counts.get(client.name) == key:
                continue
            self._sent_counts[client.name] = key
            counts = client.counts()
            if counts is not None:
                self.bus.emit(counts)

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.create_task(self._tick(), name="fleet counts")

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(COUNTS_INTERVAL)
            self.send_counts()
