"""A room's names: the room, a participant's pseudonym, their subjects, and the join line."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from natslab.errors import UsageError

ROOM_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,31}")
PARTICIPANT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,23}")
JOIN_USER = "join"
# The instructor's own records in the room's stream (a reveal): no participant can take the
# name, since a participant's starts with a letter or digit.
ROOM_SELF = "_room"


def check_room(name: str) -> str:
    if not ROOM_NAME.fullmatch(name):
        raise UsageError(
            f"{name!r} cannot name a room: use up to 32 lower-case letters, digits and dashes."
        )
    return name


def check_participant(name: str) -> str:
    if not PARTICIPANT_NAME.fullmatch(name) or name.lower() == JOIN_USER:
        raise UsageError(
            f"{name!r} cannot be a participant's name: use up to 24 letters, digits, '-' or '_' "
            "(a pseudonym is fine)."
        )
    return name


def event_subject(room: str, name: str, kind: str) -> str:
    return f"natslab.{room}.p.{name}.{kind}"


def heartbeat_subject(room: str, name: str) -> str:
    """Outside the room's stream: a participant's "still here", seen live, never stored."""
    return f"natslab.{room}.hb.{name}"


def join_subject(room: str) -> str:
    return f"natslab.{room}.join"


def announce_subjects(room: str) -> str:
    """What participants may read: the instructor's reveals and messages, never each other."""
    return f"natslab.{room}.announce.>"


def admin_subject(room: str, verb: str) -> str:
    """The instructor's requests to the room's host (lock, unlock, remove, rotate): no
    participant, and not the join user, may publish there."""
    return f"natslab.{room}.admin.{verb}"


def inbox_prefix(name: str) -> str:
    """A participant's own inbox: replies (JetStream's acks) to them alone."""
    return f"_INBOX_{name}"


def stream_name(room: str) -> str:
    return f"NATSLAB_{room.upper().replace('-', '_')}"


@dataclass(frozen=True)
class JoinLine:
    """What the instructor reads out: where the room is, its name, and its code (none when
    the room is on an existing deployment, where each participant brings credentials)."""

    host: str
    port: int
    room: str
    code: str = ""
    token: str = ""  # a bearer user that may only ask to join (a room natslab issues users for)

    def __str__(self) -> str:
        if self.token:
            return f"nats://{self.token}@{self.host}:{self.port}/{self.room}"
        if not self.code:
            return f"nats://{self.host}:{self.port}/{self.room}"
        return f"nats://{JOIN_USER}:{quote(self.code, safe='')}@{self.host}:{self.port}/{self.room}"

    @property
    def url(self) -> str:
        return f"nats://{self.host}:{self.port}"


def parse_join_line(line: str) -> JoinLine:
    """The join line back into its parts; anything else is one sentence."""
    parts = urlsplit(line.strip())
    room = parts.path.strip("/")
    try:
        port = parts.port
    except ValueError:
        port = None
    coded = parts.username == JOIN_USER and bool(parts.password)
    token = parts.username if parts.username and parts.username.count(".") == 2 else ""
    if (
        parts.scheme != "nats"
        or not (coded or bool(token) or parts.username is None)
        or not parts.hostname
        or port is None
        or not ROOM_NAME.fullmatch(room)
    ):
        raise UsageError(
            f"{line!r} is not a join line: it looks like nats://join:CODE@HOST:PORT/ROOM, as "
            "`natslab class start` prints it (or nats://HOST:PORT/ROOM for a room on an "
            "existing deployment, joined with --creds)."
        )
    code = unquote(parts.password or "") if coded else ""
    return JoinLine(parts.hostname, port, room, code, token if not coded else "")
