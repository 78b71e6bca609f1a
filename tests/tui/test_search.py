"""`/` searches the focused server's log: a real server's lines, matched and marked."""

from textual.widgets import Label, Log

from natslab.tui.app import NatsLabApp
from natslab.tui.screens import SearchScreen
from natslab.tui.widgets.folded_log import FoldedLog
from tests.tui.pilot import pane_text, server_log, wait_for


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

        server_log(app, "A").focus()
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
        log = server_log(app, "A")
        ready = next(y for y, line in enumerate(log.lines) if "Server is ready" in line)
        await wait_for(pilot, lambda: marked(log, ready), 5, "the match marked in the pane")
        assert not marked(log, 0), "only matching lines are marked"

        await pilot.press("slash")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen), 5, "the search")
        await pilot.press("escape")
        await wait_for(pilot, lambda: not marked(log, ready), 5, "escape to clear the marks")


def in_view(log: FoldedLog, text: str) -> bool:
    """Whether an entry holding `text` is on one of the rows the pane shows now."""
    top = int(log.scroll_y)
    entries = {log.entry_at(y) for y in range(top, top + log.size.height)}
    return any(text in log.lines[e] for e in entries if 0 <= e < len(log.lines))


def log_line(n: int) -> str:
    word = "needle" if n % 20 == 0 else "hay"
    return f"[1] 2026/11/26 06:{n // 60 % 60:02d}:{n % 60:02d}.000000 [INF] line {n} {word}"


async def test_a_search_holds_the_readers_place_counts_matches_and_n_moves_between_them():
    import re

    from textual.app import App

    from natslab.tui.widgets.server_pane import ServerPane

    class PaneApp(App[None]):
        def compose(self):
            yield ServerPane("A", 0)

    app = PaneApp()
    async with app.run_test(size=(100, 20)) as pilot:
        pane = app.query_one(ServerPane)
        log = pane.log_view
        pane.append([log_line(n) for n in range(1, 201)])  # 10 needles: lines 20, 40 ... 200
        await wait_for(pilot, lambda: log.max_scroll_y > 0, 5, "a log longer than the pane")
        log.focus()
        pane.mark(re.compile("needle"))
        await wait_for(pilot, lambda: "match 10 of 10" in pane.border_subtitle, 5, "the count")
        await pilot.press("N", "N")
        await wait_for(pilot, lambda: "match 8 of 10" in pane.border_subtitle, 5, "two back")
        held = log.scroll_y
        assert in_view(log, "line 160 needle")

        # The server goes on logging: the reader's place holds, and the count follows.
        pane.append([log_line(n) for n in range(201, 261)])
        await wait_for(pilot, lambda: "of 13" in pane.border_subtitle, 5, "three more needles")
        await pilot.pause(0.3)
        assert log.scroll_y == held and not log.follow

        await pilot.press("n")  # the next match after line 160 is line 180
        await wait_for(pilot, lambda: "match 9 of 13" in pane.border_subtitle, 5, "one on")
        pane.action_toggle_fold()  # f in the app: unfolding keeps the search, the latest shows
        await wait_for(pilot, lambda: "match 13 of 13" in pane.border_subtitle, 5, "after f")
        await wait_for(pilot, lambda: in_view(log, "line 260 needle"), 5, "line 260 shown")

        await pilot.press("escape")  # leaving the search follows the end again
        await wait_for(pilot, lambda: log.follow and log.pattern is None, 5, "left")
        assert "match" not in pane.border_subtitle
