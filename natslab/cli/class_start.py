"""`natslab class start`: a room natslab runs (its own nats-server), or a room on an existing
NATS deployment (one server or a cluster), where natslab may also issue the users."""

from __future__ import annotations

import argparse
import asyncio
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from natslab.errors import UsageError

if TYPE_CHECKING:
    import nkeys
    from rich.console import Console

DEFAULT_LISTEN = "127.0.0.1:7222"


def listen_address(value: str, flag: str = "--listen") -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise UsageError(f"{flag} {value!r}: give HOST:PORT, e.g. 0.0.0.0:7222.")
    return host, int(port)


def start(args: argparse.Namespace, console: Console) -> int:
    """On a deployment (--server, --creds, --signing-key), or a nats-server of natslab's."""
    if args.course is not None:
        from natslab.lessons.courses import find_course

        find_course(args.course)  # a course natslab does not have is a sentence, at once
    if args.server or args.creds or args.signing_key:
        return _start_on_deployment(args, console)
    return _start(args.room, args.listen, console, getattr(args, "nats_server", None), args.keep,
                  args.course or "")  # fmt: skip


def say_course(course_id: str, console: Console) -> None:
    """What the room follows, as `class start` says it: the course and its lessons in order."""
    from natslab.lessons.courses import find_course

    course = find_course(course_id)
    console.print(f"The room follows course {course.id} ({course.title}): "
                  f"{', '.join(course.lessons)}, in that order.", markup=False)  # fmt: skip


def _start(
    room: str,
    listen: str,
    console: Console,
    binary_flag: str | None,
    keep: float = 30.0,
    course: str = "",
) -> int:
    from natslab.cluster.binary import find_binary
    from natslab.room.instructor.host import RoomHost, reachable_host
    from natslab.room.names import check_room

    host, port = listen_address(listen)
    check_room(room)
    binary = find_binary(binary_flag)

    async def main() -> int:
        hosted = RoomHost.create(room, host, port, binary, course)
        hosted.keep_days = _keep(keep)
        hosted.on_join = lambda name: console.print(f"{name} joined.")
        await hosted.start()
        shown = reachable_host(host)
        console.print(f"Room {room!r} is open on {host}:{port} (nats-server {binary.version}).")
        if hosted.config.course:
            say_course(hosted.config.course, console)
        console.print("Participants join with:\n")
        console.print(f"  natslab class join {hosted.join_line(shown)} --name PSEUDONYM\n")
        if host in ("127.0.0.1", "localhost", "::1"):
            console.print("It listens on this machine only: for laptops in the room, start it "
                          "with --listen 0.0.0.0:PORT or this machine's LAN address.")  # fmt: skip
        console.print(f"Its files are in {hosted.folder}. Ctrl+C closes the room.")
        assert hosted.process is not None
        await until_stopped(hosted.stop, hosted.process.exited)
        if why := hosted.died():
            console.print(
                f"The room's nats-server stopped by itself ({why}). Participants' events wait "
                f"in their outboxes: `natslab class start {room}` opens the room again (the "
                "same code, members and stream), and they are sent then.",
                markup=False,
            )
            return 1
        console.print("The room is closed; its stream stays in its folder for `class export`.")
        return 0

    return asyncio.run(main())


def _start_on_deployment(args: argparse.Namespace, console: Console) -> int:
    """No server of ours: the room's stream in the instructor's account, and what each
    participant's credentials must allow (the deployment enforces it, not natslab)."""
    from natslab.room.instructor.config import participant_permissions
    from natslab.room.instructor.stream import open_on_deployment
    from natslab.room.jwt import load_signing_key
    from natslab.room.names import JoinLine, check_room
    from natslab.room.participant.membership import check_creds

    room = check_room(args.room)
    if not (args.server and args.creds):
        raise UsageError("--server URL and --creds FILE go together: the deployment, and the "
                         "instructor's credentials there.")  # fmt: skip
    if args.listen != DEFAULT_LISTEN:
        raise UsageError("--listen is for a room natslab runs; with --server the deployment "
                         "already listens.")  # fmt: skip
    servers = [_server_url(one) for one in args.server.split(",") if one.strip()]
    url = ",".join(f"nats://{host}:{port}" for host, port in servers)
    creds = check_creds(args.creds)
    signing = load_signing_key(args.signing_key) if args.signing_key is not None else None
    course = args.course or ""
    held = asyncio.run(open_on_deployment(room, url, creds, _keep(args.keep), course))
    if signing is not None:
        return _door(room, url, creds, servers, signing, args.keep, console, course)
    console.print(f"Room {room!r} is on the deployment at {url}; its stream holds {held}. "
                  "natslab started no server.")  # fmt: skip
    if course:
        say_course(course, console)
        console.print("Participants who join with their own credentials are not told it: "
                      "tell them.")  # fmt: skip
    console.print("Participants join with their own credentials from the deployment:\n")
    for host, port in servers:
        console.print(f"  natslab class join {JoinLine(host, port, room)} --name PSEUDONYM "
                      "--creds FILE")  # fmt: skip
    if len(servers) > 1:
        console.print("\nAny of these lines will do: spread the room over them. Each natslab "
                      "learns the cluster's other servers and moves if its own goes.")  # fmt: skip
    console.print("")
    rights = participant_permissions(room, "NAME")
    pub, sub = ",".join(rights["publish"]["allow"]), ",".join(rights["subscribe"]["allow"])
    console.print(
        "Each participant's user must be scoped to their own name (NAME below), so that "
        "nobody can publish as someone else or read anyone's answers; with nsc:\n"
    )
    console.print(f'  nsc add user NAME --allow-pub "{pub}" --allow-sub "{sub}"\n', markup=False)
    console.print(f"`natslab class board {room}` follows the room.")
    return 0


def _door(
    room: str,
    url: str,
    creds: Path,
    servers: list[tuple[str, int]],
    signing_key: nkeys.KeyPair,
    keep: float,
    console: Console,
    course: str = "",
) -> int:
    """natslab issues the users: print the join line, answer joins until Ctrl+C."""
    from natslab.room.instructor.door import Door

    door = Door(room, {"url": url, "creds": str(creds)}, signing_key, course)
    door.on_join = lambda name: console.print(f"{name} joined.")

    async def main() -> int:
        await door.start()
        host, port = servers[0]
        console.print(f"Room {room!r} is on the deployment at {url}; natslab issues its users "
                      "from your account's signing key.")  # fmt: skip
        if course:
            say_course(course, console)
        console.print("Participants join with:\n")
        console.print(f"  natslab class join {door.join_line(host, port, keep)} --name "
                      "PSEUDONYM\n", markup=False, soft_wrap=True)  # fmt: skip
        console.print("The line lets a laptop ask to join this room and nothing else; it "
                      f"expires with the room's data, in {keep:g} days. Ctrl+C stops "
                      "answering joins (who joined stays in).")  # fmt: skip
        await until_stopped(door.close)
        return 0

    return asyncio.run(main())


def _server_url(value: str) -> tuple[str, int]:
    from urllib.parse import urlsplit

    value = value.strip()
    parts = urlsplit(value if "://" in value else f"nats://{value}")
    try:
        port = parts.port or 4222
    except ValueError:
        port = None
    if parts.scheme != "nats" or not parts.hostname or port is None:
        raise UsageError(f"--server {value!r}: give nats://HOST:PORT (several, comma-separated).")
    return parts.hostname, port


def _keep(days: float) -> float:
    if not days > 0:
        raise UsageError(f"--keep {days:g}: give the days a room's events stay, above 0.")
    return days


async def until_stopped(
    close: Callable[[], Awaitable[None]], ended: asyncio.Event | None = None
) -> None:
    """Serve until Ctrl+C (or SIGTERM), or until `ended` is set (the server died), then
    `close`, however the wait ended."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    waits = {asyncio.ensure_future(stop.wait())}
    if ended is not None:
        waits.add(asyncio.ensure_future(ended.wait()))
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for wait in waits:
            wait.cancel()
        await close()
