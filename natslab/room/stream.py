"""Reading the room's stream with the instructor's login: every record, in order."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import nats
from nats.errors import Error as NatsError
from nats.errors import NoServersError
from nats.js.errors import NotFoundError

from natslab.errors import NatslabError
from natslab.room.host import instructor_login
from natslab.room.names import stream_name


class RoomUnreachable(NatslabError):
    """The room's server does not answer the instructor."""


@dataclass(frozen=True)
class Stored:
    """One message of the room's stream: its sequence, subject, and what it carried."""

    seq: int
    subject: str
    record: Any  # the participant's record, or None when it was not JSON (counted, ignored)


async def read_room(room: str) -> list[Stored]:
    """Every message the room's stream holds, oldest first."""
    login = instructor_login(room)
    try:
        nc = await asyncio.wait_for(
            nats.connect(login["url"], user=login["user"], password=login["password"],
                         connect_timeout=3, allow_reconnect=False),
            5.0,
        )  # fmt: skip
    except (NoServersError, NatsError, OSError, TimeoutError) as exc:
        raise RoomUnreachable(
            f"The room {room!r} does not answer at {login['url']} ({exc}): is "
            f"`natslab class start {room}` running?"
        ) from exc
    try:
        js = nc.jetstream()
        name = stream_name(room)
        try:
            info = await js.stream_info(name)
        except NotFoundError as exc:
            raise RoomUnreachable(f"The room {room!r} has no stream {name} yet.") from exc
        out: list[Stored] = []
        seq, last = info.state.first_seq, info.state.last_seq
        while info.state.messages and seq <= last:
            try:
                msg = await js.get_msg(name, seq)
            except NotFoundError:  # deleted or expired: nothing at that sequence
                seq += 1
                continue
            try:
                record = json.loads(msg.data or b"")
            except ValueError:
                record = None
            out.append(Stored(msg.seq or seq, msg.subject or "", record))
            seq += 1
        return out
    finally:
        await nc.close()
