"""The room's stream as natslab sets it up: its subjects, an hour to drop a replayed
duplicate, how long its events stay, and how many servers keep them."""

from __future__ import annotations

import time
from typing import Any

from nats.errors import TimeoutError as NatsTimeout
from nats.js.api import DiscardPolicy, StreamConfig
from nats.js.errors import BadRequestError, ServiceUnavailableError

from natslab.room.names import stream_name

# The instructor's JetStream requests wait this long: a busy cluster creating an R3 stream's
# consumer can take more than nats-py's default 5 s.
API_TIMEOUT = 15.0
KEEP_DAYS = 30.0  # how long a room's events stay by default (`class start --keep DAYS`)


# Limits the server enforces, far above a workshop and well below what fills a laptop: a
# lesson sends a few hundred records of a few hundred bytes each per participant.
MAX_RECORD = 8 * 1024  # bytes in one record
PER_SUBJECT = 2000  # records of one kind from one participant (a subject each)
MAX_BYTES = 1024**3  # the whole room


def room_stream(room: str, keep_days: float = KEEP_DAYS, replicas: int = 1) -> StreamConfig:
    """The room's stream: its participants' subjects, an hour to drop a replayed duplicate,
    an end (events older than `keep_days` go) and limits: a full subject or a full room
    refuses new records (never drops old ones), so one participant cannot push out another's
    or grow the room without end."""
    return StreamConfig(
        name=stream_name(room),
        subjects=[f"natslab.{room}.p.>"],
        duplicate_window=3600.0,  # a participant's outbox replayed within an hour: once
        max_age=keep_days * 86400.0,
        num_replicas=replicas,  # R3 on a cluster of three or more: a server may go
        max_msg_size=MAX_RECORD,
        max_msgs_per_subject=PER_SUBJECT,
        max_bytes=MAX_BYTES,
        discard=DiscardPolicy.NEW,
        discard_new_per_subject=True,
    )


async def ensure_stream(js: Any, room: str, keep_days: float = KEEP_DAYS, replicas: int = 1) -> Any:
    """Make the room's stream, or bring an earlier one to this config (a new retention)."""
    config = room_stream(room, keep_days, replicas)
    try:
        return await js.add_stream(config)
    except BadRequestError:  # there already, set up otherwise: the instructor's word wins
        return await js.update_stream(config)


FOLLOW_WAIT = 45.0  # seconds to keep asking a cluster that is electing its leaders


async def follow(js: Any, subject: str, stream: str, cb: Any) -> Any:
    """An ordered consumer on the room's stream (named, so nothing asks which stream holds
    the subject). A cluster that lost a server answers a consumer's creation only once it
    has elected new leaders: ask again until it does, for up to FOLLOW_WAIT seconds."""
    deadline = time.monotonic() + FOLLOW_WAIT
    while True:
        try:
            return await js.subscribe(subject, stream=stream, ordered_consumer=True, cb=cb)
        except (NatsTimeout, ServiceUnavailableError):
            if time.monotonic() > deadline:
                raise
