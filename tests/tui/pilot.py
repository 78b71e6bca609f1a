"""Helpers for Pilot tests: wait for what the screen shows, with a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.pilot import Pilot
from textual.widgets import DataTable
from textual.widgets.data_table import RowDoesNotExist


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
    except RowDoesNotExist:  # not drawn yet: the caller waits for it
        return ""


def highlighted_command(app) -> str:
    """The command the open palette would run on Enter, as plain text."""
    from textual.command import CommandList

    commands = app.screen.query_one(CommandList)
    index = commands.highlighted
    if index is None:
        return ""
    # The prompt is the title, then the help line (the by-hand command) below it.
    return str(commands.get_option_at_index(index).prompt).split("\n")[0]


def pane_text(app, server: str) -> str:
    return "\n".join(app.query_one(f"#log-{server}").lines)


async def run_palette(pilot: Pilot, title: str) -> None:
    """Type a command's title into the palette and run it once it is the highlighted one."""
    from textual.widgets import Input

    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "CommandPalette", 5, "palette")
    # The whole query at once, as a paste would give it: a key press per character waits for
    # the palette to search again each time (seconds for a long title, nothing tested).
    pilot.app.screen.query_one(Input).insert_text_at_cursor(title)
    await wait_for(
        pilot, lambda: highlighted_command(pilot.app).startswith(title), 5, f"{title!r} highlighted"
    )
    await pilot.press("enter")


def first_block_text(markdown) -> str:
    """The text of a Markdown widget's first rendered block: it shows the new source once
    the widget has rendered it (the source itself changes before that)."""
    blocks = markdown.query("MarkdownBlock")
    return blocks.first()._content.plain if blocks else ""
