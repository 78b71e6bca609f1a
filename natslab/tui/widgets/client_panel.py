"""The live client-location panel: every client, clients per server, and the route mesh."""

from __future__ import annotations

import time

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable

from natslab.present.views import (
    CLIENT_COLUMNS,
    COMPACT_CLIENT_COLUMNS,
    CountHistory,
    client_row,
    count_bars,
    mesh_text,
    ordered_clients,
)
from natslab.state import LabState
from natslab.tui.widgets.client_chart import ClientChart
from natslab.tui.widgets.steady import SteadyStatic


class ClientPanel(Vertical):
    """Redrawn from LabState a few times a second; a client that just moved is highlighted."""

    DEFAULT_CSS = """
    ClientPanel { border: round $secondary; height: 1fr; }
    ClientPanel > Horizontal { height: auto; max-height: 8; }
    ClientPanel .bars { width: 1fr; padding: 0 1; }
    ClientPanel .mesh { width: auto; padding: 0 1; }
    ClientPanel DataTable { height: 1fr; }
    """

    # Below this width the table keeps the columns a move is judged by, so that none of them
    # is cut: name, server, what it knows, reconnects, last gap, loss.
    COMPACT_BELOW = 72

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.history = CountHistory()
        self.columns: tuple[str, ...] = CLIENT_COLUMNS
        # Held, not queried: the app redraws on a timer that can fire before these mount or
        # while they are torn down at exit, and a query would then fail.
        self._bars = SteadyStatic(classes="bars")
        self._mesh = SteadyStatic(classes="mesh")
        self._chart = ClientChart()
        self._table: DataTable[object] = DataTable(
            id="clients", cursor_type="row", zebra_stripes=True
        )

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
        columns = COMPACT_CLIENT_COLUMNS if self.size.width < self.COMPACT_BELOW else CLIENT_COLUMNS
        if columns != self.columns:
            self.columns = columns
            table = self._table
            table.clear(columns=True)
            table.add_columns(*columns)  # the rows come back at the next show

    def show(self, state: LabState) -> None:
        if self.history.sample(state, time.time()):
            self._chart.show(self.history)
        self._bars.update(count_bars(state))
        self._mesh.update(mesh_text(state))
        table = self._table
        now = time.time()
        picked = [CLIENT_COLUMNS.index(c) for c in self.columns]
        rows = []
        for view in ordered_clients(state):
            cells = client_row(state, view, now)
            rows.append((view.name, tuple(cells[i] for i in picked)))
        if [str(k.value) for k in table.rows] != [name for name, _ in rows]:
            table.clear()
            for name, row in rows:
                table.add_row(*row, key=name)
            return
        for name, row in rows:
            for column, cell in zip(table.columns, row, strict=True):
                if table.get_cell(name, column) != cell:
                    table.update_cell(name, column, cell, update_width=True)
        connected = sum(1 for v in state.clients.values() if v.state == "connected")
        self.border_title = f"clients ({connected} connected)"
