"""The join of a room on a deployment whose operator gave the instructor an account signing
key: natslab then issues users itself. The join line carries a bearer user that may only ask
to join; a participant asks with their name and their own public key, and gets back a user
JWT for that key, signed with the account's signing key and scoped to their name. Their seed
never leaves their laptop, so a JWT seen by anyone else is of no use to them."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

import nkeys
from nats.aio.client import Client
from nats.aio.msg import Msg

from natslab.room import jwt
from natslab.room.files import write_private
from natslab.room.instructor.config import participant_permissions
from natslab.room.instructor.host import JoinGate, answer_join, refusal, room_folder
from natslab.room.instructor.stream import connect_with
from natslab.room.names import JOIN_USER, JoinLine, inbox_prefix, join_subject


class Door:
    """Answers joins for one room; its members are kept beside the instructor's login."""

    def __init__(
        self, room: str, login: dict[str, str], signing_key: nkeys.KeyPair, course: str = ""
    ) -> None:
        self.room = room
        self.course = course  # told to each participant who joins
        self.login = login
        self.signing_key = signing_key
        self.account = account_of(Path(login["creds"]))
        self.path = room_folder(room) / "members.json"
        self.members: dict[str, str] = (
            json.loads(self.path.read_text()) if self.path.exists() else {}
        )
        self.nc: Client | None = None
        self.on_join: Any = None  # told of each new participant
        self.gate = JoinGate()

    def join_line(self, host: str, port: int, days: float) -> JoinLine:
        """A bearer user that may only ask to join this room, for `days`."""
        user = nkeys.from_seed(nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER))
        token = jwt.user(
            self.signing_key, self.account, user.public_key.decode(), f"{self.room}-join",
            pub=[join_subject(self.room)], sub=[f"{inbox_prefix(JOIN_USER)}.>"], bearer=True,
            expires=time.time() + days * 86400,
        )  # fmt: skip
        return JoinLine(host, port, self.room, token=token)

    async def start(self) -> None:
        self.nc = await connect_with(self.room, self.login, max_reconnect_attempts=-1)
        await self.nc.subscribe(join_subject(self.room), cb=self._on_join)

    async def _on_join(self, msg: Msg) -> None:
        await answer_join(msg, self.admit, self.gate)

    async def admit(self, name: str, public_key: str) -> dict[str, Any]:
        """A user JWT for that key and name; the same name with another key is refused."""
        if (refused := refusal(self.room, self.members, name, public_key)) is not None:
            return refused
        if name not in self.members:
            self.members[name] = public_key
            write_private(self.path, json.dumps(self.members))
            if self.on_join is not None:
                self.on_join(name)
        rights = participant_permissions(self.room, name)
        token = jwt.user(self.signing_key, self.account, public_key, name,
                         rights["publish"]["allow"], rights["subscribe"]["allow"])  # fmt: skip
        answer = {"ok": True, "room": self.room, "jwt": token}
        return answer | ({"course": self.course} if self.course else {})

    async def close(self) -> None:
        if self.nc is not None:
            await self.nc.close()
            self.nc = None


def account_of(creds: Path) -> str:
    """The account a .creds file's user belongs to."""
    token = creds.read_text().split("-----BEGIN NATS USER JWT-----")[1].split()[0]
    claims = jwt.claims_of(token)
    return str(claims["nats"].get("issuer_account") or claims["iss"])
