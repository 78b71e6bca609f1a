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


def server_pane(app, server: str):
    """A server's pane, found by its server's name (panes are keyed by place, not name)."""
    from natslab.tui.widgets.pane_grid import PaneGrid

    found = app.query(PaneGrid)
    return found.first().find(server) if found else None


def server_log(app, server: str):
    pane = server_pane(app, server)
    assert pane is not None, f"no pane for {server}"
    return pane.log_view


def pane_title(app, server: str) -> str:
    pane = server_pane(app, server)
    return str(pane.query_one(".title").render()) if pane is not None and pane.is_mounted else ""


def pane_text(app, server: str) -> str:
    return "\n".join(server_log(app, server).lines)


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


def lesson_story(app) -> str:
    """The lesson panel's reading, top to bottom: this step's narrative, then the next step's
    preview (the finished step's commands and action lines are drawn between them)."""
    return app.query_one("#narrative").source + "\n\n" + app.query_one("#upcoming").source
