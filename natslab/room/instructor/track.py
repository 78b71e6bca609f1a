"""`natslab class board ROOM,ROOM…`: a track chair's board over several rooms of one
natslab (or one cluster): every room's participants on one roster, named room/pseudonym, and
the questions and figures across the whole track. It only reads: holds and reveals are each
room's own board's."""

from __future__ import annotations

import time
from typing import Any

from natslab.room.instructor.board_rows import ReadOnlyBoard
from natslab.room.instructor.feed import RoomFeed
from natslab.room.roster import RoomState


class TrackFeed:
    """One RoomFeed per room, all folding into one RoomState."""

    def __init__(self, rooms: list[str]) -> None:
        self.room = ",".join(rooms)
        self.state = RoomState(track=True)
        self.feeds = [RoomFeed(room, into=self.state) for room in rooms]

    @property
    def revision(self) -> int:
        return sum(feed.revision for feed in self.feeds)

    def now(self) -> float:
        return time.time()

    def unreachable(self) -> str:
        return "; ".join(f"{f.room}: {away}" for f in self.feeds if (away := f.unreachable()))

    async def start(self) -> None:
        for feed in self.feeds:
            await feed.start()

    async def reveal(self, lesson: str, step: int) -> dict[str, Any]:
        raise ReadOnlyBoard("Reveal from the room's own board: the track's board only reads.")

    read_only = "Hold and release from the room's own board: the track's only reads."

    async def control(self, kind: str, **fields: Any) -> None:
        raise ReadOnlyBoard(self.read_only)

    async def close(self) -> None:
        for feed in self.feeds:
            await feed.close()
