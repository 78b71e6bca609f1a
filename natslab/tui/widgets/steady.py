"""A Static that ignores an update to the content it already shows."""

from __future__ import annotations

from textual.visual import VisualType
from textual.widgets import Static


class SteadyStatic(Static):
    """Redrawn ten times a second with mostly the same text: an unchanged update costs nothing.

    Static.update always relays out the screen, and under a log flood that delays keys.
    """

    def update(self, content: VisualType = "", *, layout: bool = True) -> None:
        if content == self.content:
            return
        super().update(content, layout=layout)
