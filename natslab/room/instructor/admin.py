"""The instructor's door keys for a room natslab runs: lock it, unlock it, remove a member,
rotate the code. Each is a request on `natslab.ROOM.admin.VERB`, a subject only the
instructor's login may publish to, answered by the room's host (`class start`)."""

from __future__ import annotations

import json
from typing import Any

from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from natslab.errors import NatslabError
from natslab.room.instructor.stream import connect_instructor
from natslab.room.names import admin_subject

VERBS = ("lock", "unlock", "remove", "purge", "rotate")
ADMIN_TIMEOUT = 20.0  # a removal reloads the server before it answers


class AdminError(NatslabError):
    """The room's host refused or did not answer an instructor's request."""


async def ask(room: str, verb: str, **fields: Any) -> dict[str, Any]:
    """One request to the room's host; its answer, or its refusal as one sentence."""
    nc = await connect_instructor(room, allow_reconnect=False)
    try:
        reply = await nc.request(admin_subject(room, verb), json.dumps(fields).encode(),
                                 timeout=ADMIN_TIMEOUT)  # fmt: skip
    except NoRespondersError as exc:
        raise AdminError(f"Room {room!r} has no host answering: lock, unlock, remove and rotate "
                         f"need `natslab class start {room}` running (a room on a deployment "
                         "is its administrator's to change).") from exc  # fmt: skip
    except NatsTimeout as exc:
        raise AdminError(f"Room {room!r} did not answer `{verb}` in time.") from exc
    finally:
        await nc.close()
    answer: dict[str, Any] = json.loads(reply.data)
    if "error" in answer:
        raise AdminError(str(answer["error"]))
    return answer
