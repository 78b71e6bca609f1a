"""The grid of server log panes: one per server, mounted as servers appear, fed in batches."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Grid
from textual.widget import Widget
from textual.widgets import Static

from natslab.state import LabState
from natslab.tui.widgets.server_pane import PANE_LINES, ServerPane

# More lines than this between two redraws (ten a second) is a flood: 1,000 lines a second
# is more than anyone reads, and a pane that takes it is drawn four times a second instead.
FLOOD_LINES = 100
FLOOD_SECONDS = 0.25


class PaneGrid(Grid):
    """Log lines are queued as they are read and drawn on the app's timer, never one by one."""

    DEFAULT_CSS = "#no-servers { padding: 1 2; color: $text-muted; column-span: 3; }"

    def __init__(self, servers: Iterable[str], stacked: bool) -> None:
        super().__init__(id="panes")
        self.servers = list(servers)
        self.stacked = stacked
        self._pending: dict[str, deque[str]] = defaultdict(lambda: deque(maxlen=PANE_LINES))
        self._flushed: dict[str, float] = {}  # when each pane was last handed its lines
        self._panes: dict[str, ServerPane] = {}
        self._started: frozenset[str] = frozenset()

    def compose(self) -> ComposeResult:
        for name in self.servers:
            yield self._new_pane(name)
        if not self.servers:  # a watch before its first answer: say what it waits for
            yield Static("", id="no-servers")

    @property
    def empty(self) -> bool:
        return not self._panes and not self.servers

    def waiting(self, text: str) -> None:
        """What the empty grid says (until the first pane arrives)."""
        found = self.query("#no-servers")
        if found:  # Text: it quotes addresses and errors as the user or the network gave them
            found.first(Static).update(Text(text))

    def on_mount(self) -> None:
        self.fit()

    def on_resize(self) -> None:
        self.fit()  # the screen may have crossed a breakpoint

    def fit(self) -> None:
        panes = list(self.query(ServerPane))
        count = len(panes)
        # Beside a lesson the panes are narrow, and log lines are long: stack them. A narrow
        # screen shows one pane at a time, across its whole width.
        narrow = self.is_mounted and self.screen.has_class("-narrow")
        columns = 1 if self.stacked or narrow else max(1, min(count, 3))
        rows = 1 if narrow else max(1, -(-count // columns))
        self.styles.grid_size_columns = columns
        self.styles.grid_size_rows = rows
        if columns == 1 and not narrow:
            # A server not started yet needs its title only; the logs get the rest.
            self.styles.grid_rows = " ".join("3" if p.unstarted else "1fr" for p in panes)
        else:
            self.styles.grid_rows = "1fr"
        if panes and not any(p.has_class("current") for p in panes):
            panes[0].add_class("current")

    def cycle(self, step: int) -> None:
        """Make the next (or previous) pane the one a narrow screen shows."""
        panes = list(self.query(ServerPane))
        if not panes:
            return
        now = next((i for i, p in enumerate(panes) if p.has_class("current")), 0)
        panes[now].remove_class("current")
        chosen = panes[(now + step) % len(panes)]
        chosen.add_class("current")
        chosen.log_view.focus()

    def queue(self, server: str, lines: Iterable[str]) -> None:
        """Called for every batch a server logs; only remembers the newest lines."""
        self._pending[server].extend(lines)

    def flush(self, now: float) -> None:
        """Hand each pane what its server logged since. A pane taking a flood (more lines at
        once than a reader follows) is drawn at most every FLOOD_SECONDS: it still ends on
        the newest lines, and the screen keeps the time to answer keys (BENCHMARKS.md)."""
        for server, lines in self._pending.items():
            if not lines:
                continue
            flooding = len(lines) > FLOOD_LINES
            if flooding and now - self._flushed.get(server, 0.0) < FLOOD_SECONDS:
                continue
            self.pane(server).append(list(lines))
            lines.clear()
            self._flushed[server] = now

    def show(self, state: LabState) -> None:
        started = self._started
        js = state.jetstream
        for name, view in state.servers.items():
            self.pane(name).show(view, js)
        self._started = frozenset(state.servers)
        if self._started != started:
            self.fit()

    def holding(self, widget: Widget | None) -> ServerPane | None:
        """The pane a widget (the focused one, say) sits in, if any."""
        node = widget
        while node is not None and not isinstance(node, ServerPane):
            node = node.parent  # type: ignore[assignment]
        return node

    def pane(self, server: str) -> ServerPane:
        # Looked up ten times a second per server: a dict, not a DOM query.
        pane = self._panes.get(server)
        if pane is None:
            pane = self._new_pane(server)
            self.query("#no-servers").remove()
            self.mount(pane)
            self.call_after_refresh(self.fit)
            self.app.refresh_bindings()  # "/ Search" has a log to search now
        return pane

    def find(self, server: str) -> ServerPane | None:
        """The pane of `server`, if it has one yet."""
        return self._panes.get(server)

    def _new_pane(self, server: str) -> ServerPane:
        """Keyed by its place, not its name: a real server's name (an FQDN, a pod's name)
        is no widget id."""
        pane = ServerPane(server, len(self._panes))
        self._panes[server] = pane
        return pane
