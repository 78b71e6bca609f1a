"""One run, whatever its servers: the bus feeding LabState and the log store, the run
directory with its recorder, the one signal-safe `run`, and a *source* of servers that
says what it sees. A source that can act has an operator; one without only reads."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from natslab.bus import EventBus
from natslab.cluster.leftovers import Leftover
from natslab.cluster.rundir import RunDir
from natslab.errors import NatslabError
from natslab.lab import lifecycle
from natslab.lab.logs import LogStore
from natslab.lab.operations import Done, Operation, PaletteEntry
from natslab.lab.recorder import EventRecorder
from natslab.state import ActionTaken, LabState

if TYPE_CHECKING:  # a type only: a run that reads (a watch) never loads what acts
    from natslab.lab.operator import Operator


@dataclass(frozen=True)
class RunCore:
    """What a source is given: where to say what it sees, and what has been folded so far."""

    bus: EventBus
    state: LabState
    logs: LogStore
    run_dir: RunDir


class Source(Protocol):
    """Where a run's servers come from: this lab's own processes, or a watch of a cluster."""

    @property
    def operator(self) -> Operator | None:
        """What acts on the servers; None for a source that only reads."""
        ...

    def start(self, interval: float, idle_interval: float | None) -> None:
        """Begin asking the servers; each source keeps its own pace."""
        ...

    def waiting(self) -> str:
        """What a screen with no server to show says ("": it shows its panes)."""
        ...

    def interrupt_now(self) -> None:
        """The terminal went away: act at once, before any screen winds down."""
        ...

    def abandon_now(self) -> None:
        """Last resort, when the run cannot close: leave nothing running behind."""
        ...

    async def aclose(self) -> None: ...


S = TypeVar("S", bound=Source, covariant=True)


class Session(Generic[S]):
    """One run as the screen, the printers and the lessons see it."""

    def __init__(self, run_dir: RunDir, source: Callable[[RunCore], S]) -> None:
        self.bus, self.run_dir = EventBus(), run_dir
        self.state = LabState()
        self.bus.subscribe(self.state.apply)
        self.logs = LogStore()
        self.bus.subscribe(self.logs)
        self.recorder = EventRecorder(run_dir.path)
        self.bus.subscribe(self.recorder)
        self.leftovers: list[Leftover] = []  # processes an earlier run left, if any
        self.source: S = source(RunCore(self.bus, self.state, self.logs, run_dir))

    @property
    def operator(self) -> Operator | None:
        return self.source.operator

    def start_polling(self, interval: float = 0.5, idle_interval: float | None = None) -> None:
        self.source.start(interval, idle_interval)

    def waiting(self) -> str:
        return self.source.waiting()

    def palette(self) -> list[PaletteEntry]:
        """What the command palette offers right now, from what LabState knows."""
        return self.operator.palette(self.state) if self.operator is not None else []

    def by_hand(self, op: Operation) -> str:
        return self.operator.by_hand(op) if self.operator is not None else ""

    async def take(self, entry: PaletteEntry) -> Done:
        """Run what the user chose (a palette entry, or the lab's own start-up) and record it,
        done or refused, for the timeline and the report."""
        if self.operator is None:
            raise NatslabError(f"This run only reads: it cannot {entry.title.lower()}.")
        try:
            done = await self.operator.perform(entry.operation)
        except NatslabError as exc:
            self.emit(ActionTaken(title=entry.title, ok=False, detail=str(exc)))
            raise
        self.emit(ActionTaken(title=entry.title, ok=True, detail=done.detail, command=done.command))
        return done

    def emit(self, event: object) -> None:
        self.bus.emit(event)

    async def close(self) -> None:
        """The source closed (a lab's clients and servers stopped), then the run's records."""
        try:
            await self.source.aclose()
        finally:
            self.finish()

    def finish(self) -> None:
        """The run's records closed: the recorder flushed and the run directory marked."""
        try:
            self.run_dir.finish()
        finally:
            self.recorder.close()

    def _abandon(self) -> None:
        self.source.abandon_now()
        self.run_dir.finish()  # may fail (the run directory was deleted): leave regardless

    def run(
        self,
        main: Callable[[Session[S]], Coroutine[Any, Any, int]],
        stop: Callable[[int], None] | None = None,
    ) -> int:
        """Run main until it returns or a signal arrives, and always close the run
        (lab/lifecycle.py): on SIGHUP the source acts at once, and a run that cannot close
        abandons its source and leaves."""
        return lifecycle.run(
            lambda: main(self), self.close, stop,
            hangup=self.source.interrupt_now, last_resort=self._abandon,
        )  # fmt: skip
