"""A clock for tests only: it moves when slept on, so runner tests replay hours at once."""

from __future__ import annotations

import asyncio


class ManualClock:
    """A clock that only moves when slept on: runner and state tests replay hours in no time."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.time = start

    def now(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.time += seconds
        await asyncio.sleep(0)  # still let other tasks run, as a real sleep would
