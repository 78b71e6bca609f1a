"""`natslab class end ROOM`: the room's data has an end. One last export, then its stream,
config and credentials are deleted."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from nats.js.errors import NotFoundError

from natslab.cluster.rundir import state_dir
from natslab.errors import UsageError
from natslab.room.instructor.closed import is_open, readable
from natslab.room.instructor.exported import write_export
from natslab.room.instructor.host import instructor_login, room_folder
from natslab.room.instructor.stream import Stored, connect_instructor, read_room
from natslab.room.names import stream_name
from natslab.room.stream_config import API_TIMEOUT


async def end_room(room: str, output: Path | None) -> tuple[Path, int]:
    """Returns where the export went and how many events it holds."""
    login = instructor_login(room)
    folder = room_folder(room)
    if not login.get("creds"):
        await _refuse_if_open(room, login["url"])
    async with readable(room):  # natslab's own room: opened here, privately, to read it
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
    shutil.rmtree(folder)
    return out, len(stored)


async def _refuse_if_open(room: str, url: str) -> None:
    if not await is_open(url):
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
