"""`natslab class end ROOM`: the room's data has an end. One last export, then its stream,
config and credentials are deleted."""

from __future__ import annotations

import shutil
import socket
import time
from pathlib import Path

from nats.js.errors import NotFoundError

from natslab.cluster.binary import find_binary
from natslab.cluster.rundir import state_dir
from natslab.errors import UsageError
from natslab.room.config import RoomConfig
from natslab.room.exported import write_export
from natslab.room.host import RoomHost, instructor_login, room_folder
from natslab.room.membership import reachable
from natslab.room.names import stream_name
from natslab.room.stream import Stored, connect_instructor, read_room
from natslab.room.stream_config import API_TIMEOUT


async def end_room(room: str, output: Path | None) -> tuple[Path, int]:
    """Returns where the export went and how many events it holds."""
    login = instructor_login(room)
    folder = room_folder(room)
    host = None
    if not login.get("creds"):  # natslab's own room: opened here, privately, to read it
        await _refuse_if_open(room, login["url"])
        host = RoomHost(RoomConfig.load(folder), find_binary(), folder)
        host.config.host, host.config.port = "127.0.0.1", _free_port()
        await host.start()
    try:
        stored = await _everything(room)
        out = (
            output
            or state_dir() / "reports" / f"room-{room}-{time.strftime('%Y%m%d-%H%M%S')}.jsonl"
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as file:
            write_export(stored, "jsonl", file)
        nc = await connect_instructor(room, allow_reconnect=False)
        try:
            await nc.jetstream(timeout=API_TIMEOUT).delete_stream(stream_name(room))
        except NotFoundError:
            pass  # never had an event
        finally:
            await nc.close()
    finally:
        if host is not None:
            await host.stop()
    shutil.rmtree(folder)
    return out, len(stored)


async def _refuse_if_open(room: str, url: str) -> None:
    where, _, port = url.removeprefix("nats://").rpartition(":")
    try:
        await reachable(where, int(port), timeout=1.0)
    except OSError:
        return  # closed, as it should be
    raise UsageError(
        f"The room {room!r} is still open at {url}: close it first (Ctrl+C where "
        f"`natslab class start {room}` runs), then end it."
    )


async def _everything(room: str) -> list[Stored]:
    nc = await connect_instructor(room, allow_reconnect=False)
    try:
        await nc.jetstream(timeout=API_TIMEOUT).stream_info(stream_name(room))
    except NotFoundError:
        return []
    finally:
        await nc.close()
    return await read_room(room)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
