"""A participant's lesson events, sent to the room without ever holding the lesson up.

Every event goes first into a bounded outbox on disk (so a room server that is away, or a
natslab that restarts, loses nothing), and a background task sends what waits, each with a
message id: the room's stream keeps one copy of an event however often it is replayed."""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nats.js.errors import APIError

from natslab.cancels import cancel_and_wait, raise_if_cancelled
from natslab.cluster.rundir import state_dir
from natslab.lab.recorder import to_record
from natslab.lessons import events as lev
from natslab.room.control import Control, control_subject
from natslab.room.names import announce_subjects, event_subject, heartbeat_subject
from natslab.room.participant.membership import Membership, connect

HEARTBEAT = 5.0  # seconds between "still here" messages while connected
OUTBOX_LIMIT = 5000  # events waiting at most; beyond, the oldest go (counted), the newest stay
SENT_KEPT = 20  # the last events sent, kept for `natslab class show`
COMPACT_SLACK = 1000  # lines the outbox file may carry beyond twice what waits
SEND_TIMEOUT = 2.0
# nats-server's JetStream error codes (server/jetstream_errors_generated.go): a message over
# max_msg_size (JSStreamMessageExceedsMaximumErr), and a store refusal (JSStreamStoreFailedF:
# "maximum messages per subject exceeded", "maximum bytes exceeded" under discard new).
MESSAGE_TOO_LARGE = 10054
STORE_REFUSED = 10077


SERVERS_FILE = "room-servers.json"  # beside the outbox: the room's servers, as learned


def outbox_file() -> Path:
    return state_dir() / "room-outbox.jsonl"


@dataclass
class Outbox:
    """Events not yet acknowledged by the room's stream, oldest first, kept on disk as an
    append-only log: an event's line when it is queued, `{"acked": id}` when the stream has
    it, `{"dropped": id}` when a full outbox let it go. Each costs one appended line; the
    file is rewritten only when it has grown well past what still waits, or emptied when
    nothing does."""

    path: Path
    waiting: deque[dict[str, Any]] = field(default_factory=deque)
    dropped: int = 0
    refused: int = 0  # records the room's server refused for good (over its limits)
    sent: int = 0
    recent: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=SENT_KEPT))
    _lines: int = 0  # lines in the file now
    _sent_lines: int = 0  # lines in the file of what was sent

    @property
    def sent_path(self) -> Path:
        """The last events the room acknowledged, for `natslab class show`."""
        return self.path.with_name(self.path.stem + "-sent.jsonl")

    @classmethod
    def load(cls, path: Path) -> Outbox:
        box = cls(path)
        pending: dict[str, dict[str, Any]] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                box._lines += 1
                with contextlib.suppress(ValueError, TypeError, KeyError):
                    entry = json.loads(line)
                    if "acked" in entry:
                        pending.pop(entry["acked"], None)
                    elif "dropped" in entry:
                        pending.pop(entry["dropped"], None)
                        box.dropped += 1
                    elif "refused" in entry:
                        pending.pop(entry["refused"], None)
                        box.refused += 1
                    else:
                        pending[entry["id"]] = entry
        box.waiting.extend(pending.values())
        if box.sent_path.exists():
            lines = box.sent_path.read_text(encoding="utf-8").splitlines()
            box._sent_lines = len(lines)
            for line in lines[-SENT_KEPT:]:
                with contextlib.suppress(ValueError):
                    box.recent.append(json.loads(line))
        while len(box.waiting) > OUTBOX_LIMIT:
            box.waiting.popleft()
            box.dropped += 1
        return box

    def add(self, entry: dict[str, Any]) -> None:
        self.waiting.append(entry)
        lines = [entry]
        if len(self.waiting) > OUTBOX_LIMIT:
            lines.append({"dropped": self.waiting.popleft()["id"]})
            self.dropped += 1
        self._append(lines)

    def refuse_first(self) -> None:
        """The first entry was refused by the room for good: let it go, counted."""
        gone = self.waiting.popleft()
        self.refused += 1
        self._append([{"refused": gone["id"]}])

    def done(self, count: int) -> None:
        """The first `count` entries were acknowledged."""
        gone = [self.waiting.popleft() for _ in range(count)]
        acked = [{"acked": entry["id"]} for entry in gone]
        self.sent += count
        self._keep_sent(gone)
        if not self.waiting:
            self._rewrite()  # nothing waits: an empty file
        elif self._lines > 2 * len(self.waiting) + COMPACT_SLACK:
            self._rewrite()
        else:
            self._append(acked)

    def _keep_sent(self, gone: list[dict[str, Any]]) -> None:
        self.recent.extend(gone)
        if self._sent_lines + len(gone) > 5 * SENT_KEPT:  # trimmed now and then, not per ack
            text = "".join(json.dumps(e) + "\n" for e in self.recent)
            self.sent_path.write_text(text, encoding="utf-8")
            self._sent_lines = len(self.recent)
            return
        with self.sent_path.open("a", encoding="utf-8") as out:
            out.write("".join(json.dumps(e) + "\n" for e in gone))
        self._sent_lines += len(gone)

    def _append(self, lines: list[dict[str, Any]]) -> None:
        with self.path.open("a", encoding="utf-8") as out:
            out.write("".join(json.dumps(line) + "\n" for line in lines))
        self._lines += len(lines)

    def _rewrite(self) -> None:
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text("".join(json.dumps(e) + "\n" for e in self.waiting), encoding="utf-8")
        tmp.replace(self.path)
        self._lines = len(self.waiting)


LONGEST_TEXT = 1000  # characters of one field sent; a record stays far below the room's limit
MOST_ITEMS = 20  # items of one list sent


def fit(record: dict[str, Any]) -> dict[str, Any]:
    """A record within the room's bounds: long texts and lists clipped (a check's observation
    can quote a long log line), so the server never refuses it for its size."""

    def clipped(value: Any) -> Any:
        if isinstance(value, str) and len(value) > LONGEST_TEXT:
            return value[: LONGEST_TEXT - 1] + "…"
        if isinstance(value, list | tuple):
            return [clipped(item) for item in value[:MOST_ITEMS]]
        return value

    return {key: clipped(value) for key, value in record.items()}


def refused_for_good(exc: APIError) -> bool:
    """The stream's answer to a record over its limits (too large, a full subject or room):
    sending it again changes nothing. Anything else (no leader yet) is worth another try."""
    if exc.err_code == STORE_REFUSED:  # also a failing disk: only a limit is for good
        return "maximum" in (exc.description or "")
    return exc.code == 400 or exc.err_code == MESSAGE_TOO_LARGE


def remembered_servers(outbox: Path, member: Membership) -> list[str]:
    """The room's servers an earlier run learned (beside the outbox), for this room at this
    address only: `class send` after a lesson whose server died knew only that server."""
    try:
        kept = json.loads(outbox.with_name(SERVERS_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [member.url]
    if not isinstance(kept, dict) or (kept.get("url"), kept.get("room")) != (
        member.url,
        member.room,
    ):
        return [member.url]
    servers = [s for s in kept.get("servers") or [] if isinstance(s, str) and s != member.url]
    return [member.url, *servers]


def remember_servers(outbox: Path, member: Membership, servers: list[str]) -> None:
    """Keep what the connection learned, for the next run and for `class send`."""
    kept = {"url": member.url, "room": member.room, "servers": servers}
    with contextlib.suppress(OSError):
        outbox.with_name(SERVERS_FILE).write_text(json.dumps(kept), encoding="utf-8")


def known_servers(first: str, nc: Any) -> list[str]:
    """The room's server we were given, then every other one the connection learned."""
    seen = [first]
    for url in nc.servers:
        address = f"nats://{url.hostname}:{url.port}"
        if address not in seen:
            seen.append(address)
    return seen


class Uplink:
    """A bus listener (lesson events into the outbox) and the task that empties the outbox."""

    def __init__(
        self,
        member: Membership,
        run: str,
        path: Path | None = None,
        versions: Callable[[], str] | None = None,
        crashed: Callable[[], dict[str, float]] | None = None,
    ) -> None:
        self.member = member
        self.versions = versions  # what this run measures with, sent beside each figure
        self.crashed = crashed  # this lab's crashed servers and since when, in each heartbeat
        self.run = run
        self.outbox = Outbox.load(path or outbox_file())
        self.live = False
        self.reached = False  # reached at least once in this run
        self.last_error = "the room not reached yet"
        self._seq = 0
        # In every id: a participant who could guess another's next id would publish it
        # first, and the room's stream would drop the real event as a duplicate.
        self._nonce = secrets.token_hex(8)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self.reveals: dict[tuple[str, int], dict[str, Any]] = {}  # what the room published
        self.on_reveal: Callable[[dict[str, Any]], None] | None = None
        self.control = Control()  # the instructor's holds and message, as last announced
        self._known = remembered_servers(self.outbox.path, member)  # the room's servers
        self.on_control: Callable[[bool], None] | None = None  # told whether a new message

    def __call__(self, event: object) -> None:
        if not isinstance(event, lev.LessonEvent):
            return
        if isinstance(event, lev.CheckResult) and not event.final:
            return  # a check's interim looks: the board needs its verdict
        record = to_record(event)
        figure = getattr(event, "figure", None) if isinstance(event, lev.CheckResult) else None
        value = event.value if isinstance(event, lev.PredictionJudged) else None
        ends = isinstance(event, lev.LessonStarted | lev.LessonFinished)
        if self.versions is not None and (figure is not None or value is not None or ends):
            record["versions"] = self.versions()
        self.send(record)

    def send(self, fields: dict[str, Any]) -> None:
        """Queue one record ({"type": …, "at": …, …}) for the room: a lesson event, or a
        help request."""
        self._seq += 1
        key = f"{self.member.name}:{self.run}:{self._seq}:{self._nonce}"
        record = fit({**fields, "participant": self.member.name, "run": self.run, "id": key})
        self.outbox.add(
            {
                "id": key,
                "subject": event_subject(self.member.room, self.member.name, record["type"]),
                "record": record,
            }
        )
        self._wake.set()

    async def _on_announcement(self, msg: Any) -> None:
        """A reveal (the room's aggregate for one question, never another's own answer), or
        the instructor's hold, release or message."""
        if msg.subject == control_subject(self.member.room):
            with contextlib.suppress(ValueError, KeyError, TypeError, AttributeError):
                said = self.control.said_at
                self.control.apply(json.loads(msg.data))
                if self.on_control is not None:
                    self.on_control(self.control.said_at != said)
            return
        try:
            aggregate = json.loads(msg.data)
            key = (str(aggregate["lesson"]), int(aggregate["step"]))
        except (ValueError, KeyError, TypeError):
            return
        self.reveals[key] = aggregate
        if self.on_reveal is not None:
            self.on_reveal(aggregate)

    def status(self) -> str:
        """For the footer and the headless summary: the room, and whether events wait."""
        waiting = len(self.outbox.waiting)
        dropped, refused = self.outbox.dropped, self.outbox.refused
        lost = f", {dropped} oldest dropped: the outbox was full" if dropped else ""
        if refused:
            lost += f", {refused} refused by the room (over its limits)"
        if self.live and not waiting:
            return f"room {self.member.room}: live{lost}"
        if closed := self.control.closed_at:
            when = time.strftime("%H:%M", time.localtime(closed))
            return (
                f"room {self.member.room}: closed by the instructor at {when}, "
                f"{waiting} waiting{lost}"
            )
        why = f" ({self.last_error})" if self.last_error else ""
        return f"room {self.member.room}: {waiting} waiting{why}{lost}"

    def start(self) -> None:
        self._task = asyncio.create_task(self._send_forever(), name="natslab room uplink")

    async def close(self, drain: float = 5.0) -> None:
        """Give what waits a few seconds to go, if the room was reached in this run (a room
        lost a moment ago, say a cluster moving the stream's leader, is likely back soon);
        the rest stays in the outbox for next time, or `natslab class send`."""
        deadline = time.monotonic() + drain
        while self.outbox.waiting and self.reached and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        await cancel_and_wait(self._task)

    async def _send_forever(self) -> None:
        delay = 0.5
        while True:
            raise_if_cancelled()  # a cancel that nats-py's connect or close swallowed
            try:
                nc = await connect(self.member, self._known, connect_timeout=2,
                                   allow_reconnect=False)  # fmt: skip
                # A cluster tells of its other servers: if this one goes, try those next.
                learned = known_servers(self.member.url, nc)
                if learned != self._known:
                    self._known = learned
                    remember_servers(self.outbox.path, self.member, learned)
            except Exception as exc:  # the room is away: the lesson goes on, events wait
                self.live, self.last_error = False, f"room unreachable: {exc}"
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            delay, self.live, self.last_error, self.reached = 0.5, True, "", True
            try:
                await self._drain(nc)
            except Exception as exc:
                self.live, self.last_error = False, f"room lost: {exc}"
            finally:
                with contextlib.suppress(Exception):
                    await nc.close()

    async def _drain(self, nc: Any) -> None:
        js = nc.jetstream()
        await nc.subscribe(announce_subjects(self.member.room), cb=self._on_announcement)
        beat = heartbeat_subject(self.member.room, self.member.name)
        last_beat = 0.0
        while True:
            if time.monotonic() - last_beat >= HEARTBEAT:
                last_beat = time.monotonic()
                pulse = {"at": time.time(), "run": self.run,
                         "crashed": self.crashed() if self.crashed else {}}  # fmt: skip
                await nc.publish(beat, json.dumps(pulse).encode())
            while self.outbox.waiting:
                entry = self.outbox.waiting[0]
                payload = json.dumps(entry["record"], default=str).encode()
                try:
                    await js.publish(entry["subject"], payload, timeout=SEND_TIMEOUT,
                                     headers={"Nats-Msg-Id": entry["id"]})  # fmt: skip
                except APIError as exc:
                    if not refused_for_good(exc):
                        raise  # the room is electing, say: this one goes again
                    self.outbox.refuse_first()  # over the room's limits: never accepted
                    continue
                self.outbox.done(1)
            self._wake.clear()
            if not nc.is_connected:
                raise ConnectionError("disconnected")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)
