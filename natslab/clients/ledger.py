"""The ledger: a JetStream publisher that records every acknowledged message, a durable
consumer that acknowledges what it reads, and a verification that reads the stream back."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import Counter
from collections.abc import Sequence

import nats.errors
from nats.js.api import ConsumerConfig, DeliverPolicy
from nats.js.client import JetStreamContext
from nats.js.errors import APIError, ServiceUnavailableError

from natslab.cancels import raise_if_cancelled
from natslab.clients import events as ev
from natslab.clients.client import ClientOptions, Emit, LabClient
from natslab.errors import ClientSetupError

# A careful publisher waits briefly for an ack and retries with the same message id: an ack
# lost while a leadership moves then costs this long, not a default timeout of seconds.
PUBLISH_TIMEOUT = 0.2
VERIFY_TIMEOUT = 5.0
STALE_ANSWER_WAIT = 5.0  # for a stale leader to learn it no longer leads
GAP_REPORTED = 0.02  # stretches without an ack at least this long become PublishGap events
MSG_ID = "Nats-Msg-Id"
# While the stream is gone or has no leader, the reader's fetch fails at once (status 503):
# it asks again after RETRY_FIRST, twice as long each time up to RETRY_MOST.
RETRY_FIRST, RETRY_MOST = 0.2, 1.0


class LedgerPublisher(LabClient):
    """Publishes numbered messages at a steady rate, each with a `Nats-Msg-Id`, and waits for
    the stream's ack. A failed publish is retried with the same id, as a careful application
    would, so the stream's duplicate window can tell a retry from a new message."""

    kind = "ledger"

    def __init__(
        self,
        name: str,
        seeds: Sequence[str],
        emit: Emit,
        options: ClientOptions | None = None,
        subject: str = "ledger.entries",
        rate: float = 200.0,
    ) -> None:
        # A careful client: it moves on a lame duck notice, and retries a server fast.
        super().__init__(
            name, seeds, emit, options or ClientOptions(honor_lame_duck=True, reconnect_wait=0.05)
        )
        if rate <= 0:
            raise ClientSetupError(f"Ledger {name} needs a rate above 0 msg/s, not {rate:g}.")
        self._move_pending = False
        self.subject, self.rate = subject, rate
        self.acked: dict[str, int] = {}  # message id -> stream sequence
        self.failures: Counter[str] = Counter()
        self.last_ack_at: float | None = None
        self.longest_gap = 0.0

    async def start(self) -> None:
        await super().start()
        self.js = self.nc.jetstream(timeout=PUBLISH_TIMEOUT)
        self._in_background(self._publish_steadily(), "ledger")

    async def pause(self) -> None:
        """Stop publishing and stay connected: what was acknowledged can still be verified."""
        await self._stop_background()

    async def stop(self) -> None:
        await self.pause()
        await super().stop()

    async def _move_away(self) -> None:
        """Move on the notice, but between two publishes: a publish in flight when the
        connection drops loses its ack, and waits out the whole timeout."""
        self._move_pending = True

    async def _move_if_asked(self) -> None:
        if self._move_pending:
            self._move_pending = False
            await self.nc.force_reconnect()

    async def _publish_steadily(self) -> None:
        loop = asyncio.get_running_loop()
        number, due, failed_since_ack = 1, loop.time(), 0
        while True:
            await self._move_if_asked()
            msg_id = f"{self.name}-{number}"
            try:
                ack = await self.js.publish(
                    self.subject, str(number).encode(), headers={MSG_ID: msg_id}
                )
            except Exception as exc:
                self.failures[type(exc).__name__] += 1
                failed_since_ack += 1
                if failed_since_ack == 1:  # one error event per stretch, not one per retry
                    await self._on_error(exc)
            else:
                now = time.time()
                self.acked[msg_id] = ack.seq
                if self.last_ack_at is not None and now - self.last_ack_at >= GAP_REPORTED:
                    self.longest_gap = max(self.longest_gap, now - self.last_ack_at)
                    self._emit(
                        ev.PublishGap(
                            client=self.name,
                            at=now,
                            start=self.last_ack_at,
                            failed=failed_since_ack,
                        )
                    )
                self.last_ack_at, failed_since_ack, number = now, 0, number + 1
            raise_if_cancelled()  # paused while nats-py turned the cancel into its timeout
            due = max(due + 1.0 / self.rate, loop.time() - 1.0)  # never a burst to catch up
            await asyncio.sleep(max(0.0, due - loop.time()))

    def counts(self) -> ev.LedgerCounts:
        return ev.LedgerCounts(
            client=self.name,
            acked=len(self.acked),
            failed=sum(self.failures.values()),
            last_ack_at=self.last_ack_at,
        )

    def count_key(self) -> tuple[object, ...]:
        return (len(self.acked), sum(self.failures.values()), self.last_ack_at)

    async def verify(
        self, stream: str, reader: LedgerReader | None, attempts: int = 5
    ) -> ev.LedgerVerified:
        """Read the whole stream back and hold it against what was acknowledged. A stream
        between leaders does not answer: try again, a few times."""
        for attempt in range(1, attempts + 1):
            try:
                return await self._verify_once(stream, reader)
            except (TimeoutError, nats.errors.Error):
                if attempt == attempts:
                    raise
                await asyncio.sleep(1.0)
        raise AssertionError("unreachable")

    async def _verify_once(self, stream: str, reader: LedgerReader | None) -> ev.LedgerVerified:
        js = self.nc.jetstream(timeout=VERIFY_TIMEOUT)
        # Every ack received before the stream is asked for its last sequence is of a
        # message at or below that sequence; later acks are for the next verification.
        acked = dict(self.acked)
        info = await js.stream_info(stream)
        # A leader just resumed from a pause still answers for the stream, with what it had
        # when it froze, until it hears of the newer term (a CI run read 546 of 686 so): an
        # acknowledged sequence above the answer's last is asked about again, for a while.
        highest = max(acked.values(), default=0)
        settle = asyncio.get_running_loop().time() + STALE_ANSWER_WAIT
        while info.state.last_seq < highest and asyncio.get_running_loop().time() < settle:
            await asyncio.sleep(0.5)
            info = await js.stream_info(stream)
        last, stored = info.state.last_seq, Counter[str]()
        if info.state.messages:
            sub = await js.subscribe(
                self.subject,
                stream=stream,  # the one asked for: a mirror holds the subject too, unbound
                ordered_consumer=True,
                config=ConsumerConfig(headers_only=True, deliver_policy=DeliverPolicy.ALL),
            )
            try:
                while True:
                    msg = await sub.next_msg(timeout=5)
                    stored[(msg.headers or {}).get(MSG_ID, "")] += 1
                    if msg.metadata.sequence.stream >= last:
                        break
            finally:
                await sub.unsubscribe()
        missing = sorted((m for m in acked if m not in stored), key=_number)
        return ev.LedgerVerified(
            client=self.name,
            stream=stream,
            acked=len(acked),
            stored=sum(stored.values()),
            missing=len(missing),
            missing_ids=tuple(missing[:10]),
            duplicates=sum(n - 1 for n in stored.values() if n > 1),
            longest_gap_ms=round(self.longest_gap * 1000, 1),
            failed=sum(self.failures.values()),
            redeliveries=reader.redeliveries if reader else 0,
        )


class LedgerReader(LabClient):
    """A durable pull consumer that acknowledges every message; counts redeliveries."""

    kind = "consumer"

    def __init__(
        self,
        name: str,
        seeds: Sequence[str],
        emit: Emit,
        options: ClientOptions | None = None,
        stream: str = "LEDGER",
        subject: str = "ledger.entries",
    ) -> None:
        super().__init__(name, seeds, emit, options)
        self.stream, self.subject = stream, subject
        self.received = self.redeliveries = 0
        self.failed_reads = 0  # fetches and subscriptions that failed, said or not
        self._stopping = False

    async def start(self) -> None:
        await super().start()
        self._in_background(self._read(), "ledger reader")

    async def stop(self) -> None:
        self._stopping = True  # nats-py's fetch can swallow the cancellation: end the loop
        await self._stop_background()
        await super().stop()

    async def _read(self) -> None:
        js = self.nc.jetstream(timeout=PUBLISH_TIMEOUT)
        sub = None
        said: set[str] = set()  # the failures said since the reader last read
        pause = RETRY_FIRST
        while not self._stopping:
            try:
                if sub is None:
                    sub = await js.pull_subscribe(
                        self.subject, durable=self.name, stream=self.stream
                    )
                for msg in await sub.fetch(batch=200, timeout=1):
                    self.received += 1
                    if msg.metadata.num_delivered > 1:
                        self.redeliveries += 1
                    await msg.ack()
                said, pause = set(), RETRY_FIRST
            except TimeoutError:
                if sub is not None:  # the consumer answered, with nothing new in the second
                    said, pause = set(), RETRY_FIRST
                continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.failed_reads += 1
                failure = _reader_failure(exc)
                if failure not in said:  # each failure once, not once per fetch
                    said.add(failure)
                    self._emit(ev.ClientError(client=self.name, message=failure))
                if isinstance(exc, ServiceUnavailableError):
                    await _dropped(sub)  # subscribe again: a new stream needs a new consumer
                    sub = None
                await asyncio.sleep(pause)  # while the stream has no leader, do not spin
                pause = min(pause * 2, RETRY_MOST)

    def counts(self) -> ev.MessageCounts:
        return ev.MessageCounts(client=self.name, received=self.received)

    def count_key(self) -> tuple[object, ...]:
        return (self.received,)


def _reader_failure(exc: Exception) -> str:
    """The reader's failure in words (nats-py's 503 reads "code=None err_code=None")."""
    if isinstance(exc, ServiceUnavailableError):
        # Only a consumer's leader subscribes to its fetch subject (consumer.go setLeader).
        return (
            "no responders (status 503): nothing answered the reader's fetch; the stream or its"
            " consumer is gone, or has no leader"
        )
    if isinstance(exc, APIError) and exc.description:
        return f"{exc.description} (error {exc.err_code})"  # "stream not found (error 10059)"
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


async def _dropped(sub: JetStreamContext.PullSubscription | None) -> None:
    """Unsubscribes a pull subscription whose consumer no longer answers."""
    if sub is not None:
        with contextlib.suppress(Exception):
            await sub.unsubscribe()


def _number(msg_id: str) -> int:
    tail = msg_id.rpartition("-")[2]
    return int(tail) if tail.isdigit() else 0
