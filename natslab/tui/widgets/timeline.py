"""A short scrolling list of notable events, with times relative to the start of the run."""

from __future__ import annotations

from textual.widgets import Log

from natslab.state import LabState


class TimelineView(Log):
    DEFAULT_CSS = "TimelineView { border: round $primary-darken-2; height: 1fr; }"

    def __init__(self) -> None:
        super().__init__(max_lines=500, id="timeline")
        self.shown = 0

    def on_mount(self) -> None:
        self.border_title = "timeline"

    def show(self, state: LabState) -> None:
        entries = state.entries_since(self.shown)
        self.shown = state.noted
        if entries:
            origin = state.started_at or 0.0
            self.write_lines(f"+{entry.at - origin:6.1f}s  {entry.text}" for entry in entries)
