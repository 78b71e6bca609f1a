"""The keys for the log panes: maximise, search, the focused log's fold and raw lines, and
on a narrow screen which pane and which bottom panel show."""

from __future__ import annotations

from textual.binding import Binding

from natslab.tui.free_form import FreeForm
from natslab.tui.run_protocol import ScreenSession
from natslab.tui.screens import SearchScreen
from natslab.tui.widgets.pane_grid import PaneGrid


class PaneKeys(FreeForm):
    """An app with a grid of server log panes."""

    session: ScreenSession
    panes: PaneGrid
    BINDINGS = [
        Binding("left_square_bracket", "cycle_pane(-1)", "Prev log", show=False),
        Binding("right_square_bracket", "cycle_pane(1)", "Next log", show=False),
        Binding("t", "toggle_timeline", "Clients/timeline", show=False),
        Binding("m", "toggle_maximize", "Maximise"),
        Binding("slash", "search", "Search log"),
    ]

    def action_toggle_maximize(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
        elif self.focused is not None:
            self.screen.maximize(self.focused)

    def action_in_pane(self, action: str) -> None:
        """f and v: the focused log's own actions (the app's bindings keep them in the footer)."""
        pane = self.panes.holding(self.focused)
        if pane is not None:
            getattr(pane, f"action_{action}")()

    def action_search(self) -> None:
        pane = self.panes.holding(self.focused)
        if pane is None:
            self.notify("Focus a server's log first (tab), then press /.")
            return
        lines = self.session.logs.lines(pane.server)
        self.push_screen(SearchScreen(pane.server, lines), callback=pane.mark)

    def action_cycle_pane(self, step: int) -> None:
        """On a narrow screen one log pane shows at a time: show the next or previous one."""
        self.panes.cycle(step)

    def action_toggle_timeline(self) -> None:
        """On a narrow screen the client panel and the timeline share one place: swap them."""
        self.query_one("#bottom").toggle_class("timeline")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "in_pane":
            return None if self.panes.holding(self.focused) is None else True  # None: dimmed
        if action in ("search", "toggle_maximize") and self.panes.empty:
            return False  # no log to search or to enlarge yet (a watch still waiting)
        return super().check_action(action, parameters)
