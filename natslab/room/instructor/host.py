"""The instructor's side of a room: its nats-server, its stream, and the answer to a join."""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import fcntl
import hashlib
import hmac
import json
import os
import secrets
import signal
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import IO, Any

import nats
import nkeys
from nats.aio.client import Client
from nats.aio.msg import Msg

from natslab.cancels import cancel_and_wait
from natslab.cluster import events as ev
from natslab.cluster.binary import ServerBinary
from natslab.cluster.process import ServerProcess
from natslab.cluster.rundir import state_dir
from natslab.errors import NatslabError, UsageError
from natslab.room import records
from natslab.room.control import Control, announce_closed, announce_forever, send_control
from natslab.room.files import write_private
from natslab.room.instructor.config import INSTRUCTOR_USER, RoomConfig
from natslab.room.names import (
    JOIN_USER,
    PARTICIPANT_NAME,
    ROOM_SELF,
    JoinLine,
    admin_subject,
    check_room,
    event_subject,
    join_subject,
    stream_name,
)
from natslab.room.stream_config import API_TIMEOUT, ensure_stream, follow

READY_SECONDS = 15.0
JOIN_BURST = 60  # joins at once: a full workshop room
JOIN_RATE = 2.0  # joins a second after that
# Members at most: anyone with the code can join under a new name, each with a share of the
# room's limits; past this the room is full (the instructor locks it once everyone is in).
MOST_MEMBERS = 300
# The room server's log file at most: it logs a line per permissions violation a participant
# provokes (one key made 21 MB a second of them).
ROOM_LOG_LIMIT = 100 << 20
RELOADED = "Reloaded server configuration"


def room_folder(room: str) -> Path:
    return state_dir() / "rooms" / check_room(room)


class RoomError(NatslabError):
    """The room's server could not be started or reached."""


class RoomHost:
    """Runs the room's nats-server with JetStream, keeps the room's stream, and admits each
    participant by adding their public key, with their permissions, to the server's config."""

    def __init__(self, config: RoomConfig, binary: ServerBinary, folder: Path) -> None:
        self.config = config
        self.binary = binary
        self.folder = folder
        self.process: ServerProcess | None = None
        self.nc: Client | None = None
        self._reloads = 0
        self._reloaded = asyncio.Condition()
        self.on_join: Callable[[str], None] | None = None  # told of each new participant
        self.control = Control()
        self._beacon: asyncio.Task[None] | None = None
        self.keep_days = 30.0  # the stream's retention (`class start --keep DAYS`)
        self.gate = JoinGate()
        self._lock: IO[str] | None = None  # held while this room's server runs

    @classmethod
    def create(
        cls, room: str, host: str, port: int, binary: ServerBinary, course: str = ""
    ) -> RoomHost:
        """A new room, or the same room again (its members, code and course kept) on a new
        address; `course` gives it a course, or another one."""
        folder = room_folder(room)
        if (folder / "room.json").exists():
            config = RoomConfig.load(folder)
            config.host, config.port = host, port
        else:
            config = RoomConfig(room, host, port, _code(), secrets.token_urlsafe(18))
        config.course = course or config.course
        return cls(config, binary, folder)

    @property
    def url(self) -> str:
        return f"nats://{self.config.host}:{self.config.port}"

    def join_line(self, host: str | None = None) -> JoinLine:
        return JoinLine(
            host or self.config.host, self.config.port, self.config.room, self.config.code
        )

    async def start(self) -> None:
        self._lock = hold_room(self.folder, self.config.room, f"{self.config.host}:"
                               f"{self.config.port}")  # fmt: skip
        try:
            await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> None:
        conf = self.config.write(self.folder)
        write_private(
            self.folder / "instructor.json",
            json.dumps(
                {
                    "url": self.url,
                    "room": self.config.room,
                    "user": INSTRUCTOR_USER,
                    "password": self.config.instructor_password,
                }
            ),
        )
        self.process = ServerProcess(
            f"room-{self.config.room}",
            [str(self.binary.path), "-c", str(conf)],
            self.folder / "server.log",
            self._on_server_event,
            log_limit=ROOM_LOG_LIMIT,
        )
        await self.process.spawn()
        ready = asyncio.ensure_future(self.process.ready.wait())
        exited = asyncio.ensure_future(self.process.exited.wait())
        await asyncio.wait({ready, exited}, timeout=READY_SECONDS, return_when="FIRST_COMPLETED")
        ready.cancel()
        exited.cancel()
        if not self.process.ready.is_set():
            last = " / ".join(list(self.process.lines)[-3:]) or "no output"
            await self.process.kill()
            raise RoomError(
                f"The room's nats-server did not start on {self.config.host}:"
                f"{self.config.port}: {last}"
            )
        self.nc = await nats.connect(
            self.url,
            user=INSTRUCTOR_USER,
            password=self.config.instructor_password,
            name="natslab-room-host",
            max_reconnect_attempts=-1,
            error_cb=_quiet,  # a server gone is said once, by `class start`, not as tracebacks
        )
        js = self.nc.jetstream(timeout=API_TIMEOUT)
        await ensure_stream(js, self.config.room, self.keep_days)
        await self.nc.subscribe(join_subject(self.config.room), cb=self._on_join)
        await self.nc.subscribe(admin_subject(self.config.room, "*"), cb=self._on_admin)
        # The instructor's holds and message, folded from the stream and announced again and
        # again, whether or not a board is open.
        room = self.config.room
        await follow(js, event_subject(room, ROOM_SELF, ">"), stream_name(room), self._on_control)
        self._beacon = asyncio.create_task(
            announce_forever(self.nc, room, self.control), name="natslab room beacon"
        )
        if self.config.course:
            await record_course(self.nc, room, self.config.course)

    async def _on_control(self, msg: Msg) -> None:
        read = records.read(msg.subject, msg.data)
        if isinstance(read, records.Authored) and read.by_instructor:
            self.control.apply(read.record.model_dump())

    async def stop(self) -> None:
        """Close the room, whatever state its server is in (a killed server's connection
        only fails to close cleanly)."""
        await cancel_and_wait(self._beacon)
        self._beacon = None
        if self.nc is not None:
            await announce_closed(self.nc, self.config.room)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.nc.close(), 5.0)
            self.nc = None
        if self.process is not None and self.process.running:
            await self.process.stop()
        if self._lock is not None:
            self._lock.close()  # the room may be opened again
            self._lock = None

    def died(self) -> str:
        """Why the room's server ended without being asked, in a few words, or ""."""
        process = self.process
        if process is None or not process.exited.is_set() or process.stop_requested:
            return ""
        code = process.returncode or 0
        if code < 0:
            return f"killed by {signal.Signals(-code).name}"
        last = " / ".join(list(process.lines)[-2:])
        return f"exit status {code}" + (f"; its last words: {last}" if last else "")

    def _on_server_event(self, event: ev.ClusterEvent) -> None:
        if isinstance(event, ev.LogLines) and any(RELOADED in line for line in event.lines):
            self._reloads += sum(RELOADED in line for line in event.lines)
            asyncio.get_running_loop().create_task(self._notify_reload())

    async def _notify_reload(self) -> None:
        async with self._reloaded:
            self._reloaded.notify_all()

    async def _on_join(self, msg: Msg) -> None:
        await answer_join(msg, self.admit, self.gate)

    async def _on_admin(self, msg: Msg) -> None:
        """The instructor's door keys: only ROOM's users reach these subjects (config.py),
        and only a request (with a reply to answer) is one."""
        if not msg.reply:
            return
        verb = msg.subject.rsplit(".", 1)[-1]
        try:
            fields = json.loads(msg.data or b"{}")
            answer = await self.administer(verb, str(fields.get("name", "")))
        except (ValueError, AttributeError):
            answer = {"error": "That request is not natslab's."}
        await msg.respond(json.dumps(answer).encode())

    async def administer(self, verb: str, name: str = "") -> dict[str, Any]:
        """Lock or unlock the room, remove a member, or rotate the code; what it did."""
        room, config = self.config.room, self.config
        if verb in ("lock", "unlock"):
            config.locked = verb == "lock"
            config.write(self.folder)
            return {"ok": True, "said": f"Room {room} is {verb}ed."}
        if verb in ("remove", "purge"):
            held = next((m for m in config.members if m.casefold() == name.casefold()), None)
            if held is None:
                return {"error": f"Nobody called {name!r} is in room {room}."}
            del config.members[held]
            await self._reload()  # the server closes their connection: their key is gone
            kept = "their events so far stay in the stream"
            if verb == "purge":  # a participant who filled the room: their share back
                assert self.nc is not None
                await self.nc.jetstream(timeout=API_TIMEOUT).purge_stream(
                    stream_name(room), subject=event_subject(room, held, ">")
                )
                kept = "their records are gone from the stream"
            return {"ok": True, "said": f"{held} is removed from room {room}: their key no "
                    f"longer opens it ({kept})."}  # fmt: skip
        if verb == "rotate":
            config.code = _code()
            await self._reload()
            line = self.join_line(reachable_host(config.host))
            return {"ok": True, "said": f"Room {room} has a new code; the old one opens nothing "
                    f"now. Participants join with: natslab class join {line} --name "
                    "PSEUDONYM"}  # fmt: skip
        return {"error": f"{verb!r} is not something a room's host does."}

    async def admit(self, name: str, public_key: str) -> dict[str, Any]:
        """Add a participant (the same name and key again is a rejoin), then reload."""
        members = self.config.members
        if (refused := refusal(self.config.room, members, name, public_key)) is not None:
            return refused
        if name not in members and len(members) >= MOST_MEMBERS:
            return {"error": f"Room {self.config.room} is full ({MOST_MEMBERS} participants): "
                    "ask the instructor."}  # fmt: skip
        if self.config.locked and members.get(name) != public_key:
            return {"error": f"Room {self.config.room} is locked: the instructor admits nobody "
                    "new now. Ask them to unlock it."}  # fmt: skip
        if members.get(name) != public_key:
            members[name] = public_key
            await self._reload()
            if self.on_join is not None:
                self.on_join(name)
        answer = {"ok": True, "room": self.config.room, "stream": stream_name(self.config.room)}
        course = self.control.course or self.config.course  # `class course` may have moved it
        return answer | ({"course": course} if course else {})

    async def _reload(self) -> None:
        """Write the config and have the server read it again; answer only once it has."""
        assert self.process is not None
        self.config.write(self.folder)
        async with self._reloaded:
            before = self._reloads
            self.process.signal(signal.SIGHUP)
            await asyncio.wait_for(
                self._reloaded.wait_for(lambda: self._reloads > before), READY_SECONDS
            )


async def _quiet(exc: Exception) -> None:
    """nats-py's default prints a traceback for each failed reconnect."""


async def record_course(nc: Client, room: str, course_id: str) -> None:
    """The room's course in its stream, with its title and lessons, for every board, roster
    and report (the latest one stored is the room's)."""
    from natslab.lessons.courses import find_course

    course = find_course(course_id)
    await send_control(nc, room, "Course", course=course.id, title=course.title,
                       lessons=list(course.lessons))  # fmt: skip


def hold_room(folder: Path, room: str, where: str) -> IO[str]:
    """The room's lock, held while its one server runs: a second server on the same store
    lost a member and an event, and the stream had to be rebuilt. Refused in a sentence that
    says where the room is open."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = folder / "open.lock"
    lock = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        held = lock.read().strip() or "another process"
        lock.close()
        raise RoomError(
            f"Room {room!r} is already open ({held}): one server per room keeps its stream "
            f"whole. Use that one, or close it (Ctrl+C where `natslab class start {room}` "
            "runs) and start it again."
        ) from None
    lock.seek(0)
    lock.truncate()
    lock.write(f"at {where}, pid {os.getpid()}")
    lock.flush()
    return lock


def reachable_host(host: str) -> str:
    """The address to print in the join line: a wildcard listen is reached by a real one."""
    if host not in ("0.0.0.0", "::"):
        return host
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks the route
            return str(probe.getsockname()[0])
    except OSError:
        return socket.gethostname()


def _code() -> str:
    """The room's code: short enough to read out, long enough not to guess in a workshop."""
    return "-".join(secrets.token_hex(2) for _ in range(3))


class JoinGate:
    """Joins allowed at once and per second: a room of thirty joins together, a script
    asking thousands of times is told to wait (a token bucket)."""

    def __init__(self, burst: int = JOIN_BURST, per_second: float = JOIN_RATE) -> None:
        self.burst, self.rate = burst, per_second
        self.tokens = float(burst)
        self.at = time.monotonic()
        self.refused = 0

    def allow(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.rate)
        self.at = now
        if self.tokens < 1:
            self.refused += 1
            return False
        self.tokens -= 1
        return True


async def answer_join(
    msg: Msg, admit: Callable[[str, str], Awaitable[dict[str, Any]]], gate: JoinGate
) -> None:
    """A join request answered. It came through PEOPLE's import of the join service, so the
    answer goes back there, to whatever reply subject the asker named in their own account:
    never into the room's stream or onto the host's subjects (config.py)."""
    if not msg.reply:
        return  # nothing asked: nothing to answer
    if not gate.allow():
        answer: dict[str, Any] = {"error": "The room is busy with joins: try again in a moment."}
    else:
        try:
            request = json.loads(msg.data)
            answer = await admit(str(request.get("name", "")), str(request.get("nkey", "")))
        except (ValueError, AttributeError, RecursionError):
            answer = {"error": "That join request is not natslab's; it was ignored."}
    await msg.respond(json.dumps(answer).encode())


def refusal(room: str, members: dict[str, str], name: str, key: str) -> dict[str, Any] | None:
    """Why a join cannot be admitted (a bad name or key, a name another key holds, in any
    case), or None; the same name with the same key again is a rejoin."""
    if not PARTICIPANT_NAME.fullmatch(name) or name.lower() == JOIN_USER:
        return {"error": f"{name!r} cannot be a participant's name in this room."}
    if not is_user_key(key):
        return {"error": "The join request carried no valid participant key."}
    holder = next((m for m in members if m.casefold() == name.casefold()), name)
    if members.get(holder, key) != key or (holder != name and holder in members):
        return {"error": f"The name {name!r} is taken in room {room}: pick another."}
    return None


def is_user_key(key: str) -> bool:
    """A public user nkey: base32 of its prefix byte, 32 bytes of key and a CRC-16."""
    try:
        raw = base64.b32decode(key + "=" * (-len(key) % 8))
    except (binascii.Error, ValueError):
        return False
    return (
        len(raw) == 35
        and raw[0] == nkeys.PREFIX_BYTE_USER
        and raw[-2:] == nkeys.crc16_checksum(raw[:-2])
    )


def instructor_login(room: str) -> dict[str, str]:
    """The instructor's own login to the room, as `class start` wrote it."""
    path = room_folder(room) / "instructor.json"
    if not path.exists():
        raise UsageError(
            f"There is no room {room!r} here: start it with `natslab class start {room}`."
        )
    data: dict[str, str] = json.loads(path.read_text())
    return data


def instructor_id(room: str, what: str) -> str:
    """The message id of an instructor's record that every board of theirs must store once
    (two boards revealing together: one reveal). Keyed with the instructor's own secret: a
    participant who could guess it would publish it first, and the stream would drop the
    real record as a duplicate."""
    login = instructor_login(room)
    secret = login.get("password") or Path(login["creds"]).read_text(encoding="utf-8")
    mac = hmac.new(secret.encode(), f"{room}:{what}".encode(), hashlib.sha256)
    return f"{ROOM_SELF}:{mac.hexdigest()[:32]}"
