"""The watch loop: one round of answers each interval from a source of them (monitoring URLs
over HTTP, or the system account), folded into the view, its changes emitted and recorded."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from natslab.bus import EventBus, InternalError
from natslab.cancels import raise_if_cancelled
from natslab.watch.fold import WatchView, fold
from natslab.watch.poller import Poller, Unreachable, Watched
from natslab.words import counted, unless_said

log = logging.getLogger(__name__)
MAX_BACKOFF = 8  # a failing server is polled at most this many intervals apart


class Rounds(Protocol):
    """Where a watch's answers come from; it only ever reads."""

    def describe(self) -> str:
        """What is watched, for the first line: '3 servers', 'the cluster behind …'."""
        ...

    async def open(self) -> None:
        """Ready to ask (log in, say); a bad login or address is one NatslabError."""
        ...

    async def round(self) -> list[Watched | Unreachable]: ...

    def waiting(self, unreachable: dict[str, str]) -> str:
        """What the screen says while nothing has answered yet."""
        ...

    async def aclose(self) -> None: ...


class HttpRounds:
    """Every monitoring URL each round, all at once; one that fails is asked less often."""

    def __init__(self, urls: Sequence[str], interval: float, insecure: bool = False) -> None:
        self.urls = [u.rstrip("/") for u in urls]
        self.poller = Poller(insecure=insecure, timeout=max(2.0, interval * 4))
        self._skip: dict[str, int] = {}  # URL -> rounds left to skip
        self._backoff: dict[str, int] = {}

    def describe(self) -> str:
        return counted(len(self.urls), "server")

    async def open(self) -> None:
        return None

    async def round(self) -> list[Watched | Unreachable]:
        due = [u for u in self.urls if self._skip.get(u, 0) == 0]
        for url in self.urls:
            if url not in due:
                self._skip[url] -= 1
        results = list(await asyncio.gather(*(self.poller.poll(u) for u in due)))
        for result in results:
            if isinstance(result, Unreachable):
                backoff = min(self._backoff.get(result.url, 0) * 2 or 1, MAX_BACKOFF)
                self._backoff[result.url], self._skip[result.url] = backoff, backoff - 1
            else:
                self._backoff.pop(result.url, None)
        return results

    def waiting(self, unreachable: dict[str, str]) -> str:
        if not unreachable:
            return f"Asking {counted(len(self.urls), 'monitoring URL')} for the first time…"
        why = "\n".join(
            f"• {url}: {unless_said(url, error)}" for url, error in sorted(unreachable.items())
        )
        return (
            f"No watched server has answered yet.\n{why}\n\nnatslab watch keeps asking (less "
            f"often while there is no answer, at most every {MAX_BACKOFF} rounds); a server "
            "shows here as soon as it answers. q quits."
        )

    async def aclose(self) -> None:
        await self.poller.aclose()


class Watch:
    """One watch's rounds: its source of answers, its view, and the bus its changes go to."""

    def __init__(self, rounds: Rounds, interval: float = 0.5, bus: EventBus | None = None) -> None:
        self.rounds_source = rounds
        self.interval = interval
        self.view = WatchView()
        self.bus = bus or EventBus()
        self.rounds = 0
        # Called with each round's results before its changes go out (the screen's source).
        self.on_round: Callable[[list[Watched | Unreachable]], None] | None = None

    @classmethod
    def over_http(cls, urls: Sequence[str], interval: float = 0.5, insecure: bool = False) -> Watch:
        """A watch of monitoring URLs, each asked over HTTP(S)."""
        return cls(HttpRounds(urls, interval, insecure), interval)

    async def round(self) -> list[Watched | Unreachable]:
        """Ask every server that is due, and emit what changed (a server seen or lost)
        before what it answered (its poll), so a poll always finds its server known."""
        results = await self.rounds_source.round()
        for event in fold(self.view, results, time.time()):
            self.bus.emit(event)
        if self.on_round is not None:
            self.on_round(results)
        self.rounds += 1
        return results

    async def run(self, rounds: int | None = None) -> None:
        """Ask until cancelled (or for `rounds` rounds), one round each interval. A round
        that fails is a bug: it becomes an InternalError, and the watch goes on."""
        loop = asyncio.get_running_loop()
        due = loop.time()
        while rounds is None or self.rounds < rounds:
            try:
                await self.round()
            except Exception as exc:
                log.exception("a watch round failed")
                self.rounds += 1
                self.bus.emit(InternalError(where="a round of natslab watch",
                                            error=f"{type(exc).__name__}: {exc}"))  # fmt: skip
            raise_if_cancelled()  # Ctrl+C may have landed in nats-py, which swallows it
            due += self.interval
            await asyncio.sleep(max(0.0, due - loop.time()))

    async def aclose(self) -> None:
        await self.rounds_source.aclose()
