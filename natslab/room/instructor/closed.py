"""A room natslab runs, read while it is closed: opened here, privately, for as long as it
is read (`class export`, `report --class`, `class roster` and `class end` of a closed room)."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from natslab.cluster.binary import find_binary
from natslab.room.files import write_private
from natslab.room.instructor.config import RoomConfig
from natslab.room.instructor.host import RoomHost, instructor_login, room_folder
from natslab.room.reach import reachable


async def is_open(url: str) -> bool:
    """Whether the room's server answers at `url` (nats://HOST:PORT)."""
    where, _, port = url.removeprefix("nats://").rpartition(":")
    try:
        await reachable(where, int(port), timeout=1.0)
    except (OSError, TimeoutError):
        return False
    return True


@asynccontextmanager
async def readable(room: str) -> AsyncIterator[None]:
    """The room as it is when it is open, or on a deployment; otherwise its server started
    here on a private loopback port until the block ends, its login put back as it was."""
    login = instructor_login(room)
    if login.get("creds") or await is_open(login["url"]):
        yield
        return
    folder = room_folder(room)
    kept = {name: (folder / name).read_text(encoding="utf-8")
            for name in ("instructor.json", "room.json")}  # fmt: skip
    host = RoomHost(RoomConfig.load(folder), find_binary(), folder)
    host.config.host, host.config.port = "127.0.0.1", _free_port()
    await host.start()
    try:
        yield
    finally:
        await host.stop()
        for name, text in kept.items():  # where `class start` opens it is its own business
            write_private(folder / name, text)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
