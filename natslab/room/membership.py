"""A participant's side of joining: a key made here, a request to the room, and what is kept
(until `natslab class leave`) so that every later lesson reports to the room."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
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
from natslab.errors import NatslabError
from natslab.room.config import write_private
from natslab.room.names import (
    JOIN_USER,
    JoinLine,
    check_participant,
    inbox_prefix,
    join_subject,
)

JOIN_TIMEOUT = 10.0
CONNECT_TIMEOUT = 5.0


class JoinError(NatslabError):
    """The room could not be joined; the local lessons are not affected."""


@dataclass(frozen=True)
class Membership:
    """Where this natslab reports: the room's address, its name, ours, and our key's seed."""

    url: str
    room: str
    name: str
    seed: str

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


async def join(line: JoinLine, name: str) -> Membership:
    """Ask the room to admit us under `name`; the room learns only our public key."""
    check_participant(name)
    before = current()
    if before is not None and (before.url, before.room, before.name) == (line.url, line.room, name):
        seed = before.seed.encode()  # joining again: the same key, so the room knows us
    else:
        seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
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
    answer = json.loads(reply.data)
    if "error" in answer:
        raise JoinError(str(answer["error"]))
    member = Membership(line.url, line.room, name, seed.decode())
    write_private(membership_file(), json.dumps(asdict(member)))
    return member


async def reachable(host: str, port: int, timeout: float = 3.0) -> None:
    """A plain TCP connect first: a refused port says so at once, where nats-py retries."""
    _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
    writer.close()
    with contextlib.suppress(OSError):
        await writer.wait_closed()


async def connect(member: Membership, **options: Any) -> Client:
    """The participant's own connection: their key, their inbox. A room that is away says
    so at once (and a connect that hangs gives up), so a caller can wait and try again."""
    host, _, port = member.url.removeprefix("nats://").rpartition(":")
    await reachable(host, int(port))
    connecting = nats.connect(
        member.url,
        nkeys_seed_str=member.seed,
        inbox_prefix=member.inbox,
        name=f"natslab-{member.name}",
        **options,
    )
    return await asyncio.wait_for(connecting, CONNECT_TIMEOUT)
