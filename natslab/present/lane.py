"""One client's lane over a run: the servers it was on and the gaps between, as a report
draws it, and the per-server counts the chart is made of."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Segment:
    """A stretch of a client's lane: on a server, or away from all (a gap)."""

    server: str | None
    start: float
    end: float


@dataclass
class Lane:
    """One client over the run: where it was, when it moved, what it lost."""

    client: str
    kind: str
    segments: list[Segment] = field(default_factory=list)
    moves: int = 0
    longest_gap: float = 0.0
    lost: int = 0
    received: int = 0


def add_point(series: list[tuple[float, int]], t: float, n: int) -> None:
    """One point per change of the count."""
    if not series or series[-1][1] != n:
        series.append((t, n))
