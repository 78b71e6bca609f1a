"""Reading the room's stream with the instructor's login: every record, in order."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import AuthorizationError, NoServersError
from nats.errors import Error as NatsError
from nats.js.errors import NotFoundError

from natslab.errors import NatslabError
from natslab.room.files import write_private
from natslab.room.instructor.closed import readable
from natslab.room.instructor.host import instructor_login, record_course, room_folder
from natslab.room.names import stream_name
from natslab.room.reach import reachable_any
from natslab.room.stream_config import API_TIMEOUT, KEEP_DAYS, ensure_stream, follow
from natslab.words import counted


class RoomUnreachable(NatslabError):
    """The room's server does not answer the instructor."""


class DeploymentError(NatslabError):
    """An existing deployment would not hold the room."""


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
    except (ValueError, RecursionError):  # RecursionError: "[" nested thousands deep
        return None


async def connect_instructor(room: str, **options: Any) -> Client:
    """The instructor's connection to the room, or one sentence saying it does not answer."""
    return await connect_with(room, instructor_login(room), **options)


async def _quiet(exc: Exception) -> None:
    """nats-py's default logs a traceback; a failed connect is raised as a sentence here."""


async def connect_with(room: str, login: dict[str, str], **options: Any) -> Client:
    """A login as `class start` wrote it: a password for a room natslab runs, a .creds file
    for a room on an existing deployment."""
    url = login["url"]
    servers = url.split(",")  # a cluster: any of its servers will do
    secret: dict[str, str] = (
        {"user_credentials": login["creds"]}
        if login.get("creds")
        else {"user": login["user"], "password": login["password"]}
    )
    options.setdefault("error_cb", _quiet)
    try:
        await reachable_any(servers)  # a refused port says so at once
        return await asyncio.wait_for(
            nats.connect(servers, connect_timeout=3, **secret, **options), 5.0
        )
    except (AuthorizationError, NatsError) as exc:
        if not isinstance(exc, AuthorizationError) and "Authorization" not in str(exc):
            raise _unreachable(room, url, login, exc) from exc
        raise RoomUnreachable(
            f"The server at {url} refused the instructor's login for room {room!r} ({exc}): "
            + ("are these credentials for that deployment?" if login.get("creds") else
               f"was the room restarted elsewhere? `natslab class start {room}` makes a new one.")
        ) from exc  # fmt: skip
    except (NoServersError, OSError, TimeoutError) as exc:
        raise _unreachable(room, url, login, exc) from exc


def _unreachable(room: str, url: str, login: dict[str, str], exc: Exception) -> RoomUnreachable:
    started = "the deployment up" if login.get("creds") else f"`natslab class start {room}` running"
    return RoomUnreachable(f"The room {room!r} does not answer at {url} ({exc}): is {started}?")


async def read_room(room: str) -> list[Stored]:
    """Every message the room's stream holds, oldest first, through one ordered consumer
    (as the board reads it), not a request per message; a closed room of natslab's own is
    opened here privately while it is read."""
    async with readable(room):
        return await _read_open_room(room)


async def _read_open_room(room: str) -> list[Stored]:
    nc = await connect_instructor(room, allow_reconnect=False)
    try:
        js = nc.jetstream(timeout=API_TIMEOUT)
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

        sub = await follow(js, f"natslab.{room}.p.>", name, collect)
        await asyncio.wait_for(complete.wait(), READ_TIMEOUT)
        await sub.unsubscribe()
        return out
    finally:
        await nc.close()


async def open_on_deployment(
    room: str, url: str, creds: Path, keep_days: float = KEEP_DAYS, course: str = ""
) -> str:
    """`class start --server URL --creds FILE`: no server of ours. Make the room's stream in
    the instructor's account there (with the room's `course`, if given) and remember the
    login; returns the stream's state."""
    login = {"url": url, "creds": str(creds)}
    nc = await connect_with(room, login, allow_reconnect=False)
    try:
        js = nc.jetstream(timeout=API_TIMEOUT)
        try:
            # Every server the cluster told of counts: R3 where there are three or more.
            replicas = min(3, len({u.netloc for u in nc.servers}))
            info = await ensure_stream(js, room, keep_days, replicas)
            if course:
                await record_course(nc, room, course)
        except (NatsError, TimeoutError) as exc:
            raise _refused(url, room, exc) from exc
    finally:
        await nc.close()
    write_private(room_folder(room) / "instructor.json", json.dumps(login))
    return counted(info.state.messages, "event")


def _refused(url: str, room: str, why: Exception) -> DeploymentError:
    return DeploymentError(
        f"The deployment at {url} would not make the room's stream {stream_name(room)} "
        f"({why}): the instructor's account needs JetStream and the subjects natslab.{room}.>."
    )
