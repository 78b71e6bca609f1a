"""A Footer that rebuilds its keys only when the keys it shows have changed."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer


class SteadyFooter(Footer):
    """Textual's Footer recomposes on every focus change, even when the keys stay the same.

    Each rebuild mounts a dozen widgets and restyles them, which under a log flood is enough
    to delay the next key press; the shown keys rarely change, so compare first.
    """

    _shown: tuple[tuple[str, str, bool, str], ...] | None = None
    decisions = 0  # how often it was asked to rebuild: tests wait on this, not on time

    def bindings_changed(self, screen: Screen[object]) -> None:
        self.decisions += 1
        shown = tuple(
            (binding.key, binding.description, enabled, tooltip)
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show
        )
        if shown == self._shown and self._bindings_ready:
            return
        if screen.app.app_focus and self.is_attached and screen is self.screen:
            self._shown = shown
        super().bindings_changed(screen)
