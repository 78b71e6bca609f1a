"""The geometry of a report's pictures: the clients-per-server chart and the client lanes.

Only numbers and labels here; the template draws them as inline SVG, so the page stays one
self-contained file that scales to the window (a viewBox, no fixed width)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from natslab.present.lane import Lane
from natslab.present.report_model import Mark
from natslab.present.watched_lanes import WATCHED
from natslab.words import counted

COLOURS = ["#2f7ed8", "#d0503b", "#3aa55d", "#a35fc4", "#d9a400", "#3bb3c3", "#7a7a7a"]
GAP_COLOUR = "#e6e6e6"


def colour_of(server: str) -> str:
    """The same server has the same colour in every chart and lane, and in both runs of a
    comparison: by its letter, not by its order in one run."""
    index = ord(server[0].upper()) - ord("A") if server else 0
    return COLOURS[index % len(COLOURS)]


def nice_step(span: float, target: int = 6) -> float:
    """A round tick spacing (1, 2 or 5 times a power of ten) giving about `target` ticks."""
    if span <= 0:
        return 1.0
    raw = span / target
    power = 10.0 ** math.floor(math.log10(raw))
    return float(next(m * power for m in (1, 2, 5, 10) if m * power >= raw))


@dataclass
class Scale:
    """Seconds to x and counts to y inside the plot area."""

    end: float
    top: int
    width: int = 900
    height: int = 260
    left: int = 56  # room for the y ticks and the y axis's label
    right: int = 16
    upper: int = 28  # room for the step numbers above the plot
    lower: int = 44  # room for the x ticks and the x axis's label

    def x(self, t: float) -> float:
        return round(self.left + (self.width - self.left - self.right) * t / (self.end or 1), 1)

    def y(self, n: float) -> float:
        plot = self.height - self.upper - self.lower
        return round(self.height - self.lower - plot * n / (self.top or 1), 1)

    @property
    def bottom(self) -> float:
        return self.height - self.lower


@dataclass
class Chart:
    scale: Scale
    x_ticks: list[tuple[float, str]]
    y_ticks: list[tuple[float, str]]
    lines: list[tuple[str, str, str]]  # server, colour, SVG points
    marks: list[tuple[float, Mark]]


def chart(
    counts: dict[str, list[tuple[float, int]]],
    marks: list[Mark],
    end: float,
    top: int | None = None,
) -> Chart | None:
    """Clients per server as step lines, with each step, action and stop marked; `end`
    and `top` may be shared by two runs so that their charts compare at a glance."""
    if not counts:
        return None
    top = top or max((n for series in counts.values() for _, n in series), default=1) or 1
    scale = Scale(end=max(end, 0.1), top=top)
    step = nice_step(scale.end)
    x_ticks = [
        (scale.x(i * step), f"{i * step:g}") for i in range(int(scale.end / step + 1e-9) + 1)
    ]
    y_step = max(1, round(nice_step(top, 4)))
    y_ticks = [(scale.y(n), str(n)) for n in range(0, top + 1, y_step)]
    lines = []
    for server, series in sorted(counts.items()):
        points, last = [f"{scale.x(0)},{scale.y(0)}"], 0
        for t, n in series:
            points += [f"{scale.x(t)},{scale.y(last)}", f"{scale.x(t)},{scale.y(n)}"]
            last = n
        points.append(f"{scale.x(scale.end)},{scale.y(last)}")
        lines.append((server, colour_of(server), " ".join(points)))
    return Chart(scale, x_ticks, y_ticks, lines, _placed(marks, scale))


def _placed(marks: list[Mark], scale: Scale, apart: float = 14) -> list[tuple[float, Mark]]:
    """Each mark at its x; actions, or stops, closer than `apart` units (three servers
    started at once, B and C stopped together) share one mark ("1–3", "B C"), so that their
    labels do not print over each other."""
    placed: list[tuple[float, Mark]] = []
    for mark in marks:
        if mark.at > scale.end:
            continue
        x = scale.x(mark.at)
        before = placed[-1][1] if placed else None
        if before and mark.kind == before.kind != "step" and x - placed[-1][0] < apart:
            first = before.label.split("–")[0]
            label = (
                f"{first}–{mark.label}" if mark.kind == "action" else f"{before.label} {mark.label}"
            )
            merged = Mark(before.at, mark.kind, label, f"{before.text}; {mark.text}")
            placed[-1] = (placed[-1][0], merged)
            continue
        placed.append((x, mark))
    return placed


@dataclass
class LaneRow:
    client: str
    y: float
    lost: int
    moves: int
    rects: list[tuple[float, float, str, str]] = field(default_factory=list)  # x, w, fill, tip
    counted: bool = True  # its loss was counted (natslab's client), not only its moves

    @property
    def note(self) -> str:
        """Beside the lane: what it lost, or for a watched client, how often it moved."""
        return f"{self.lost} lost" if self.counted else counted(self.moves, "move")


@dataclass
class Lanes:
    scale: Scale
    rows: list[LaneRow]
    servers: list[tuple[str, str]]  # server, colour: the legend
    left_out: int
    x_ticks: list[tuple[float, str]]

    ROW = 12


def lanes(runs_lanes: list[Lane], end: float, limit: int) -> Lanes | None:
    """A lane per client: coloured by the server it was on, grey while it was on none."""
    if not runs_lanes:
        return None
    shown = runs_lanes[:limit]
    height = 40 + Lanes.ROW * len(shown)
    scale = Scale(end=max(end, 0.1), top=1, height=height, left=110, right=70, upper=8, lower=32)
    rows, servers = [], set()
    for i, lane in enumerate(shown):
        row = LaneRow(lane.client, scale.upper + i * Lanes.ROW, lane.lost, lane.moves,
                      counted=lane.kind != WATCHED)  # fmt: skip
        for seg in lane.segments:
            x0, x1 = scale.x(seg.start), scale.x(min(seg.end, scale.end))
            if seg.server is None:
                tip = f"{lane.client}: on no server for {seg.end - seg.start:.2f} s"
                fill = GAP_COLOUR
            else:
                servers.add(seg.server)
                tip = f"{lane.client} on {seg.server}, +{seg.start:.2f} s to +{seg.end:.2f} s"
                fill = colour_of(seg.server)
            row.rects.append((x0, max(round(x1 - x0, 1), 0.5), fill, tip))
        rows.append(row)
    step = nice_step(scale.end)
    ticks = [(scale.x(i * step), f"{i * step:g}") for i in range(int(scale.end / step + 1e-9) + 1)]
    legend = [(s, colour_of(s)) for s in sorted(servers)]
    return Lanes(scale, rows, legend, len(runs_lanes) - len(shown), ticks)
