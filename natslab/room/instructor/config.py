"""The room server's configuration: two accounts, the room's JetStream, and who may do what.

The server enforces every permission here; natslab's screens only show what it allows.
- the instructor, in ROOM: everything there (the stream, the announcements, the host's
  door keys, every participant's heartbeat);
- everyone else, in PEOPLE, which reaches ROOM only through imports: participants' records
  and the join as *services* (an answer, a JetStream ack among them, travels back through
  the import to the asker's own account, whatever reply subject they named, so it can never
  land in the room's stream or on the host's subjects), the announcements as a stream;
  PEOPLE exports its heartbeats to ROOM;
- `join`, whose password is the room's code: may only ask to join, and read the answers on
  its own inbox (an answer carries no secret: a participant's key never leaves their laptop);
- each participant, by the nkey they made when they joined: may publish only the kinds of
  record natslab sends, under their own name, and read only the room's announcements and
  their own inbox."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from natslab.room.files import write_private
from natslab.room.names import (
    JOIN_USER,
    announce_subjects,
    event_subject,
    heartbeat_subject,
    inbox_prefix,
    join_subject,
)
from natslab.room.records import PARTICIPANT_KINDS

INSTRUCTOR_USER = "instructor"
MAX_PAYLOAD = 64 * 1024  # bytes a message may carry on the room's server
# The room's account: its one stream on disk, no memory streams, and consumers for a few
# boards, exports and the room's host; the server refuses more.
ACCOUNT_JETSTREAM = "{ max_file: 2G, max_mem: 0, max_streams: 4, max_consumers: 256 }"
MAX_CONNECTIONS = 1000  # a workshop's laptops, each with a lesson and an uplink, many times
MAX_SUBSCRIPTIONS = 200  # per connection: a participant's uplink needs two, a board a few
PEOPLE_CONNECTIONS = 900  # everyone's but the instructor's


@dataclass
class RoomConfig:
    """Everything the config file is written from; kept as JSON beside it for a restart."""

    room: str
    host: str
    port: int
    code: str
    instructor_password: str
    members: dict[str, str] = field(default_factory=dict)  # participant -> public nkey
    locked: bool = False  # admits nobody new (`class lock`); members may still rejoin
    course: str = ""  # the course the room follows (`class start --course`), kept across starts

    def render(self, store_dir: Path) -> str:
        room = self.room
        people = [
            {
                "user": JOIN_USER,
                "password": self.code,
                "permissions": {
                    "publish": {"allow": [join_subject(self.room)]},
                    "subscribe": {"allow": [f"{inbox_prefix(JOIN_USER)}.>"]},
                },
            },
        ]
        people += [
            {"nkey": key, "permissions": participant_permissions(room, name)}
            for name, key in sorted(self.members.items())
        ]
        records, join = f"natslab.{room}.p.>", join_subject(room)
        announced, heartbeats = announce_subjects(room), heartbeat_subject(room, ">")
        accounts = {
            "ROOM": {
                "jetstream": "JETSTREAM",
                "users": [{"user": INSTRUCTOR_USER, "password": self.instructor_password}],
                "exports": [{"service": records}, {"service": join}, {"stream": announced}],
                "imports": [{"stream": {"account": "PEOPLE", "subject": heartbeats}}],
            },
            "PEOPLE": {
                "users": people,
                # Short of the server's own cap: however many connections participants (or
                # one key) open, the instructor's login, in ROOM, always gets in.
                "limits": {"max_connections": PEOPLE_CONNECTIONS},
                "imports": [
                    {"service": {"account": "ROOM", "subject": records}},
                    {"service": {"account": "ROOM", "subject": join}},
                    {"stream": {"account": "ROOM", "subject": announced}},
                ],
                "exports": [{"stream": heartbeats}],
            },
        }
        written = json.dumps(accounts).replace('"JETSTREAM"', ACCOUNT_JETSTREAM)
        # The config format takes JSON values; json.dumps quotes every string safely.
        return "\n".join(
            [
                f"server_name: natslab-room-{self.room}",
                f"listen: {json.dumps(f'{self.host}:{self.port}')}",
                # A record is a few hundred bytes; nobody needs nats-server's 1 MB default.
                f"max_payload: {MAX_PAYLOAD}",
                # Bounds a participant's one key cannot push past (per connection, and all).
                f"max_connections: {MAX_CONNECTIONS}",
                f"max_subscriptions: {MAX_SUBSCRIPTIONS}",
                f"jetstream {{ store_dir: {json.dumps(str(store_dir))} }}",
                f"accounts: {written}",
                "",
            ]
        )

    def write(self, folder: Path) -> Path:
        """The config (owner-only: it holds the room's passwords) and its JSON source."""
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        path = folder / "nats.conf"
        write_private(path, self.render(folder / "jetstream"))
        write_private(folder / "room.json", json.dumps(self.__dict__, indent=2))
        return path

    @classmethod
    def load(cls, folder: Path) -> RoomConfig:
        return cls(**json.loads((folder / "room.json").read_text()))


def participant_permissions(room: str, name: str) -> dict[str, dict[str, list[str]]]:
    """What one participant may do: publish each kind of record natslab sends under their
    own subject (one subject a kind, so the stream's per-subject limit bounds them), and
    heartbeat; read the room's announcements and their own inbox (JetStream's acks).
    Nothing of anyone else's."""
    own = [event_subject(room, name, kind) for kind in PARTICIPANT_KINDS]
    return {
        "publish": {"allow": [*own, heartbeat_subject(room, name)]},
        "subscribe": {"allow": [announce_subjects(room), f"{inbox_prefix(name)}.>"]},
    }
