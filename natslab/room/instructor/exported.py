"""A room's exported file (`natslab class export ROOM --format jsonl`) read back: its name
and its records, for the class report and the replay."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from natslab.errors import NatslabError
from natslab.room import records

if TYPE_CHECKING:
    from natslab.room.instructor.stream import Stored


class NotAnExport(NatslabError):
    """The file given is not a `natslab class export --format jsonl` file."""


def read_export(path: Path) -> tuple[str, list[tuple[str, Any]]]:
    """The room's name and its messages (subject, record) from a `class export --format
    jsonl` file: the subject says who stored each, the record's body does not."""
    records, room = [], ""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise NotAnExport(f"Cannot read {path}: {exc.strerror or exc}.") from exc
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            subject, record = str(item["subject"]), item["record"]
        except (ValueError, KeyError, TypeError, RecursionError) as exc:
            raise NotAnExport(
                f"{path}, line {number}, is not a room's event: `natslab report --class` "
                "reads what `natslab class export ROOM --format jsonl` wrote."
            ) from exc
        room = room or [*subject.split("."), "", ""][1]
        records.append((subject, record))
    return room or path.stem, records


def write_export(stored: list[Stored], fmt: str, out: IO[str]) -> None:
    """Every stored message, as `class export` writes it: JSON lines, or CSV rows."""
    if fmt == "jsonl":
        for item in stored:
            line = {"seq": item.seq, "subject": item.subject, "record": item.record}
            out.write(json.dumps(line) + "\n")
        return
    writer = csv.writer(out)
    writer.writerow(["seq", "at", "participant", "run", "type", "step", "ok", "detail"])
    for item in stored:
        read = records.read(item.subject, item.record)
        if not isinstance(read, records.Authored):
            continue  # refused: the board and the report count it, a table has no row for it
        r = read.record
        detail = r.observation or r.title or r.measured
        ok = "" if r.ok is None else r.ok
        writer.writerow([item.seq, r.at, read.author, r.run, r.type, r.index, ok,
                         spreadsheet_safe(detail)])  # fmt: skip


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet shows as text: one starting with = + - @ would run as a formula."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
