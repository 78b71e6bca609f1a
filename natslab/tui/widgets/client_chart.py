"""A live chart of clients per server over the last two minutes, one sparkline per server."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline

from natslab.present.views import CountHistory


class ClientChart(Vertical):
    DEFAULT_CSS = """
    ClientChart { height: auto; max-height: 7; padding: 0 1; }
    ClientChart Horizontal { height: 1; }
    ClientChart Label { width: 8; }
    ClientChart Sparkline { width: 1fr; height: 1; }
    """

    def compose(self) -> ComposeResult:
        yield from ()

    def show(self, history: CountHistory) -> None:
        for name, series in history.series.items():
            rows = self.query(f"#spark-{name}")
            if not rows:
                row = Horizontal(
                    Label(f"{name} {series[-1]:>3}", id=f"label-{name}"),
                    Sparkline(list(series), id=f"spark-{name}"),
                )
                self.mount(row)
                continue
            rows.first(Sparkline).data = list(series)
            self.query_one(f"#label-{name}", Label).update(f"{name} {series[-1]:>3}")
