"""A watch's clients in a report: each named client's lane and the clients on each server,
from what the watch recorded (first seen, moved, missing). A watch cannot count losses."""

from __future__ import annotations

import itertools
from collections import Counter, defaultdict

from natslab.cluster import events as sev
from natslab.present.lane import Lane, Segment, add_point

WATCHED = "watched"  # the kind of a lane the watch drew: it has moves, never a loss


class WatchedLanes:
    """Lanes and per-server counts of the clients a watch followed by name."""

    def __init__(self, start: float) -> None:
        self.start = start
        self.counts: dict[str, list[tuple[float, int]]] = defaultdict(list)
        self._lanes: dict[str, Lane] = {}
        self._on: dict[str, str | None] = {}
        self._per_server: Counter[str] = Counter()

    def take(self, event: object) -> None:
        match event:
            case sev.WatchedClientSeen() | sev.WatchedClientMoved():
                self._to(event.client, event.server, event.at)
            case sev.WatchedClientMissing():
                self._to(event.client, None, event.at)

    def _to(self, client: str, server: str | None, at: float) -> None:
        t = at - self.start
        before = self._on.get(client)
        lane = self._lanes.setdefault(client, Lane(client, WATCHED))
        if lane.segments and lane.segments[-1].end < 0:
            lane.segments[-1].end = t
        lane.segments.append(Segment(server, t, -1.0))
        self._on[client] = server
        if before is not None:
            self._per_server[before] -= 1
        if server is not None:
            self._per_server[server] += 1
        for changed in {before, server} - {None}:
            assert changed is not None
            add_point(self.counts[changed], t, self._per_server[changed])

    def finish(self, end: float) -> list[Lane]:
        """Every lane closed at the run's end, its moves and longest gap counted."""
        for lane in self._lanes.values():
            if lane.segments and lane.segments[-1].end < 0:
                lane.segments[-1].end = end
            visited = [s.server for s in lane.segments if s.server is not None]
            lane.moves = sum(a != b for a, b in itertools.pairwise(visited))
            inner = lane.segments[1:-1]
            lane.longest_gap = max((s.end - s.start for s in inner if s.server is None), default=0)
        return sorted(self._lanes.values(), key=lambda lane: lane.client)
