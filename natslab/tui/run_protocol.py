"""What the screen asks of a run (lab.session.Session answers it, whatever its source). A run
with no operator only reads: the screen offers nothing to do and quitting stops nothing."""

from __future__ import annotations

from typing import Protocol

from natslab.bus import EventBus
from natslab.cluster.leftovers import Leftover
from natslab.lab.logs import LogStore
from natslab.lab.operations import Done, Operation, PaletteEntry
from natslab.lab.operator import Operator
from natslab.lessons.lab_protocol import Lab
from natslab.lessons.model import Lesson
from natslab.lessons.runner import LessonRunner
from natslab.room.participant.uplink import Uplink
from natslab.state import LabState


class ScreenSource(Protocol):
    """The run's source of servers, as far as the screen cares."""

    def as_lab(self) -> Lab | None:
        """The lab a lesson acts on, or None for a source that only reads."""
        ...


class ScreenSession(Protocol):
    """One run as the screen sees it."""

    bus: EventBus
    state: LabState
    logs: LogStore
    leftovers: list[Leftover]

    @property
    def source(self) -> ScreenSource: ...

    @property
    def operator(self) -> Operator | None: ...

    def start_polling(self, interval: float = 0.5, idle_interval: float | None = None) -> None:
        """Begin asking the servers; each run has its own pace."""
        ...

    def waiting(self) -> str:
        """What the screen says while there is no server to show ("" for none)."""
        ...

    def palette(self) -> list[PaletteEntry]: ...

    def by_hand(self, op: Operation) -> str: ...

    async def take(self, entry: PaletteEntry) -> Done: ...


class ShownRun(Protocol):
    """What the lab's screen shows, as the app holds it: the run, the lesson and its runner,
    the class room, and how the run was asked for."""

    session: ScreenSession
    servers: list[str]
    lesson: Lesson | None
    runner: LessonRunner | None
    room: Uplink | None
    auto: bool
    auto_pause: float
    subscribers: int
    start_servers_on_mount: bool
    read_only: bool
