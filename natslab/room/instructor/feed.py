"""The instructor's live view of a room: the stream from its first event, folded as it comes,
and the reveal of a question (an aggregate published on the room's announcements)."""

from __future__ import annotations

import asyncio
import json
import math
import time
from typing import Any

from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError

from natslab.cancels import cancel_and_wait
from natslab.room.control import ControlRefused, announce_forever, send_control
from natslab.room.instructor.host import instructor_id, instructor_login
from natslab.room.instructor.stream import connect_instructor
from natslab.room.names import ROOM_SELF, announce_subjects, event_subject, stream_name
from natslab.room.roster import RoomState
from natslab.room.stream_config import API_TIMEOUT, follow
from natslab.words import printable


class RoomFeed:
    """Follows `natslab.ROOM.p.>` through an ordered consumer: after a restart of the board
    the room is rebuilt from the stream, every event folded once (RoomState skips repeats)."""

    def __init__(self, room: str, into: RoomState | None = None) -> None:
        self.room = room
        instructor_login(room)  # a room never started here is a sentence now, not at start()
        # On a track's board several rooms fold into one state (its names room/name), and
        # none of them announces the instructor's control from there.
        self.track = into is not None
        self.state = into if into is not None else RoomState()
        self.revision = 0  # bumped per folded message: the board redraws when it moved
        self.nc: Client | None = None
        self._beacon: asyncio.Task[None] | None = None
        self.away_since: float | None = None  # when the room stopped answering, while it does

    async def start(self) -> None:
        self.nc = await connect_instructor(
            self.room, name="natslab-board", max_reconnect_attempts=-1,
            disconnected_cb=self._away, reconnected_cb=self._back,
        )  # fmt: skip
        js = self.nc.jetstream(timeout=API_TIMEOUT)
        await follow(js, f"natslab.{self.room}.p.>", stream_name(self.room), self._on_msg)
        await self.nc.subscribe(f"natslab.{self.room}.hb.*", cb=self._on_heartbeat)
        if not self.track:
            self._beacon = asyncio.create_task(
                announce_forever(self.nc, self.room, self.state.control),
                name="natslab board beacon",
            )

    read_only = ""  # a room's own board holds, releases, says and reveals

    def now(self) -> float:
        """The board's clock: the room is live."""
        return time.time()

    async def _away(self) -> None:
        if self.away_since is None:
            self.away_since = time.time()
            self.revision += 1

    async def _back(self) -> None:
        self.away_since = None
        self.revision += 1

    def unreachable(self) -> str:
        """'room unreachable since 14:02' while the room does not answer, else ""."""
        if self.away_since is None:
            return ""
        return f"room unreachable since {time.strftime('%H:%M', time.localtime(self.away_since))}"

    async def control(self, kind: str, **fields: Any) -> None:
        """Hold, release or say: stored and announced; the fold applies it as it comes back."""
        assert self.nc is not None
        await send_control(self.nc, self.room, kind, **fields)

    async def _on_msg(self, msg: Msg) -> None:
        self.state.take(msg.subject, msg.data)
        self.revision += 1

    async def _on_heartbeat(self, msg: Msg) -> None:
        try:
            pulse = json.loads(msg.data)
            at = float(pulse["at"])
            crashed = {printable(str(k))[:64]: float(v)
                       for k, v in list(dict(pulse.get("crashed") or {}).items())[:20]
                       if math.isfinite(float(v))}  # fmt: skip
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError, OverflowError):
            return
        if not math.isfinite(at):
            return
        name = msg.subject.rsplit(".", 1)[-1]
        self.state.heard(f"{self.room}/{name}" if self.track else name, at, crashed)

    async def reveal(self, lesson: str, step: int) -> dict[str, Any]:
        """Publish a question's aggregate to the room; participants see only this, never
        each other's answers."""
        assert self.nc is not None
        question = self.state.questions[(lesson, step)]
        split = question.split()
        aggregate = {
            "lesson": lesson,
            "step": step,
            "question": question.text,
            "answers": list(question.answers),
            "split": {str(k + 1): v for k, v in sorted(split.items())},
            "right": question.right(),
            "answered": sum(split.values()),
            "measured": sorted(question.measured.values()),
            "values": sorted(question.values.values()),  # numbers only: nobody's name
        }
        subject = announce_subjects(self.room).replace(">", f"reveal.{lesson}.{step}")
        await self.nc.publish(subject, json.dumps(aggregate).encode())
        # Kept in the stream too: a restarted board and a report know what was revealed.
        key = instructor_id(self.room, f"reveal:{lesson}:{step}")
        record = {"participant": ROOM_SELF, "type": "Revealed", "at": time.time(), "id": key,
                  "lesson": lesson, "step": step}  # fmt: skip
        try:
            await self.nc.jetstream(timeout=API_TIMEOUT).publish(
                event_subject(self.room, ROOM_SELF, "Revealed"), json.dumps(record).encode(),
                headers={"Nats-Msg-Id": record["id"]},
            )  # fmt: skip
        except (NatsError, TimeoutError) as exc:
            kept = f"Room {self.room} did not keep the reveal ({exc})"
            raise ControlRefused(
                f"{kept}: the room heard it, but a board started later will not know."
            ) from exc
        question.revealed = True
        self.revision += 1
        return aggregate

    async def close(self) -> None:
        await cancel_and_wait(self._beacon)
        self._beacon = None
        if self.nc is not None:
            await self.nc.close()
            self.nc = None
