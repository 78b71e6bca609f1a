"""`natslab class replay EXPORT`: an exported room played back on the board at its own pace
(or faster), for a debrief or to rehearse a workshop; nothing is sent anywhere."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from natslab.cancels import cancel_and_wait
from natslab.room import records
from natslab.room.instructor.board_rows import ReadOnlyBoard
from natslab.room.instructor.exported import read_export
from natslab.room.roster import RoomState

LONGEST_WAIT = 5.0  # seconds of real time at most between two records: a lunch break is skipped


class ReplayFeed:
    """The board's feed, from a file: records applied at their recorded intervals divided by
    `speed`, the board's clock following the recording's."""

    def __init__(self, room: str, stored: list[tuple[str, Any]], speed: float = 1.0) -> None:
        self.room = room
        self.records = [records.read(subject, record) for subject, record in stored]
        self.speed = speed
        self.state = RoomState()
        self.revision = 0
        self.replayed = 0
        self._clock = 0.0  # the recording's time of the latest record applied
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def from_export(cls, path: Path, speed: float) -> ReplayFeed:
        room, stored = read_export(path)
        return cls(room, stored, speed)

    def now(self) -> float:
        return self._clock or time.time()

    def unreachable(self) -> str:
        return ""  # a recording is always there

    async def start(self) -> None:
        self._task = asyncio.create_task(self._play(), name="natslab class replay")

    async def _play(self) -> None:
        previous: float | None = None
        for read in self.records:
            at = read.record.at if isinstance(read, records.Authored) else 0.0
            if previous is not None and at > previous:
                await asyncio.sleep(min((at - previous) / self.speed, LONGEST_WAIT))
            previous = at if at else previous
            self._clock = max(self._clock, at)
            if isinstance(read, records.Refused):
                self.state.refuse(read)
            else:
                self.state.apply(read)
            self.replayed += 1
            self.revision += 1

    @property
    def finished(self) -> bool:
        return self.replayed == len(self.records)

    async def reveal(self, lesson: str, step: int) -> dict[str, Any]:
        """Shown on this board only: a replay publishes nothing."""
        question = self.state.questions[(lesson, step)]
        question.revealed = True
        self.revision += 1
        split = question.split()
        return {"right": question.right(), "answered": sum(split.values())}

    read_only = "A replay holds and tells nobody: it is a recording."

    async def control(self, kind: str, **fields: Any) -> None:
        raise ReadOnlyBoard(self.read_only)

    async def close(self) -> None:
        await cancel_and_wait(self._task)
