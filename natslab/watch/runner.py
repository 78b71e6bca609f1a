"""The watch loop: poll every URL each interval (backing off from a server that fails),
fold the round into the view, emit what changed, and record it in a run directory."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence

from natslab.bus import EventBus
from natslab.cluster.rundir import RunDir
from natslab.lab.recorder import EventRecorder
from natslab.watch.poller import Poller, Unreachable, Watched
from natslab.watch.view import WatchView, fold

MAX_BACKOFF = 8  # a failing server is polled at most this many intervals apart


class Watch:
    """One watch session: its URLs, its view, its bus, and its run directory."""

    def __init__(
        self,
        urls: Sequence[str],
        interval: float = 0.5,
        insecure: bool = False,
        run: RunDir | None = None,
    ) -> None:
        self.urls = [u.rstrip("/") for u in urls]
        self.interval = interval
        self.poller = Poller(insecure=insecure, timeout=max(2.0, interval * 4))
        self.view = WatchView()
        self.bus = EventBus()
        self.run_dir = run or RunDir.create()
        self.recorder = EventRecorder(self.run_dir.path)
        self.bus.subscribe(self.recorder)
        self.rounds = 0
        # Called with each round's results before its changes go out (the screen's source).
        self.on_round: Callable[[list[Watched | Unreachable]], None] | None = None
        self._skip: dict[str, int] = {}  # URL -> rounds left to skip
        self._backoff: dict[str, int] = {}

    async def round(self) -> list[Watched | Unreachable]:
        """Poll every URL that is due, all at once, and emit what changed."""
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
        if self.on_round is not None:
            self.on_round(results)
        for event in fold(self.view, results, time.time()):
            self.bus.emit(event)
        self.rounds += 1
        return results

    async def run(self, rounds: int | None = None) -> None:
        """Poll until cancelled (or for `rounds` rounds), one round each interval."""
        loop = asyncio.get_running_loop()
        due = loop.time()
        while rounds is None or self.rounds < rounds:
            await self.round()
            due += self.interval
            await asyncio.sleep(max(0.0, due - loop.time()))

    async def aclose(self) -> None:
        await self.poller.aclose()
        self.recorder.close()
        self.run_dir.finish()
