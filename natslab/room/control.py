"""The instructor's say over the room: hold it at a step, release it, a message to everyone.
Each is a record in the room's stream (so every board, and a restarted one, folds the same
state) and an announcement; the room's host and every board announce the whole state again
every few seconds, so a participant who joins late, or whose Wi-Fi came back, has it too.
Holding twice at the same step, or releasing twice, changes nothing: the messages are
idempotent, whichever board or command sends them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

from nats.errors import Error as NatsError

from natslab.errors import NatslabError
from natslab.room.names import ROOM_SELF, announce_subjects, event_subject
from natslab.room.stream_config import API_TIMEOUT

BEACON = 5.0  # seconds between announcements of the whole state


@dataclass
class Control:
    """What the instructor set: held steps by lesson (0-based: that step may not start) and
    the latest message; folded from records in stream order, the last one wins."""

    holds: dict[str, int] = field(default_factory=dict)
    message: str = ""
    said_at: float = 0.0
    closed_at: float = 0.0  # when the instructor closed the room (0: open, as far as we know)
    course: str = ""  # the course the instructor last named for the room

    def apply(self, record: dict[str, Any]) -> None:
        kind = record.get("type")
        if kind == "Held":
            self.holds[str(record["lesson"])] = int(record["step"])
        elif kind == "Released":
            self.holds.pop(str(record["lesson"]), None)
        elif kind == "Said":
            self.message, self.said_at = str(record.get("text", "")), float(record.get("at", 0))
        elif kind == "State":
            self.holds = {str(k): int(v) for k, v in dict(record.get("holds", {})).items()}
            self.message, self.said_at = str(record.get("text", "")), float(record.get("at", 0))
            self.closed_at = 0.0  # announced: the room is open
        elif kind == "Course":
            self.course = str(record.get("course", ""))
        elif kind == "Closed":
            self.closed_at = float(record.get("at", 0)) or time.time()

    def state_record(self) -> dict[str, Any]:
        return {"type": "State", "holds": self.holds, "text": self.message, "at": self.said_at}

    def held_text(self, lesson: str, index: int) -> str:
        """Why step `index` (0-based) of `lesson` may not start now, or ""."""
        step = self.holds.get(lesson)
        if step is None or index < step:
            return ""
        return f"The instructor holds the room at step {step + 1}: wait for the release."


class ControlRefused(NatslabError):
    """The room's stream would not keep an instructor's record."""


def control_subject(room: str) -> str:
    return announce_subjects(room).replace(">", "control")


async def send_control(nc: Any, room: str, kind: str, **fields: Any) -> dict[str, Any]:
    """Store a control record in the room's stream and announce it."""
    at = time.time()
    # An id no participant can guess: one who published it first would have the stream
    # drop this record as a duplicate.
    record = {"participant": ROOM_SELF, "type": kind, "at": at,
              "id": f"{ROOM_SELF}:{kind}:{secrets.token_hex(16)}", **fields}  # fmt: skip
    payload = json.dumps(record).encode()
    try:
        await nc.jetstream(timeout=API_TIMEOUT).publish(
            event_subject(room, ROOM_SELF, kind), payload, headers={"Nats-Msg-Id": record["id"]}
        )
    except (NatsError, TimeoutError) as exc:  # the stream refused it, or did not answer
        raise ControlRefused(f"Room {room} did not keep the {kind.lower()} record ({exc}): "
                             "nothing was announced; try again.") from exc  # fmt: skip
    await nc.publish(control_subject(room), payload)
    return record


async def announce_closed(nc: Any, room: str) -> None:
    """The room is closing: every participant's natslab says so, instead of "unreachable"."""
    closing = {"type": "Closed", "at": time.time()}
    with contextlib.suppress(Exception):  # a server already gone tells nobody anything
        await nc.publish(control_subject(room), json.dumps(closing).encode())
        await nc.flush(timeout=2)


async def announce_forever(nc: Any, room: str, control: Control) -> None:
    """The whole state, every BEACON seconds, for whoever joined or came back since."""
    while True:
        with contextlib.suppress(Exception):  # a room away for a moment: try again next time
            await nc.publish(control_subject(room), json.dumps(control.state_record()).encode())
        await asyncio.sleep(BEACON)
