"""What a report tells of one run, replayed from its events.jsonl and its servers' logs."""

from __future__ import annotations

import itertools
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from natslab.clients import events as cev
from natslab.cluster import events as sev
from natslab.cluster.logformat import LogFolder, notability
from natslab.cluster.rundir import RUN_STATE_FILE, RunState
from natslab.errors import RunDirError
from natslab.lab.recorder import EVENTS_FILE, read_events, replay
from natslab.lessons import catalog
from natslab.lessons import events as lev
from natslab.lessons.record import LessonRecord, StepRecord
from natslab.present.lane import Lane, Segment, add_point
from natslab.present.renderings import entry_plain
from natslab.present.timeline_words import words
from natslab.present.watched_lanes import WatchedLanes
from natslab.state import ActionTaken, ClientState, LabState

NOTABLE_ENTRIES = 120  # folded log entries kept per server: the last ones, where runs end
LANES = 200  # clients drawn as lanes; a bigger crowd is summed up in the bill alone

# Who did a hands-on action (ActionDone.hands_on): the learner at their own shell, or
# natslab once they pressed s. Other actions are natslab's, as the lesson runs them.
BY = {"learner": " (done by you)", "natslab": " (done by natslab: s was pressed)"}


@dataclass(frozen=True)
class Mark:
    """Something that happened at a moment of the run, drawn on the chart."""

    at: float  # seconds since the run started
    kind: str  # "step", "action" or "stop"
    label: str  # short: "2", "A3", "■A"
    text: str  # what it was, in words


@dataclass(frozen=True)
class Bill:
    """Clients of one group (name without its number), summed: what moving cost them."""

    group: str
    kind: str
    clients: int
    moves: int
    lost: int
    received: int
    longest_gap: float
    worst: str  # the client that lost most, with its count, or ""


@dataclass(frozen=True)
class Folded:
    """A timeline entry, or a run of entries alike but for a number, as one."""

    at: float
    text: str
    count: int = 1
    last: float = 0.0


@dataclass
class ServerLog:
    """A server's notable log entries, folded as its pane folds them."""

    server: str
    entries: list[str]
    left_out: int
    hidden: dict[str, int]


@dataclass
class RunReport:
    """What a report shows; the steps are the lesson record replayed, never re-decided."""

    run_dir: Path
    title: str
    kind: str  # "lesson", "lab" or "watch"
    lesson_id: str
    started: str
    duration: float
    summary: str
    lesson_ok: bool | None
    lesson_steps: int  # the lesson's, run or not: a run quit midway ran fewer
    watched: list[str]  # every server a watch asked, whether it ever answered or not
    steps: list[StepRecord]
    skipped: list[str]
    versions: dict[str, list[str]]
    counts: dict[str, list[tuple[float, int]]]
    marks: list[Mark]
    actions: list[tuple[float, str, bool, str, str]]  # at, title, ok, detail, command
    lanes: list[Lane]
    timeline: list[Folded]
    logs: list[ServerLog]
    score: tuple[int, int, int] = (0, 0, 0)  # matched, answered, asked (LessonRecord.score)
    watched_lanes: list[Lane] = field(default_factory=list)  # a watch's clients, by name

    @property
    def name(self) -> str:
        return self.run_dir.name

    @property
    def bills(self) -> list[Bill]:
        return bills(self.lanes)

    @property
    def never_answered(self) -> list[str]:
        """The watched servers that never said their version: none of them ever answered."""
        return [name for name in self.watched if name not in self.versions]

    @property
    def total_lost(self) -> int:
        return sum(lane.lost for lane in self.lanes)


def _ended_at(run_dir: Path) -> float:
    """When the run ended, as its run.json says (0 for a run recorded before it said so)."""
    try:
        return RunState.load(run_dir / RUN_STATE_FILE).ended_at
    except (OSError, ValueError, TypeError):
        return 0.0


def build(run_dir: Path, with_logs: bool = True) -> RunReport:
    events_file = run_dir / EVENTS_FILE
    if not events_file.exists():
        raise RunDirError(f"{run_dir} has no {EVENTS_FILE}: it is not a natslab run directory.")
    replayed = replay(read_events(events_file))
    events = replayed.events
    state = LabState(timeline_length=100_000)
    lesson = LessonRecord()
    start = getattr(events[0], "at", 0.0) if events else 0.0
    end = max((getattr(e, "at", start) for e in events), default=start)
    end = max(end, _ended_at(run_dir))
    lanes = LaneBuilder(start)
    counts: dict[str, list[tuple[float, int]]] = defaultdict(list)
    where: dict[str, str] = {}
    versions: dict[str, list[str]] = {}
    marks: list[Mark] = []
    actions: list[tuple[float, str, bool, str, str]] = []
    kind = "lab"
    watched = WatchedLanes(start)
    watched_names: set[str] = set()
    for event in events:
        state.apply(event)
        watched.take(event)
        at = getattr(event, "at", start) - start
        if isinstance(event, lev.LessonEvent):
            lesson.apply(event)
            kind = "lesson"
        match event:
            case sev.ServerStarted() | sev.WatchedServerUp() if event.version:
                seen = versions.setdefault(event.server, [])
                if not seen or seen[-1] != event.version:
                    seen.append(event.version)
            case sev.WatchedVersionChanged():
                versions.setdefault(event.server, []).append(event.version)
            case lev.StepStarted() if not event.retry:
                marks.append(Mark(at, "step", str(event.index + 1), event.title))
            case lev.ActionDone() if event.command:
                said = event.title or event.action  # a run recorded before titles: its type
                said += BY.get(event.hands_on, "")  # the learner's own doing is not natslab's
                actions.append((at, said, event.ok, event.detail, event.command))
            case ActionTaken():
                actions.append((at, event.title, event.ok, event.detail, event.command))
                marks.append(Mark(at, "action", f"{len(actions)}", event.title))
            case sev.ServerExited():
                how = "stopped" if event.expected else f"exited ({event.returncode})"
                marks.append(Mark(at, "stop", event.server, f"{event.server} {how}"))
        if isinstance(event, sev.WatchChange):
            kind = "watch"
            watched_names.add(event.server)
        if isinstance(event, cev.ClientEvent | sev.ServerExited):
            lanes.follow(state, at, getattr(event, "client", None))
            before = dict(where)
            where = {
                c.name: c.server
                for c in state.clients.values()
                if c.server and c.state == ClientState.CONNECTED
            }
            if where != before:
                for server in sorted(set(before.values()) | set(where.values())):
                    n = sum(1 for s in where.values() if s == server)
                    add_point(counts[server], at, n)
    duration = end - start
    lanes.finish(state, duration)
    watched_lanes = watched.finish(duration)
    if kind == "watch":  # no client of natslab's: the chart is the watched clients'
        counts = watched.counts
    origin = state.started_at or start
    return RunReport(
        run_dir=run_dir,
        title=lesson.title or f"natslab {kind} run {run_dir.name}",
        kind=kind,
        lesson_id=lesson.lesson_id,
        started=datetime.fromtimestamp(start).isoformat(sep=" ", timespec="seconds")
        if events
        else "",
        duration=duration,
        summary=_summary(lesson.lesson_id),
        lesson_ok=lesson.ok,
        lesson_steps=max(lesson.lesson_steps, len(lesson.steps)),
        watched=sorted(watched_names),
        steps=[lesson.steps[i] for i in sorted(lesson.steps)],
        skipped=replayed.skipped,
        versions=versions,
        counts=dict(counts),
        marks=marks,
        actions=actions,
        lanes=lanes.lanes(),
        timeline=fold_timeline([(e.at - origin, words(e)) for e in state.timeline]),
        logs=server_logs(run_dir) if with_logs else [],
        score=lesson.score(),
        watched_lanes=watched_lanes,
    )


def _summary(lesson_id: str) -> str:
    """The lesson's own summary, from the bundled lesson of that id (a run records its id)."""
    if not lesson_id or lesson_id not in catalog.bundled():
        return ""
    try:
        return catalog.load(lesson_id).summary
    except Exception:  # a lesson file changed since: the report still stands without it
        return ""


class LaneBuilder:
    """Each client's location over time, from LabState after every client event."""

    def __init__(self, start: float) -> None:
        self.start = start
        self._lanes: dict[str, Lane] = {}
        self._where: dict[str, str | None] = {}

    def follow(self, state: LabState, at: float, client: str | None) -> None:
        """After an event of one client (or, `client` None, a server's exit: all of them)."""
        if client is None:
            views = state.lab_clients()
        else:
            one = state.clients.get(client)
            views = [one] if one is not None and not one.external else []
        for view in views:
            if view.state == ClientState.CONNECTING and view.name not in self._lanes:
                continue  # not anywhere yet: its lane starts where it first connects
            lane = self._lanes.setdefault(view.name, Lane(view.name, view.kind))
            closed = view.state == ClientState.CLOSED
            now = None if view.state != ClientState.CONNECTED else view.server
            if closed:
                if lane.segments and lane.segments[-1].end < 0:
                    lane.segments[-1].end = at
                self._where[view.name] = "closed"
                continue
            if self._where.get(view.name, "none") == now and lane.segments:
                continue
            if lane.segments and lane.segments[-1].end < 0:
                lane.segments[-1].end = at
            lane.segments.append(Segment(now, at, -1.0))
            self._where[view.name] = now

    def finish(self, state: LabState, end: float) -> None:
        for name, lane in self._lanes.items():
            if lane.segments and lane.segments[-1].end < 0:
                lane.segments[-1].end = end
            lane.segments = [s for s in lane.segments if s.end > s.start or s.server]
            gaps = [
                s.end - s.start
                for i, s in enumerate(lane.segments)
                if s.server is None and 0 < i < len(lane.segments) - 1
            ]
            lane.longest_gap = max(gaps, default=0.0)
            visited = [s.server for s in lane.segments if s.server is not None]
            lane.moves = sum(a != b for a, b in itertools.pairwise(visited))
            view = state.clients.get(name)
            if view is not None:
                lane.lost, lane.received = view.lost, view.received

    def lanes(self) -> list[Lane]:
        """By group, then by number: pinned-2 before pinned-10."""
        return sorted(self._lanes.values(), key=lambda lane: _natural(lane.client))


def _natural(name: str) -> tuple[str, int]:
    number = re.search(r"-(\d+)$", name)
    return (group_of(name), int(number[1]) if number else 0)


def group_of(client: str) -> str:
    """'pinned-12' -> 'pinned': a crowd is billed as one row."""
    return re.sub(r"-\d+$", "", client)


def bills(lanes: list[Lane]) -> list[Bill]:
    groups: dict[tuple[str, str], list[Lane]] = defaultdict(list)
    for lane in lanes:
        groups[(group_of(lane.client), lane.kind)].append(lane)
    out = []
    for (group, kind), members in groups.items():
        worst = max(members, key=lambda lane: lane.lost)
        out.append(
            Bill(
                group,
                kind,
                len(members),
                sum(lane.moves for lane in members),
                sum(lane.lost for lane in members),
                sum(lane.received for lane in members),
                max(lane.longest_gap for lane in members),
                f"{worst.client} ({worst.lost})" if worst.lost else "",
            )
        )
    return out


_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?|(?<=-)\d+\b")
BURST = 1.0  # entries alike that come this close after one another are one burst


def fold_timeline(entries: list[tuple[float, str]]) -> list[Folded]:
    """Entries alike but for their numbers ("pinned-7 connected to A") that come in one
    burst become one, counted, as a pane folds repeated log lines (×N, last …): a client's
    number reads "…", another number its range ("after 29–44 ms")."""
    out: list[Folded] = []
    ranges: list[list[tuple[float, float]]] = []
    texts: list[str] = []
    open_: dict[str, int] = {}  # shape -> its entry in `out`, while its burst lasts
    for at, text in entries:
        shape = _NUMBER.sub("#", text)
        numbers = [float(n) for n in _NUMBER.findall(text)]
        i = open_.get(shape)
        if i is not None and at - out[i].last <= BURST:
            out[i] = Folded(out[i].at, out[i].text, out[i].count + 1, at)
            ranges[i] = [
                (min(a, n), max(b, n)) for (a, b), n in zip(ranges[i], numbers, strict=True)
            ]
            continue
        open_[shape] = len(out)
        out.append(Folded(at, text, 1, at))
        ranges.append([(n, n) for n in numbers])
        texts.append(text)
    return [
        Folded(f.at, _with_ranges(text, r) if f.count > 1 else f.text, f.count, f.last)
        for f, text, r in zip(out, texts, ranges, strict=True)
    ]


def _with_ranges(text: str, ranges: list[tuple[float, float]]) -> str:
    slots = iter(ranges)

    def fill(m: re.Match[str]) -> str:
        low, high = next(slots)
        if (
            m.start() > 0
            and text[m.start() - 1] == "-"
            and text[m.start() - 2 : m.start() - 1].isalpha()
        ):
            return "…" if low != high else m[0]  # a client's number: several clients
        return m[0] if low == high else f"{low:g}–{high:g}"

    return _NUMBER.sub(fill, text)


def server_logs(run_dir: Path) -> list[ServerLog]:
    """Per server, the folded entries a learner should notice (noise counted, not shown)."""
    logs = []
    for log in sorted(run_dir.glob("*.log")):
        folder = LogFolder(limit=100_000)
        for line in log.read_text(errors="replace").splitlines():
            folder.add(line)
        notable = [entry_plain(e) for e in folder.entries if notability(e.raw) is not None]
        kept = notable[-NOTABLE_ENTRIES:]
        logs.append(ServerLog(log.stem, kept, len(notable) - len(kept), dict(folder.hidden)))
    return logs


def plateaus(
    series: list[tuple[float, int]], end: float, least: float | None = None
) -> list[tuple[int, float, float]]:
    """(count, from, to) for every count held at least `least` seconds (by default a tenth
    of the run, at least a second): where a story's level holds, not the bursts between."""
    hold = least if least is not None else max(1.0, end / 10)
    out = []
    for (t, n), following in zip(series, [*series[1:], (end, 0)], strict=True):
        if following[0] - t >= hold:
            out.append((n, t, following[0]))
    return out


def story_of(series: list[tuple[float, int]], end: float) -> str:
    """A server's clients over the run in a line: each level held, and the peak."""
    held = plateaus(series, end)
    peak_at, peak = max(series, key=lambda p: p[1]) if series else (0.0, 0)
    parts = [f"{n} from +{a:.1f} s to +{b:.1f} s" for n, a, b in held]
    if all(n != peak for n, _, _ in held):
        parts.append(f"a peak of {peak} at +{peak_at:.1f} s")
    return "; ".join(parts) if parts else "no clients"
