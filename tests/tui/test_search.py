"""`/` searches the focused server's log: a real server's lines, matched and marked."""

from textual.widgets import Label, Log

from natslab.tui.app import NatsLabApp
from natslab.tui.screens import SearchScreen
from natslab.tui.widgets.folded_log import FoldedLog
from tests.tui.pilot import pane_text, wait_for


def toasts(app) -> str:
    # Textual keeps an app's notifications privately; its own tests read them the same way.
    return " ".join(n.message for n in app._notifications)


def marked(log: FoldedLog, entry: int) -> bool:
    """Whether an entry of the log is drawn with a search mark (reverse video) in it."""
    strip = log.strip_at(log.first_row(entry))
    return any(segment.style is not None and segment.style.reverse for segment in strip)


async def test_search_lists_the_matching_lines_of_the_focused_log(session, offset):
    app = NatsLabApp(session, ["A"], start_servers=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "Server is ready" in pane_text(app, "A"), 20, "A ready")

        app.query_one("#clients").focus()
        await pilot.press("slash")
        await wait_for(pilot, lambda: "Focus a server's log" in toasts(app), 5, "a hint")
        assert not isinstance(app.screen, SearchScreen)

        app.query_one("#log-A", FoldedLog).focus()
        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), 5, "the search")
        await pilot.press(*"server is READY")
        matches = app.screen.query_one("#matches", Log)
        summary = app.screen.query_one("#summary", Label)
        await wait_for(pilot, lambda: "matching line" in str(summary.render()), 5, "a count")
        assert len(matches.lines) == 1 and "Server is ready" in matches.lines[0]
        assert str(summary.render()).startswith("1 matching line of ")

        await pilot.press("backspace", *" [")
        await wait_for(
            pilot, lambda: "not a valid pattern" in str(summary.render()), 5, "the error"
        )
        assert matches.lines == []

        await pilot.press("backspace", "backspace", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, SearchScreen), 5, "closed")
        log = app.query_one("#log-A", FoldedLog)
        ready = next(y for y, line in enumerate(log.lines) if "Server is ready" in line)
        await wait_for(pilot, lambda: marked(log, ready), 5, "the match marked in the pane")
        assert not marked(log, 0), "only matching lines are marked"

        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), 5, "the search")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not marked(log, ready), 5, "escape to clear the marks")
