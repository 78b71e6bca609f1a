"""The command palette's free-form actions; each shows the shell command it stands for."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from natslab.tui.app import NatsLabApp


class LabCommands(Provider):
    """Lists LabControls.operations(); running one goes through the app's perform()."""

    @property
    def lab(self) -> NatsLabApp:
        return cast("NatsLabApp", self.app)

    async def discover(self) -> Hits:
        for op in self.lab.controls.operations():
            yield DiscoveryHit(op.title, partial(self.lab.perform, op), help=op.shell)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for op in self.lab.controls.operations():
            score = matcher.match(op.title)
            if score > 0:
                yield Hit(
                    score, matcher.highlight(op.title), partial(self.lab.perform, op), help=op.shell
                )
