"""The monitoring loop's pace: brisk while the lab changes, slower while nothing happens."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from natslab.bus import InternalError
from natslab.clients.events import LedgerCounts, MessageCounts
from natslab.cluster.events import LogLines, ServerPolled
from natslab.state import LabState

log = logging.getLogger(__name__)

# Events that arrive whether or not anything happens: they never count as activity.
_BACKGROUND = (LogLines, ServerPolled, MessageCounts, LedgerCounts)


class PollPacer:
    """Polls every `interval`; after `quiet_rounds` rounds in which LabState did not change
    (a poll that only refreshed CPU and memory is no change), every `idle_interval` instead,
    until any event other than log lines, polls and message counts wakes it. An idle lab of
    2,000 clients then costs a quarter of the HTTP requests, and a change is polled as
    soon as it is seen elsewhere (a log line the lab parses, a client's own callback)."""

    def __init__(
        self,
        state: LabState,
        poll: Callable[[], Awaitable[object]],
        interval: float,
        idle_interval: float | None = None,
        quiet_rounds: int = 10,
        report: Callable[[object], None] | None = None,
    ) -> None:
        self.state = state
        self.report = report  # the bus's emit: a failed round becomes an InternalError
        self.poll = poll
        self.interval = interval
        self.idle_interval = max(idle_interval or interval, interval)
        self.quiet_rounds = quiet_rounds
        self.rounds = 0
        self._wake = asyncio.Event()

    def __call__(self, event: object) -> None:
        """A bus listener: anything but the background traffic is activity."""
        if not isinstance(event, _BACKGROUND):
            self._wake.set()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        seen, quiet = self.state.revision, 0
        while True:
            started = loop.time()
            self._wake.clear()
            try:
                await self.poll()
            except Exception as exc:
                # One bad round must not end monitoring for the rest of the run.
                log.exception("polling the monitoring endpoints failed")
                if self.report is not None:
                    self.report(InternalError(where="polling the monitoring endpoints",
                                              error=f"{type(exc).__name__}: {exc}"))  # fmt: skip
            self.rounds += 1
            quiet = quiet + 1 if self.state.revision == seen else 0
            seen = self.state.revision
            if quiet >= self.quiet_rounds and self.idle_interval > self.interval:
                left = self.idle_interval - (loop.time() - started)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), max(left, 0.0))
                    quiet = 0  # woken: something happened, so poll briskly again
            await asyncio.sleep(max(self.interval - (loop.time() - started), 0.0))
