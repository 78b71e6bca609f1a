"""A short scrolling list of notable events, with times relative to the start of the run."""

from __future__ import annotations

from collections import deque

from rich.text import Text
from textual.events import Resize
from textual.widgets import RichLog

from natslab.present.timeline_words import words
from natslab.state import LabState

MAX_ENTRIES = 500


class TimelineView(RichLog):
    """Entries wrap at the view's width: a narrow timeline never cuts a name or a number, and
    a wider one (after a resize, or `t` showing it at 80 columns) re-wraps what it holds."""

    DEFAULT_CSS = "TimelineView { border: round $primary-darken-2; height: 1fr; }"

    def __init__(self) -> None:
        # min_width: RichLog would otherwise render at 78 columns at least and never wrap.
        super().__init__(max_lines=MAX_ENTRIES * 4, wrap=True, min_width=10, id="timeline")
        self.shown = 0
        self.entries: deque[Text] = deque(maxlen=MAX_ENTRIES)
        self._wrapped_at = 0

    def on_mount(self) -> None:
        self.border_title = "timeline"

    def show(self, state: LabState) -> None:
        entries = state.entries_since(self.shown)
        self.shown = state.noted
        origin = state.started_at or 0.0
        for entry in entries:
            said = (words(entry), "bold red") if entry.alarm else words(entry)
            text = Text.assemble((f"+{entry.at - origin:.1f}s ", "dim"), said)
            self.entries.append(text)
            if self._wrapped_at:
                self.write(text)

    def on_resize(self, event: Resize) -> None:
        # RichLog wraps each entry once, at the width it had when written; a hidden view (at
        # 80 columns until `t`) has next to none, which put every word on its own line.
        width = self.scrollable_content_region.width
        if width < self.min_width or width == self._wrapped_at:
            return
        self._wrapped_at = width
        self.clear()
        for text in self.entries:
            self.write(text)
