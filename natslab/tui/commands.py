"""The command palette's free-form actions; each shows the shell command it stands for."""

from __future__ import annotations

from functools import partial
from typing import Protocol, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

from natslab.lab.operations import PaletteEntry


class PaletteHost(Protocol):
    """What the palette needs of the app: the entries, their by-hand text, a way to run one."""

    def palette(self) -> list[PaletteEntry]: ...

    def by_hand(self, entry: PaletteEntry) -> str: ...

    def perform(self, entry: PaletteEntry) -> object: ...


class LabCommands(Provider):
    """Lists the operator's palette entries; running one goes through the app's perform()."""

    @property
    def lab(self) -> PaletteHost:
        return cast(PaletteHost, self.app)

    async def discover(self) -> Hits:
        for entry in self.lab.palette():
            yield DiscoveryHit(
                entry.title, partial(self.lab.perform, entry), help=self.lab.by_hand(entry)
            )

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for entry in self.lab.palette():
            score = matcher.match(entry.title)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(entry.title),
                    partial(self.lab.perform, entry),
                    help=self.lab.by_hand(entry),
                )
