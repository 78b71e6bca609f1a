"""A short scrolling list of notable events, with times relative to the start of the run."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import RichLog

from natslab.state import LabState


class TimelineView(RichLog):
    """Entries wrap at the view's width: a narrow timeline never cuts a name or a number."""

    DEFAULT_CSS = "TimelineView { border: round $primary-darken-2; height: 1fr; }"

    def __init__(self) -> None:
        # min_width: RichLog would otherwise render at 78 columns at least and never wrap.
        super().__init__(max_lines=500, wrap=True, min_width=10, id="timeline")
        self.shown = 0

    def on_mount(self) -> None:
        self.border_title = "timeline"

    def show(self, state: LabState) -> None:
        entries = state.entries_since(self.shown)
        self.shown = state.noted
        origin = state.started_at or 0.0
        for entry in entries:
            self.write(Text.assemble((f"+{entry.at - origin:.1f}s ", "dim"), entry.text))
