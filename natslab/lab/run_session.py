"""What every run shares, the lab's and a watch's: one bus feeding one LabState and one log
store, the run directory with its recorder, and how the run is closed. A run is read-only
unless its source of servers can act (the lab's operator)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from natslab.bus import EventBus
from natslab.cluster.leftovers import Leftover
from natslab.cluster.rundir import RunDir
from natslab.errors import NatslabError
from natslab.lab.logs import LogStore
from natslab.lab.operations import Done, Operation, PaletteEntry
from natslab.lab.recorder import EventRecorder
from natslab.state import LabState

if TYPE_CHECKING:  # a type only: a run that reads (a watch) never loads what acts
    from natslab.lab.operator import Operator


class RunSession:
    """One run as the screen and the printers see it; a source of servers feeds its bus."""

    operator: Operator | None = None  # only a source that can act has one

    def __init__(self, bus: EventBus, run_dir: RunDir, recorder: EventRecorder) -> None:
        self.bus, self.run_dir, self.recorder = bus, run_dir, recorder
        self.state = LabState()
        self.bus.subscribe(self.state.apply)
        self.logs = LogStore()
        self.bus.subscribe(self.logs)
        self.leftovers: list[Leftover] = []  # processes an earlier run left, if any

    def waiting(self) -> str:
        """What a screen with no server to show says ("": it shows its panes)."""
        return ""

    def palette(self) -> list[PaletteEntry]:
        return []

    def by_hand(self, op: Operation) -> str:
        return ""

    async def take(self, entry: PaletteEntry) -> Done:
        raise NatslabError(f"This run only reads: it cannot {entry.title.lower()}.")

    def emit(self, event: object) -> None:
        self.bus.emit(event)

    def finish(self) -> None:
        """The run's records closed: the recorder flushed and the run directory marked."""
        try:
            self.run_dir.finish()
        finally:
            self.recorder.close()
