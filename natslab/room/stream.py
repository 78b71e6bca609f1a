"""Reading the room's stream with the instructor's login: every record, in order."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import NoServersError
from nats.js.errors import NotFoundError

from natslab.errors import NatslabError
from natslab.room.host import instructor_login
from natslab.room.membership import reachable
from natslab.room.names import stream_name


class RoomUnreachable(NatslabError):
    """The room's server does not answer the instructor."""


@dataclass(frozen=True)
class Stored:
    """One message of the room's stream: its sequence, subject, and what it carried."""

    seq: int
    subject: str
    record: Any  # the participant's record, or None when it was not JSON (counted, ignored)


READ_TIMEOUT = 60.0  # for the whole stream, read once at the speed of the connection


def parse_record(data: bytes) -> Any:
    """A participant's record, or None for a message that is not JSON (counted, ignored)."""
    try:
        return json.loads(data)
    except ValueError:
        return None


async def connect_instructor(room: str, **options: Any) -> Client:
    """The instructor's connection to the room, or one sentence saying it does not answer."""
    login = instructor_login(room)
    url = login["url"]
    host, _, port = url.removeprefix("nats://").rpartition(":")
    try:
        await reachable(host, int(port))  # a refused port says so at once
        return await asyncio.wait_for(
            nats.connect(url, user=login["user"], password=login["password"],
                         connect_timeout=3, **options),
            5.0,
        )  # fmt: skip
    except (NoServersError, NatsError, OSError, TimeoutError) as exc:
        raise RoomUnreachable(
            f"The room {room!r} does not answer at {url} ({exc}): is "
            f"`natslab class start {room}` running?"
        ) from exc


async def read_room(room: str) -> list[Stored]:
    """Every message the room's stream holds, oldest first, through one ordered consumer
    (as the board reads it), not a request per message."""
    nc = await connect_instructor(room, allow_reconnect=False)
    try:
        js = nc.jetstream()
        name = stream_name(room)
        try:
            info = await js.stream_info(name)
        except NotFoundError as exc:
            raise RoomUnreachable(f"The room {room!r} has no stream {name} yet.") from exc
        out: list[Stored] = []
        if not info.state.messages:
            return out
        last, complete = info.state.last_seq, asyncio.Event()

        async def collect(msg: Msg) -> None:
            seq = msg.metadata.sequence.stream
            out.append(Stored(seq, msg.subject, parse_record(msg.data)))
            if seq >= last:
                complete.set()

        sub = await js.subscribe(f"natslab.{room}.p.>", ordered_consumer=True, cb=collect)
        await asyncio.wait_for(complete.wait(), READ_TIMEOUT)
        await sub.unsubscribe()
        return out
    finally:
        await nc.close()
