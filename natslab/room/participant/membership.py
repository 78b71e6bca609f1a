"""A participant's side of joining: a key made here, a request to the room, and what is kept
(until `natslab class leave`) so that every later lesson reports to the room."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import secrets
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import nats
import nkeys
from nats.aio.client import Client
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError, NoServersError
from nats.errors import TimeoutError as NatsTimeout

from natslab.cluster.rundir import state_dir
from natslab.credentials import creds_problem
from natslab.errors import NatslabError
from natslab.room.files import write_private
from natslab.room.names import (
    JOIN_USER,
    JoinLine,
    check_participant,
    event_subject,
    inbox_prefix,
    join_subject,
)
from natslab.room.reach import reachable, reachable_any

JOIN_TIMEOUT = 10.0
COURSE_NAME = re.compile(r"[a-z][a-z0-9-]{0,31}")  # a course's id (natslab/lessons/courses.py)
CONNECT_TIMEOUT = 5.0


class JoinError(NatslabError):
    """The room could not be joined; the local lessons are not affected."""


@dataclass(frozen=True)
class Membership:
    """Where this natslab reports: the room's address, its name, ours, and our key's seed."""

    url: str
    room: str
    name: str
    seed: str  # "" on a deployment, where the credentials file speaks for us
    creds: str = ""  # that file's path
    course: str = ""  # the course the room follows, as its host said when we joined

    @property
    def inbox(self) -> str:
        return inbox_prefix(self.name)


def membership_file() -> Path:
    return state_dir() / "room-membership.json"


def current() -> Membership | None:
    path = membership_file()
    if not path.exists():
        return None
    try:
        return Membership(**json.loads(path.read_text()))
    except (ValueError, TypeError):
        return None


def leave() -> Membership | None:
    """Forget the room (the key with it); what was left unsent stays in the outbox file."""
    member = current()
    membership_file().unlink(missing_ok=True)
    return member


def check_creds(path: Path) -> Path:
    """A readable .creds file (a user's JWT and seed), or one sentence."""
    problem = creds_problem(path)
    if problem is not None:
        raise JoinError(problem)
    return path.expanduser().resolve()


async def join(line: JoinLine, name: str, creds: Path | None = None) -> Membership:
    """Ask the room to admit us under `name`; the room learns only our public key. On a
    deployment (a line without a code), our own credentials speak for us instead."""
    check_participant(name)
    if line.token:
        if creds is not None:
            raise JoinError("This join line carries the room's own join: no --creds needed.")
        return await join_with_token(line, name)
    if not line.code:
        if creds is None:
            raise JoinError(
                f"The room {line.room!r} is on an existing deployment: join it with the "
                f"credentials its administrator gave you, `natslab class join {line} "
                f"--name {name} --creds FILE`."
            )
        return await join_deployment(line, name, check_creds(creds))
    if creds is not None:
        raise JoinError("This join line carries the room's code: --creds is for a room on an "
                        "existing deployment (a line without a code).")  # fmt: skip
    seed = _key_for(line, name)
    public = nkeys.from_seed(seed).public_key.decode()
    where = f"{line.host}:{line.port}"
    refused: list[str] = []  # the server's permission errors: a room name it does not have

    async def on_error(exc: Exception) -> None:
        refused.append(str(exc))

    try:
        await reachable(line.host, line.port)
        # Bounded here: nats-py's first connect to a refused port can keep on trying.
        nc = await asyncio.wait_for(
            nats.connect(
                line.url,
                user=JOIN_USER,
                password=line.code,
                inbox_prefix=inbox_prefix(JOIN_USER),
                connect_timeout=JOIN_TIMEOUT / 2,
                max_reconnect_attempts=0,
                allow_reconnect=False,
                error_cb=on_error,
            ),
            JOIN_TIMEOUT,
        )
    except (NoServersError, TimeoutError, OSError) as exc:
        why = f" ({exc})" if str(exc) else ""
        raise JoinError(f"The room at {where} does not answer{why}: check the join line "
                        "and that this laptop reaches that address.") from exc  # fmt: skip
    except NatsError as exc:
        raise JoinError(f"The room at {where} refused the join line ({exc}): "
                        "the code may be mistyped, or from another room.") from exc  # fmt: skip
    no_room = JoinError(f"No room called {line.room!r} answers at {where}: is "
                        f"`natslab class start {line.room}` running there?")  # fmt: skip
    try:
        request = json.dumps({"name": name, "nkey": public}).encode()
        asked = asyncio.ensure_future(
            nc.request(join_subject(line.room), request, timeout=JOIN_TIMEOUT)
        )
        while not asked.done() and not refused:
            await asyncio.wait({asked}, timeout=0.05)
        if not asked.done():  # the code is this server's, the room name is not
            asked.cancel()
            raise no_room
        reply = asked.result()
    except NoRespondersError as exc:
        raise no_room from exc
    except NatsTimeout as exc:
        raise JoinError(f"The room at {where} did not answer the join in time.") from exc
    finally:
        await nc.close()
    course = course_in(_admitted(reply.data))
    member = _keep(Membership(line.url, line.room, name, seed.decode(), course=course))
    await say_joined(member)
    return member


async def join_with_token(line: JoinLine, name: str) -> Membership:
    """A room that issues its own users: present the join line's bearer user, ask with our
    name and public key, and keep the user JWT it answers with beside our seed."""
    from natslab.room.jwt import creds as creds_text

    seed = _key_for(line, name)
    public = nkeys.from_seed(seed).public_key.decode()
    where = f"{line.host}:{line.port}"

    def bearer() -> bytes:
        return line.token.encode()

    def no_signature(nonce: str) -> bytes:
        return b""  # a bearer user is admitted on its JWT alone

    try:
        await reachable(line.host, line.port)
        nc = await asyncio.wait_for(
            nats.connect(line.url, user_jwt_cb=bearer, signature_cb=no_signature,
                         inbox_prefix=inbox_prefix(JOIN_USER), connect_timeout=JOIN_TIMEOUT / 2,
                         allow_reconnect=False, error_cb=_quiet),
            JOIN_TIMEOUT,
        )  # fmt: skip
    except (NoServersError, TimeoutError, OSError) as exc:
        raise JoinError(f"The room at {where} does not answer ({exc}): check the join line "
                        "and that this laptop reaches that address.") from exc  # fmt: skip
    except NatsError as exc:
        raise JoinError(f"The room at {where} refused the join line ({exc}): it may have "
                        "expired, or the room ended.") from exc  # fmt: skip
    try:
        request = json.dumps({"name": name, "nkey": public}).encode()
        reply = await nc.request(join_subject(line.room), request, timeout=JOIN_TIMEOUT)
    except NoRespondersError as exc:
        raise JoinError(
            f"Nobody answers joins for room {line.room!r} at {where}: is "
            f"`natslab class start {line.room} --server …` running?"
        ) from exc
    except NatsTimeout as exc:
        raise JoinError(f"The room at {where} did not answer the join in time.") from exc
    finally:
        await nc.close()
    answer = _admitted(reply.data)
    path = state_dir() / "room-user.creds"
    write_private(path, creds_text(str(answer["jwt"]), seed.decode()))
    member = _keep(Membership(line.url, line.room, name, seed.decode(), str(path),
                              course_in(answer)))  # fmt: skip
    await say_joined(member)
    return member


def joined_record(name: str) -> dict[str, Any]:
    """A participant's first record: the board lists them in its lobby from it."""
    return {"type": "Joined", "at": time.time(), "participant": name,
            "id": f"{name}:joined:{secrets.token_hex(16)}"}  # fmt: skip


async def say_joined(member: Membership) -> None:
    """Tell the room's board we are here, before any lesson. Best effort: a room that does
    not take it now lists us at our first lesson's record instead."""
    record = joined_record(member.name)
    with contextlib.suppress(Exception):
        nc = await connect(member, allow_reconnect=False, connect_timeout=2)
        try:
            await nc.jetstream().publish(
                event_subject(member.room, member.name, "Joined"), json.dumps(record).encode(),
                timeout=JOIN_TIMEOUT / 2, headers={"Nats-Msg-Id": record["id"]},
            )  # fmt: skip
        finally:
            await nc.close()


def _key_for(line: JoinLine, name: str) -> bytes:
    """Joining again as the same name in the same room: the same key, so the room knows
    us; otherwise a new key pair, made here."""
    before = current()
    if before is not None and before.seed and (before.url, before.room, before.name) == (
        line.url, line.room, name
    ):  # fmt: skip
        return before.seed.encode()
    return bytes(nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER))


def _admitted(data: bytes) -> dict[str, Any]:
    """The room's answer to a join, or its refusal as one sentence."""
    answer: dict[str, Any] = json.loads(data)
    if "error" in answer:
        raise JoinError(str(answer["error"]))
    return answer


def course_in(answer: dict[str, Any]) -> str:
    """The room's course from its answer to a join: an id as natslab writes one, or ""."""
    course = answer.get("course")
    return course if isinstance(course, str) and COURSE_NAME.fullmatch(course) else ""


def _keep(member: Membership) -> Membership:
    """Remember the room (owner-only: it holds our key) until `natslab class leave`."""
    write_private(membership_file(), json.dumps(asdict(member)))
    return member


async def join_deployment(line: JoinLine, name: str, creds: Path) -> Membership:
    """Check that these credentials reach the room and may speak as `name`: a first record,
    `Joined`, which the deployment refuses unless the user was scoped to that name."""
    member = Membership(line.url, line.room, name, "", str(creds))
    refused: list[str] = []

    async def on_error(exc: Exception) -> None:
        refused.append(str(exc))

    where = f"{line.host}:{line.port}"
    try:
        nc = await connect(member, error_cb=on_error, allow_reconnect=False)
    except (NoServersError, TimeoutError, OSError) as exc:
        raise JoinError(f"The deployment at {where} does not answer ({exc}).") from exc
    except NatsError as exc:
        raise JoinError(f"The deployment at {where} refused the credentials in {creds} "
                        f"({exc}).") from exc  # fmt: skip
    record = joined_record(name)
    try:
        # A first record in the room's stream, answered by its ack: it lands only if these
        # credentials may publish as `name` (and read their own inbox); else no ack comes.
        await nc.jetstream().publish(
            event_subject(line.room, name, "Joined"), json.dumps(record).encode(),
            timeout=JOIN_TIMEOUT / 2, headers={"Nats-Msg-Id": record["id"]},
        )  # fmt: skip
    except (NatsTimeout, NatsError) as exc:
        if refused:
            raise JoinError(
                f"The credentials in {creds} may not report as {name!r} in room "
                f"{line.room!r} ({refused[0]}): ask for credentials scoped to that name "
                "(`natslab class start --server` prints what each participant needs)."
            ) from exc
        raise JoinError(f"The room {line.room!r} at {where} did not take a first event "
                        f"({exc or type(exc).__name__}): has the instructor run `natslab "
                        f"class start {line.room} --server …`?") from exc  # fmt: skip
    finally:
        await nc.close()
    return _keep(member)


async def _quiet(exc: Exception) -> None:
    """Errors reach the caller as exceptions, or its status line; never as a traceback."""


async def connect(member: Membership, servers: list[str] | None = None, **options: Any) -> Client:
    """The participant's own connection: their key, their inbox. A room that is away says
    so at once (and a connect that hangs gives up), so a caller can wait and try again.
    `servers`: every server of the room's cluster this natslab has learned, tried in turn."""
    urls = servers or [member.url]
    await reachable_any(urls)
    options.setdefault("error_cb", _quiet)  # nats-py's default prints a traceback
    login: dict[str, Any] = (
        {"user_credentials": member.creds} if member.creds else {"nkeys_seed_str": member.seed}
    )
    connecting = nats.connect(
        urls,
        **login,
        inbox_prefix=member.inbox,
        name=f"natslab-{member.name}",
        **options,
    )
    return await asyncio.wait_for(connecting, CONNECT_TIMEOUT)
