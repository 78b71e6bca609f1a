"""The client panel's table: a DataTable that takes all its rows in one go."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.coordinate import Coordinate
from textual.widgets import DataTable
from textual.widgets.data_table import Row, RowKey


class ClientTable(DataTable[Text]):
    """DataTable.add_row re-validates the cursor and counts an update for every row, which
    was most of the time a 2,000-client panel took to rebuild. replace_rows fills the same
    structures add_row fills (Textual 8.2, pinned in pyproject.toml) once for all rows, and
    keeps the reader's place: the cursor row and the scroll position survive a rebuild."""

    _restore_to: float | None = None  # a scroll position to go back to once rows are measured

    def replace_rows(self, rows: Sequence[tuple[str, Sequence[Text]]]) -> None:
        cursor_row = self.cursor_row
        scroll_y = self._restore_to if self._restore_to is not None else self.scroll_y
        self.clear()
        columns = [column.key for column in self.ordered_columns]
        for index, (name, cells) in enumerate(rows):
            key = RowKey(name)
            self._row_locations[key] = index
            self._data[key] = dict(zip(columns, cells, strict=True))
            self.rows[key] = Row(key, 1, None, False)
            self._new_rows.add(key)
        self._require_update_dimensions = True
        self.cursor_coordinate = Coordinate(min(cursor_row, max(len(rows) - 1, 0)), 0)
        self._update_count += 1
        self.check_idle()
        if scroll_y:
            # The table's height is known again only once the new rows are measured; a
            # second rebuild before then keeps the same place to go back to.
            self._restore_to = scroll_y
            self.call_after_refresh(self._restore_scroll)

    def _restore_scroll(self) -> None:
        if self._restore_to is None:
            return
        if self._require_update_dimensions or self._new_rows:
            self.call_after_refresh(self._restore_scroll)  # measured at the next idle
            return
        self.scroll_to(y=self._restore_to, animate=False)
        self._restore_to = None
