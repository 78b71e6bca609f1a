"""The injectable clock and the one deadline helper every wait in natslab goes through."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

T = TypeVar("T")


class Clock(Protocol):
    """Wall time for events, and a sleep that a test clock can make instant."""

    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Real time: what every run uses."""

    def now(self) -> float:
        return time.time()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK: Clock = SystemClock()


class Deadline:
    """A moment `timeout` seconds from now on a clock; how long is left, and whether it passed."""

    def __init__(self, timeout: float, clock: Clock = SYSTEM_CLOCK) -> None:
        self.clock = clock
        self.started = clock.now()
        self.timeout = timeout

    @property
    def elapsed(self) -> float:
        return self.clock.now() - self.started

    @property
    def remaining(self) -> float:
        return max(0.0, self.timeout - self.elapsed)

    @property
    def expired(self) -> bool:
        return self.elapsed >= self.timeout


async def wait_until(
    probe: Callable[[], Awaitable[T]],
    timeout: float,
    interval: float = 0.1,
    clock: Clock = SYSTEM_CLOCK,
) -> T | None:
    """Ask `probe` until it answers something truthy, and return that; None at the deadline.
    The caller turns None into its own sentence (a TimedOutError naming what it waited for)."""
    deadline = Deadline(timeout, clock)
    while True:
        answer = await probe()
        if answer:
            return answer
        if deadline.expired:
            return None
        await clock.sleep(min(interval, max(deadline.remaining, 0.001)))
