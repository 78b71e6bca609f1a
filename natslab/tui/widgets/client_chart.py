"""A live chart of clients per server over the last two minutes, one line per server."""

from __future__ import annotations

from natslab.present.renderings import CountHistory, count_chart
from natslab.tui.widgets.steady import SteadyStatic


class ClientChart(SteadyStatic):
    """Redrawn only when a second's sample changed the picture; the layout is redone only
    when a server is added (a line more)."""

    DEFAULT_CSS = """
    ClientChart { height: auto; max-height: 7; padding: 0 1; }
    """

    def __init__(self) -> None:
        super().__init__()
        self._history: CountHistory | None = None
        self._lines = 0

    def show(self, history: CountHistory) -> None:
        self._history = history
        width = self.content_size.width
        if width:
            lines = len(history.series)
            self.update(count_chart(history, width), layout=lines != self._lines)
            self._lines = lines

    def on_resize(self) -> None:
        if self._history is not None:
            self.show(self._history)
