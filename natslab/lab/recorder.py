"""Records a run's notable events as JSON Lines in its run directory, for reports and review."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from natslab.bus import Event
from natslab.clients.events import ClientClosed, MessageCounts
from natslab.cluster.events import LogLines, ServerPolled

EVENTS_FILE = "events.jsonl"
# Raw lines are in each server's .log; polls arrive several times a second.
_SKIPPED = (LogLines, ServerPolled)


def to_record(event: object) -> dict[str, Any]:
    """{"type": "ServerStarted", "at": ..., field: value, ...} for any event dataclass."""
    assert dataclasses.is_dataclass(event) and not isinstance(event, type)
    fields = {f.name: getattr(event, f.name) for f in dataclasses.fields(event)}
    return {"type": type(event).__name__, **fields}


class EventRecorder:
    """A bus listener appending one JSON object per event; the file is flushed per event so a
    killed run still leaves everything up to its last moment."""

    def __init__(self, run_dir: Path) -> None:
        self.path = run_dir / EVENTS_FILE
        self._file: IO[str] | None = self.path.open("a", encoding="utf-8")
        # Counters come several times a second: a client's are written when its loss changes
        # (what a report bills) and, the latest, when it closes or the run ends (its totals).
        self._counts: dict[str, tuple[MessageCounts, bool]] = {}  # latest, and if written

    def __call__(self, event: object) -> None:
        if self._file is None or isinstance(event, _SKIPPED) or not dataclasses.is_dataclass(event):
            return
        if isinstance(event, MessageCounts):
            before = self._counts.get(event.client)
            lost_changed = before is None or before[0].lost != event.lost
            self._counts[event.client] = (event, lost_changed)
            if not lost_changed:
                return
        elif isinstance(event, ClientClosed):
            self._write_latest(event.client)
        self._write(event)

    def _write(self, event: object) -> None:
        assert self._file is not None
        self._file.write(json.dumps(to_record(event), default=str) + "\n")
        self._file.flush()

    def _write_latest(self, client: str) -> None:
        latest = self._counts.get(client)
        if latest is not None and not latest[1]:
            self._counts[client] = (latest[0], True)
            self._write(latest[0])

    def close(self) -> None:
        if self._file is not None:
            for client in list(self._counts):
                self._write_latest(client)
            self._file.close()
            self._file = None


@dataclass
class Replayed:
    """Records turned back into events, and the records that could not be (with why)."""

    events: list[Event] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def replay(records: list[dict[str, Any]]) -> Replayed:
    """Every record back into the event it came from. Each `type` is an event class name
    (unique, see `Event`); the modules defining them must be imported by the caller."""
    out = Replayed()
    for number, record in enumerate(records, 1):
        kind = Event.kinds.get(str(record.get("type", "")))
        if kind is None or not dataclasses.is_dataclass(kind):
            out.skipped.append(f"record {number}: unknown type {record.get('type')!r}")
            continue
        fields = {f.name for f in dataclasses.fields(kind)}
        try:
            out.events.append(kind(**{k: v for k, v in record.items() if k in fields}))
        except TypeError as exc:
            out.skipped.append(f"record {number} ({kind.__name__}): {exc}")
    return out


def read_events(path: Path) -> list[dict[str, Any]]:
    """The records of a run, skipping a last line cut short by a crash."""
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records
