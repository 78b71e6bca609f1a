"""A Footer that rebuilds its keys only when the keys it shows have changed."""

from __future__ import annotations

from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

Shown = tuple[tuple[str, str, bool, str], ...]  # key, description, enabled, tooltip


class SteadyFooter(Footer):
    """Textual's Footer recomposes on every focus change, even when the keys stay the same.

    Each rebuild mounts a dozen widgets, restyles them and lays the whole screen out again,
    which under a log flood is enough to delay the next key press. The shown keys rarely
    change, so compare first; when only some went dim or lit, restyle those keys in place.
    """

    _shown: Shown | None = None
    decisions = 0  # how often it was asked to rebuild: tests wait on this, not on time
    rebuilds = 0  # how often it did

    def bindings_changed(self, screen: Screen[object]) -> None:
        self.decisions += 1
        shown = tuple(
            (binding.key, binding.description, enabled, tooltip)
            for (_, binding, enabled, tooltip) in screen.active_bindings.values()
            if binding.show
        )
        if shown == self._shown and self._bindings_ready:
            return
        mine = screen.app.app_focus and self.is_attached and screen is self.screen
        if mine and self._bindings_ready and _same_keys(shown, self._shown):
            self._shown = shown
            self._light(shown)
            return
        if mine:
            self._shown = shown
            self.rebuilds += 1
        super().bindings_changed(screen)

    def _light(self, shown: Shown) -> None:
        """Dim the keys that cannot act now and light the others: a class, no layout."""
        enabled = {key: on for key, _, on, _ in shown}
        for footer_key in self.query(FooterKey):
            if footer_key.key in enabled:
                # FooterKey keeps its state in `_disabled` (a click on a dim key rings the bell).
                footer_key._disabled = not enabled[footer_key.key]
                footer_key.set_class(footer_key._disabled, "-disabled")


def _same_keys(shown: Shown, before: Shown | None) -> bool:
    return before is not None and [s[:2] + s[3:] for s in shown] == [b[:2] + b[3:] for b in before]
