"""Free-form actions: the lab's own start-up and the command palette's entries, each taken
through the session (recorded, with its by-hand command) and told on the action line."""

from __future__ import annotations

from textual import work

from natslab.errors import NatslabError
from natslab.lab.operations import PaletteEntry
from natslab.lab.operator import start_plan
from natslab.tui.room_keys import RoomKeys
from natslab.tui.run_protocol import ScreenSession


class FreeForm(RoomKeys):
    """An app whose session may act: the palette, and starting the lab's servers."""

    session: ScreenSession
    subscribers: int

    @work(exclusive=False, group="servers", exit_on_error=False)
    async def _start_lab_servers(self) -> None:
        try:
            for entry in start_plan(self.servers, self.subscribers):
                await self.session.take(entry)
        except NatslabError as exc:
            self.notify(str(exc), severity="error", timeout=15)

    def palette(self) -> list[PaletteEntry]:
        """What the command palette offers right now (nothing, when watching)."""
        return self.session.palette()

    def by_hand(self, entry: PaletteEntry) -> str:
        return self.session.by_hand(entry.operation)

    @work(exclusive=False, group="controls", exit_on_error=False)
    async def perform(self, entry: PaletteEntry) -> None:
        """Run a palette entry in the background and say what it did and how."""
        self.action_line.running(entry.title)
        try:
            done = await self.session.take(entry)
        except NatslabError as exc:
            # A refusal is a sentence to read whole: the line shows its start, a toast all.
            self.action_line.failed(entry.title, str(exc))
            self.notify(str(exc), title=entry.title, severity="error", timeout=10)
            return
        self.action_line.done(entry.title, done)
