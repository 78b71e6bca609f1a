"""`natslab watch --headless`: one line per thing that changed in the watched cluster."""

from __future__ import annotations

import time

from rich.console import Console
from rich.text import Text

from natslab.cluster import events as ev
from natslab.present.notices import InternalErrors
from natslab.watch.runner import Rounds
from natslab.watch.source import open_watch


def describe(event: object) -> str | None:
    """The line a watch event prints as (None for events that are not watch events)."""
    if isinstance(event, ev.WatchChange | ev.JetStreamChange):
        return event.describe()
    return None


class WatchPrinter:
    """A bus listener printing each change with the time it was seen."""

    def __init__(self, console: Console) -> None:
        self.console = console

    def __call__(self, event: object) -> None:
        line = describe(event)
        if line is not None:
            stamp = time.strftime("%H:%M:%S", time.localtime(getattr(event, "at", time.time())))
            self.console.print(Text.assemble((stamp, "dim"), " ", line))


async def run_headless_watch(
    rounds: Rounds, interval: float, console: Console, count: int | None = None
) -> int:
    """Watch until interrupted (or for `count` rounds); 0 when done."""
    session = await open_watch(rounds, interval)
    session.bus.subscribe(WatchPrinter(console))
    session.bus.subscribe(InternalErrors())
    console.print(
        f"Watching {rounds.describe()} every {interval:g} s, read-only; "
        f"run directory {session.run_dir.path}. Ctrl+C stops."
    )
    try:
        await session.source.watch.run(count)
    finally:
        await session.close()
    return 0
