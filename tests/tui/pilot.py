"""Helpers for Pilot tests: wait for what the screen shows, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import DataTable


async def wait_for(
    pilot: Pilot, condition: Callable[[], object], timeout: float, what: str
) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await pilot.pause(0.05)


def client_cell(app, client: str, column: int) -> str:
    """The text the client panel shows for a client (column 1 is 'On')."""
    table = app.query_one("#clients", DataTable)
    try:
        return table.get_row(client)[column].plain
    except Exception:
        return ""


def pane_text(app, server: str) -> str:
    return "\n".join(app.query_one(f"#log-{server}").lines)
