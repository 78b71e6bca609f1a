"""The live client-location panel: every client, clients per server, and the route mesh."""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical

from natslab.present.renderings import (
    BAR_WIDTH,
    CLIENT_COLUMNS,
    COMPACT_CLIENT_COLUMNS,
    MEDIUM_CLIENT_COLUMNS,
    CountHistory,
    client_row,
    count_bars,
    mesh_text,
    ordered_clients,
    row_inputs,
    servers_inputs,
)
from natslab.state import LabState
from natslab.tui.widgets.client_chart import ClientChart
from natslab.tui.widgets.client_table import ClientTable
from natslab.tui.widgets.steady import SteadyStatic


class FittedBars(SteadyStatic):
    """The clients-per-server bars, drawn again whenever their share of the row changes (the
    JetStream line beside them grows and shrinks)."""

    def __init__(self, redraw: Callable[[], None], classes: str) -> None:
        super().__init__(classes=classes)
        self._redraw = redraw

    def on_resize(self) -> None:
        self._redraw()


class ClientPanel(Vertical):
    """Redrawn from LabState a few times a second; a client that just moved is highlighted."""

    DEFAULT_CSS = """
    ClientPanel { border: round $secondary; height: 1fr; }
    ClientPanel > Horizontal { height: auto; max-height: 8; }
    ClientPanel .bars { width: 1fr; min-width: 16; padding: 0 1; }
    ClientPanel .mesh { width: auto; max-width: 60%; padding: 0 1; }
    ClientPanel DataTable { height: 1fr; }
    ClientPanel.-short ClientChart { display: none; }
    """

    # Below this width the table keeps the columns a move is judged by, so that none of them
    # is cut: name, server, what it knows, reconnects, last gap, loss.
    COMPACT_BELOW = 72
    FULL_FROM = 78  # every column, the server version too, from this width on (80x24)
    # The chart gives way when it would leave the table fewer rows than this (its header and
    # three clients): at 80x24 the rows are what the panel is for.
    TABLE_ROWS_AT_LEAST = 4

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history = CountHistory()
        self.columns: tuple[str, ...] = CLIENT_COLUMNS
        # Held, not queried: the app redraws on a timer that can fire before these mount or
        # while they are torn down at exit, and a query would then fail.
        self._bars = FittedBars(self._redraw_bars, classes="bars")
        self._mesh = SteadyStatic(classes="mesh")
        self._chart = ClientChart()
        self._table = ClientTable(id="clients", cursor_type="row", zebra_stripes=True)
        # Each client's row inputs and drawn cells, the servers they were drawn against,
        # and the row order on screen: what lets show() touch only the rows that changed.
        self._cells: dict[str, tuple[tuple[object, ...], tuple[Text, ...]]] = {}
        self._servers: tuple[object, ...] = ()
        self._order: list[str] = []
        self._state: LabState | None = None

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield self._bars
            yield self._mesh
        yield self._chart
        self._table.add_columns(*CLIENT_COLUMNS)  # measuring needs the running app
        yield self._table

    def on_mount(self) -> None:
        self.border_title = "clients"

    def on_resize(self) -> None:
        self._fit_chart()
        width = self.size.width
        columns = (
            COMPACT_CLIENT_COLUMNS
            if width < self.COMPACT_BELOW
            else MEDIUM_CLIENT_COLUMNS
            if width < self.FULL_FROM
            else CLIENT_COLUMNS
        )
        if columns != self.columns:
            self.columns = columns
            self._table.clear(columns=True)
            self._table.add_columns(*columns)
            if self._state is not None:
                self.redraw_all(self._state)

    def sample(self, state: LabState, now: float) -> None:
        """Feed the chart (once a second, whether or not anything changed)."""
        if self.history.sample(state, now):
            self._chart.show(self.history)
            self._fit_chart()

    def _fit_chart(self) -> None:
        """Hide the chart when the bars, the chart (a line per server each) and a few table
        rows do not fit; the bars still say how many clients each server holds."""
        lines = max(len(self.history.series), 1)
        needed = 2 * lines + 1 + self.TABLE_ROWS_AT_LEAST
        self.set_class(0 < self.content_size.height < needed, "-short")

    def redraw_all(self, state: LabState) -> None:
        """Rebuild every row, as after a resize (the bulk fill keeps the reader's place)."""
        self._cells.clear()
        self._order = []
        self.show(state)

    def _redraw_bars(self) -> None:
        if self._state is not None:
            self._bars.update(count_bars(self._state, self._bar_width(self._state)))

    def _bar_width(self, state: LabState) -> int:
        """As long as the bars' share allows beside the name and count: a bar wider than
        its column wrapped every server onto three lines (from the learner's walk)."""
        room = self._bars.content_size.width
        widest = max((len(str(n)) for n in state.client_counts().values()), default=1)
        return max(3, min(BAR_WIDTH, room - 3 - widest)) if room else BAR_WIDTH

    def show(self, state: LabState) -> None:
        """Redraw what changed: only the rows whose client (or whose servers) changed are
        rebuilt, so an idle panel of 2,000 clients costs one cheap comparison per row."""
        self._state = state
        self._bars.update(count_bars(state, self._bar_width(state)))
        self._mesh.update(mesh_text(state))
        now = time.time()
        servers = servers_inputs(state)
        if servers != self._servers:
            self._servers = servers
            self._cells.clear()
        picked = [CLIENT_COLUMNS.index(c) for c in self.columns]
        order, changed = [], []
        for view in ordered_clients(state):
            inputs = row_inputs(view, now)
            cached = self._cells.get(view.name)
            if cached is None or cached[0] != inputs:
                cells = client_row(state, view, now)
                self._cells[view.name] = (inputs, tuple(cells[i] for i in picked))
                changed.append((view.name, cached[1] if cached else None))
            order.append(view.name)
        table = self._table
        # A new order, or most rows changed at once (a server stopped: every row's Knows),
        # is one bulk fill; a few changed rows are a few cell updates.
        if order != self._order or len(changed) > max(len(order) // 4, 20):
            self._order = order
            table.replace_rows([(name, self._cells[name][1]) for name in order])
        else:
            for name, before in changed:
                after = self._cells[name][1]
                for index, column in enumerate(table.columns):
                    if before is None or after[index] != before[index]:
                        table.update_cell(name, column, after[index], update_width=True)
        connected = sum(1 for v in state.clients.values() if v.state == "connected")
        self.border_title = f"clients ({connected} connected)"
