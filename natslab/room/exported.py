"""A room's exported file (`natslab class export ROOM --format jsonl`) read back: its name
and its records, for the class report and the replay."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from natslab.errors import NatslabError

if TYPE_CHECKING:
    from natslab.room.stream import Stored


class NotAnExport(NatslabError):
    """The file given is not a `natslab class export --format jsonl` file."""


def read_export(path: Path) -> tuple[str, list[Any]]:
    """The room's name and records from a `class export --format jsonl` file."""
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
            subject, record = item["subject"], item["record"]
        except (ValueError, KeyError, TypeError) as exc:
            raise NotAnExport(
                f"{path}, line {number}, is not a room's event: `natslab report --class` "
                "reads what `natslab class export ROOM --format jsonl` wrote."
            ) from exc
        room = room or str(subject).split(".")[1]
        records.append(record)
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
        r = item.record if isinstance(item.record, dict) else {}
        detail = r.get("observation") or r.get("title") or r.get("measured") or ""
        fields = ("at", "participant", "run", "type", "index", "ok")
        writer.writerow([item.seq, *(r.get(f, "") for f in fields), detail])
