"""One line above the footer saying what the last palette action did, hiding nothing."""

from __future__ import annotations

from rich.text import Text

from natslab.lab.operations import Done
from natslab.tui.widgets.steady import SteadyStatic

HINT = "ctrl+p: the lab's actions. What each one did, and its shell command, shows here."


class ActionLine(SteadyStatic):
    """Takes its own row, so the client table and the timeline stay in view while an action
    runs; the timeline keeps each one for good ("you: …")."""

    DEFAULT_CSS = """
    ActionLine { height: 1; padding: 0 1; text-wrap: nowrap; text-overflow: ellipsis;
                 color: $text-muted; }
    ActionLine.-hidden { display: none; }
    """

    def __init__(self, hint: bool) -> None:
        super().__init__(HINT if hint else "", classes="" if hint else "-hidden", id="action")
        self._said: Text = Text(HINT if hint else "")
        self._room = ""

    def room(self, status: str) -> None:
        """The class room's uplink, after what the line says: 'room workshop: live'."""
        if status != self._room:
            self._room = status
            self._show(self._said)

    def _show(self, said: Text) -> None:
        self._said = said
        if self._room:
            said = Text.assemble(said, ("  │ ", "dim"), (self._room, "cyan"))
        self.update(said)

    def running(self, title: str) -> None:
        self.remove_class("-hidden")
        self._show(Text.assemble(("… ", "bold"), title))

    def done(self, title: str, done: Done) -> None:
        command = [("  $ ", "dim"), (done.command, "bold")] if done.command else []
        self.remove_class("-hidden")
        self._show(Text.assemble(("✓ ", "green bold"), f"{title}: {done.detail}", *command))

    def failed(self, title: str, why: str) -> None:
        self._show(Text.assemble(("✗ ", "red bold"), (f"{title}: {why}", "red")))
