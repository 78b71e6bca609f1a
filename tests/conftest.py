"""Shared fixtures: a private state dir, the real binary, free ports, a supervisor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from natslab.cluster import events as ev
from natslab.cluster.binary import ServerBinary, find_binary
from natslab.cluster.ports import find_free_offset
from natslab.cluster.rundir import RunDir
from natslab.cluster.supervisor import Supervisor


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test keeps its runs in its own folder, never the user's."""
    path = tmp_path / "state"
    monkeypatch.setenv("NATSLAB_STATE_DIR", str(path))
    return path


@pytest.fixture(scope="session")
def binary() -> ServerBinary:
    return find_binary()


@pytest.fixture
def offset() -> int:
    """A port offset at which A..E are all free right now."""
    return find_free_offset("ABCDE")


class EventLog(list[ev.ClusterEvent]):
    """Records every event but the raw line batches."""

    def __call__(self, event: ev.ClusterEvent) -> None:
        if not isinstance(event, ev.LogLines):
            self.append(event)

    def of(self, kind: type[ev.ClusterEvent], server: str | None = None) -> list[ev.ClusterEvent]:
        return [e for e in self if isinstance(e, kind) and (server is None or e.server == server)]


@pytest.fixture
def events() -> EventLog:
    return EventLog()


@pytest.fixture
async def supervisor(binary: ServerBinary, events: EventLog) -> AsyncIterator[Supervisor]:
    sup = Supervisor(binary, RunDir.create())
    sup.subscribe(events)
    try:
        yield sup
    finally:
        await sup.aclose()
