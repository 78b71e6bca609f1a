"""The grid of server log panes: one per server, mounted as servers appear, fed in batches."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Grid

from natslab.state import LabState
from natslab.tui.widgets.server_pane import PANE_LINES, ServerPane


class PaneGrid(Grid):
    """Log lines are queued as they are read and drawn on the app's timer, never one by one."""

    def __init__(self, servers: Iterable[str], stacked: bool) -> None:
        super().__init__(id="panes")
        self.servers = list(servers)
        self.stacked = stacked
        self._pending: dict[str, deque[str]] = defaultdict(lambda: deque(maxlen=PANE_LINES))
        self._panes: dict[str, ServerPane] = {}

    def compose(self) -> ComposeResult:
        for name in self.servers:
            yield ServerPane(name)

    def on_mount(self) -> None:
        self.fit()

    def fit(self) -> None:
        count = len(self.query(ServerPane))
        # Beside a lesson the panes are narrow, and log lines are long: stack them.
        columns = 1 if self.stacked else max(1, min(count, 3))
        self.styles.grid_size_columns = columns
        self.styles.grid_size_rows = max(1, -(-count // columns))

    def queue(self, server: str, lines: Iterable[str]) -> None:
        """Called for every batch a server logs; only remembers the newest lines."""
        self._pending[server].extend(lines)

    def flush(self) -> None:
        for server, lines in self._pending.items():
            if lines:
                self.pane(server).append(list(lines))
                lines.clear()

    def show(self, state: LabState) -> None:
        for name, view in state.servers.items():
            self.pane(name).show(view)

    def pane(self, server: str) -> ServerPane:
        # Looked up ten times a second per server: a dict, not a DOM query.
        pane = self._panes.get(server)
        if pane is None:
            found = self.query(f"#pane-{server}")
            pane = found.first(ServerPane) if found else None
        if pane is None:
            pane = ServerPane(server)
            self.mount(pane)
            self.call_after_refresh(self.fit)
        self._panes[server] = pane
        return pane
