"""One lab client on nats-py: connects, reports every callback as an event, never prints."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import nats.errors
from nats.aio.client import Client as NATS
from nats.aio.msg import Msg

from natslab.cancels import raise_if_cancelled
from natslab.clients import events as ev
from natslab.clients.reconnect import avoid_lost_server
from natslab.errors import ClientSetupError

Emit = Callable[[ev.ClientEvent], None]
SEQ_SUBJECT_PREFIX = "natslab.seq."
BACKGROUND_STOP_TIMEOUT = 3.0


@dataclass(frozen=True)
class ClientOptions:
    """How a lab client reconnects. The defaults are nats-py's (a 2 s reconnect wait, a
    shuffled pool) but for one: a lab client retries forever, where nats-py drops a server
    after 61 failed tries (client.py `_select_next_server`, `> max_reconnect_attempts`, 60)
    and closes once none is left. `nats sub` retries forever too, with its own backoff."""

    dont_randomize: bool = False
    reconnect_wait: float = 2.0
    max_reconnect_attempts: int = -1  # -1: forever
    honor_lame_duck: bool = False
    avoid_lost_server: bool = False
    connect_timeout: float = 2.0
    user: str | None = None
    password: str | None = None


class LabClient:
    """A named nats-py connection whose state changes are emitted as they happen."""

    kind = "client"

    def __init__(
        self, name: str, seeds: Sequence[str], emit: Emit, options: ClientOptions | None = None
    ) -> None:
        self.name = name
        self.seeds = tuple(seeds)
        self.options = options or ClientOptions()
        self.nc: NATS = NATS()
        self._emit = emit
        self._disconnected_at: float | None = None
        self._last_url = ""
        self._closing = False
        self._task: asyncio.Task[None] | None = None  # what it does while connected, if any

    # --- lifecycle ---------------------------------------------------------------------

    async def start(self) -> None:
        """Connect to one of the seeds; fail with a sentence if none answers."""
        opts = self.options
        shown = asdict(opts) | {"password": "***" if opts.password else None}
        self._emit(
            ev.ClientStarting(client=self.name, kind=self.kind, seeds=self.seeds, options=shown)
        )
        try:
            await self.nc.connect(
                servers=list(self.seeds),
                name=self.name,
                dont_randomize=opts.dont_randomize,
                reconnect_time_wait=opts.reconnect_wait,  # type: ignore[arg-type]
                max_reconnect_attempts=opts.max_reconnect_attempts,
                connect_timeout=opts.connect_timeout,  # type: ignore[arg-type]
                allow_reconnect=True,
                user=opts.user,
                password=opts.password,
                error_cb=self._on_error,
                disconnected_cb=self._on_disconnected,
                reconnected_cb=self._on_reconnected,
                discovered_server_cb=self._on_discovered,
                closed_cb=self._on_closed,
                lame_duck_mode_cb=self._on_lame_duck,
                reconnect_to_server_handler=(
                    avoid_lost_server(opts.reconnect_wait) if opts.avoid_lost_server else None
                ),
            )
        except Exception as exc:
            self._closing = True
            raise ClientSetupError(
                f"Client {self.name} could not connect to {', '.join(self.seeds)}: "
                f"{_describe(exc)}."
            ) from exc
        self._emit(ev.ClientConnected(**self._placement()))

    def _in_background(self, work: Coroutine[Any, Any, None], label: str) -> None:
        self._task = asyncio.create_task(work, name=f"{label} {self.name}")

    async def _stop_background(self) -> None:
        """Cancel the background work; the wait is bounded, since nats-py can turn a
        cancellation into one of its own timeouts and carry on."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=BACKGROUND_STOP_TIMEOUT)
            self._task = None

    async def stop(self) -> None:
        """Close the connection; the closed event says the lab asked for it."""
        self._closing = True
        if not self.nc.is_closed:
            await self.nc.close()

    # --- what nats-py knows ------------------------------------------------------------

    @property
    def url(self) -> str:
        """host:port of the current server, or of the last one while reconnecting."""
        current = self.nc.connected_url
        if current is not None:
            self._last_url = current.netloc
        return self._last_url

    @property
    def server_name(self) -> str:
        # nats-py keeps the INFO of the server it is connected to, but only privately.
        info: dict[str, Any] = getattr(self.nc, "_server_info", {}) or {}
        return str(info.get("server_name", ""))

    @property
    def pool(self) -> tuple[str, ...]:
        """Every address nats-py may try, as host:port, seeds and gossip alike."""
        return tuple(u.netloc for u in self.nc.servers)

    @property
    def discovered(self) -> tuple[str, ...]:
        return tuple(u.netloc for u in self.nc.discovered_servers)

    def _placement(self) -> dict[str, Any]:
        """Where the client is now and what it knows: the fields every (re)connect reports."""
        return {
            "client": self.name,
            "url": self.url,
            "server_name": self.server_name,
            "client_id": self.nc.client_id,
            "pool": self.pool,
            "discovered": self.discovered,
        }

    # --- nats-py callbacks -------------------------------------------------------------

    async def _on_error(self, exc: Exception) -> None:
        self._emit(ev.ClientError(client=self.name, message=_describe(exc)))

    async def _on_disconnected(self) -> None:
        self._disconnected_at = time.monotonic()
        if not self._closing:
            self._emit(ev.ClientDisconnected(client=self.name, url=self.url))

    async def _on_reconnected(self) -> None:
        gap = None
        if self._disconnected_at is not None:
            gap = (time.monotonic() - self._disconnected_at) * 1000
            self._disconnected_at = None
        self._emit(ev.ClientReconnected(gap_ms=gap, **self._placement()))

    async def _on_discovered(self) -> None:
        self._emit(
            ev.ServersDiscovered(client=self.name, pool=self.pool, discovered=self.discovered)
        )

    async def _on_lame_duck(self) -> None:
        honor = self.options.honor_lame_duck
        self._emit(
            ev.LameDuckNotice(
                client=self.name, url=self.url, server_name=self.server_name, honored=honor
            )
        )
        if honor:
            await self._move_away()

    async def _move_away(self) -> None:
        # nats-py only reports the notice; moving away is the application's choice.
        await self.nc.force_reconnect()

    async def _on_closed(self) -> None:
        reason = "stopped by the lab" if self._closing else "gave up reconnecting"
        if not self._closing and isinstance(self.nc.last_error, nats.errors.AuthorizationError):
            # nats-py closes on an open connection's Authorization Violation without telling
            # error_cb (client.py _process_err); say it here, where it ends the client.
            self._emit(ev.ClientError(client=self.name, message=_describe(self.nc.last_error)))
            reason = "closed for good by nats-py after the server's Authorization Violation"
        self._emit(ev.ClientClosed(client=self.name, reason=reason))

    def counts(self) -> ev.ClientEvent | None:
        """Current totals, for clients that count messages."""
        return None

    def count_key(self) -> tuple[object, ...] | None:
        """The figures counts() reports, as a tuple that is cheap to compare: the fleet asks
        every client four times a second, and most have nothing new."""
        return None


class Subscriber(LabClient):
    """The `nats sub ">"` of the walkthrough, counting sequence numbers to find lost messages."""

    kind = "subscriber"

    def __init__(
        self,
        name: str,
        seeds: Sequence[str],
        emit: Emit,
        options: ClientOptions | None = None,
        subject: str = ">",
    ) -> None:
        super().__init__(name, seeds, emit, options)
        self.subject = subject
        self.received = 0
        self.lost = 0
        self.since_reconnect = 0
        self._last_seq: dict[str, int] = {}
        self._arrivals: dict[str, tuple[float, float]] = {}  # the last two messages' times
        self._loss_began: float | None = None  # of the first loss found since the last counts

    async def start(self) -> None:
        await super().start()
        await self.nc.subscribe(self.subject, cb=self._on_message)
        await self.nc.flush()

    async def _on_message(self, msg: Msg) -> None:
        if not msg.subject.startswith(SEQ_SUBJECT_PREFIX):
            return
        try:
            seq = int(msg.data)
        except ValueError:
            return
        publisher = msg.subject[len(SEQ_SUBJECT_PREFIX) :]
        last = self._last_seq.get(publisher)
        self.received += 1
        self.since_reconnect += 1
        # Loss is counted between messages received: from the first one seen onwards.
        now = time.time()
        if last is not None and seq > last + 1:
            self.lost += seq - last - 1
            if self._loss_began is None:
                self._loss_began = self._first_missing_due(publisher, now)
        self._last_seq[publisher] = max(seq, last or 0)
        self._arrivals[publisher] = (self._arrivals.get(publisher, (now, now))[1], now)

    def _first_missing_due(self, publisher: str, now: float) -> float:
        """When the first missing message would have arrived: one interval after the last
        message before the gap. A gap shows only at the next message, after an outage often a
        step later; reports bill the loss to when it began."""
        before, last = self._arrivals.get(publisher, (now, now))
        return min(last + (last - before), now)

    async def _on_reconnected(self) -> None:
        self.since_reconnect = 0
        await super()._on_reconnected()

    def counts(self) -> ev.MessageCounts:
        began, self._loss_began = self._loss_began, None
        return ev.MessageCounts(
            client=self.name,
            received=self.received,
            lost=self.lost,
            since_reconnect=self.since_reconnect,
            loss_began=began,
        )

    def count_key(self) -> tuple[object, ...]:
        return (self.received, self.lost, self.since_reconnect)


class Responder(LabClient):
    """`nats reply SUBJECT NAME --queue GROUP`: a member of a queue group that answers every
    request with its own name, so a requester can tell which member the server chose."""

    kind = "responder"

    def __init__(
        self,
        name: str,
        seeds: Sequence[str],
        emit: Emit,
        options: ClientOptions | None = None,
        subject: str = "natslab.svc",
        queue: str = "natslab",
    ) -> None:
        super().__init__(name, seeds, emit, options)
        self.subject, self.queue = subject, queue
        self.answered = 0

    async def start(self) -> None:
        await super().start()
        await self.nc.subscribe(self.subject, queue=self.queue, cb=self._on_request)
        await self.nc.flush()

    async def _on_request(self, msg: Msg) -> None:
        if not msg.reply:
            return
        try:
            await msg.respond(self.name.encode())
            self.answered += 1
        except Exception as exc:  # a reply lost to a reconnect is the requester's timeout
            await self._on_error(exc)

    def counts(self) -> ev.MessageCounts:
        return ev.MessageCounts(client=self.name, received=self.answered)

    def count_key(self) -> tuple[object, ...]:
        return (self.answered,)


class Publisher(LabClient):
    """Publishes sequence-numbered messages at a steady rate on natslab.seq.<name>."""

    kind = "publisher"

    def __init__(
        self,
        name: str,
        seeds: Sequence[str],
        emit: Emit,
        options: ClientOptions | None = None,
        rate: float = 200.0,
    ) -> None:
        super().__init__(name, seeds, emit, options)
        if rate <= 0:
            raise ClientSetupError(f"Publisher {name} needs a rate above 0 msg/s, not {rate:g}.")
        self.rate = rate
        self.subject = f"{SEQ_SUBJECT_PREFIX}{name}"
        self.published = 0

    async def start(self) -> None:
        await super().start()
        self._in_background(self._publish_steadily(), "publisher")

    async def pause(self) -> None:
        """Stop publishing but stay connected, so subscribers can catch up."""
        await self._stop_background()

    async def stop(self) -> None:
        await self.pause()
        await super().stop()

    async def _publish_steadily(self) -> None:
        loop = asyncio.get_running_loop()
        interval = 1.0 / self.rate
        due = loop.time()
        while True:
            try:
                # While reconnecting nats-py buffers publishes and sends them on reconnect.
                await self.nc.publish(self.subject, str(self.published + 1).encode())
                self.published += 1
            except Exception as exc:
                await self._on_error(exc)
            raise_if_cancelled()  # paused while nats-py's flush swallowed the cancel
            due += interval
            await asyncio.sleep(max(0.0, due - loop.time()))

    def counts(self) -> ev.MessageCounts:
        return ev.MessageCounts(client=self.name, published=self.published)

    def count_key(self) -> tuple[object, ...]:
        return (self.published,)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
