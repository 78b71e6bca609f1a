"""Rich renderings of LabState, shared by the headless printer and the TUI (no Textual here)."""

from __future__ import annotations

import functools
import re
from collections import deque
from dataclasses import dataclass

from rich.highlighter import Highlighter
from rich.text import Text

from natslab.cluster.jetstream import JetStreamView
from natslab.cluster.logformat import FoldedEntry, notability
from natslab.state import ClientState, ClientView, LabState, ServerState, ServerView
from natslab.words import counted

MOVE_HIGHLIGHT_SECONDS = 2.0
# "Srv ver" is the version of the server the client is on, never the client's own: a
# client's library and version (from /connz) show under Kind for clients natslab did not start.
CLIENT_COLUMNS = (
    "Client", "On", "Srv ver", "Knows", "Reconn", "Last gap", "Recv", "Lost", "Kind",
)  # fmt: skip
# At 80 columns the version goes first (the pane titles show it), then what a narrower
# panel cannot hold: a table wider than its panel loses a row to its scrollbar.
MEDIUM_CLIENT_COLUMNS = ("Client", "On", "Knows", "Reconn", "Last gap", "Recv", "Lost", "Kind")
# Narrower still (a laptop's 120 columns beside a lesson), what a step is judged by comes
# first and Knows, which grows with every server ("A B* C* D* E*"), last: it was Lost that
# a fifth server pushed off the edge (from the learners' walks).
COMPACT_CLIENT_COLUMNS = ("Client", "On", "Lost", "Last gap", "Reconn", "Knows")
_STATE_STYLE = {
    ServerState.STARTING: "yellow",
    ServerState.RUNNING: "green",
    ServerState.LAME_DUCK: "bold yellow",
    ServerState.PAUSED: "bold magenta",
    ServerState.STOPPED: "dim",
    ServerState.CRASHED: "bold red",
}


def recent_move(state: LabState, now: float) -> bool:
    """Whether a client moved recently enough that its highlight is still, or just, shown."""
    moved = state.last_move_at
    return moved is not None and now - moved < MOVE_HIGHLIGHT_SECONDS + 0.5


def unstarted_title(name: str) -> Text:
    """A pane's title before its server has ever been started."""
    return Text.assemble((f"{name} ", "bold"), ("○ not started", "dim"))


def server_title(
    view: ServerView, js: JetStreamView | None = None, width: int | None = None
) -> Text:
    """One line: name, state (with exit code), version, pid, ports, peers, CPU and memory,
    and what it leads in JetStream. Given a `width`, the parts least needed in a lesson go
    first (memory, CPU, ports, pid, version), so that peers and leaderships stay in view."""
    state = view.state.value
    if view.state in (ServerState.STOPPED, ServerState.CRASHED) and view.exit_code is not None:
        state += f" ({view.exit_code})"
    if view.watched and view.state == ServerState.STOPPED:
        state = "unreachable"  # not ours: all natslab knows is that it stopped answering
    # (part, how soon it is dropped for room: 0 never, higher sooner)
    parts: list[tuple[Text, int]] = [
        (Text.assemble((f"{view.name} ", "bold"), (f"● {state}", _STATE_STYLE[view.state])), 0)
    ]
    if view.version:
        parts.append((Text(f"  v{view.version}"), 1))
    if view.pid is not None and view.up:
        parts.append((Text(f"  pid {view.pid}"), 2))
    if view.client_port:
        ports = f"  :{view.client_port}/{view.cluster_port}/{view.monitor_port}"
        parts.append((Text(ports, "dim"), 3))
    if view.up:
        parts.append((Text(f"  peers {' '.join(sorted(view.route_peers)) or 'none'}"), 0))
        if view.cpu_percent is not None:
            parts.append((Text(f"  cpu {view.cpu_percent:.0f}%"), 4))
        if view.rss_bytes:
            parts.append((Text(f"  {view.rss_bytes / 2**20:.0f}M"), 5))
        if js is not None:
            parts.append((jetstream_badge(view.name, js), 0))
    for level in (5, 4, 3, 2, 1):
        if width is None or sum(t.cell_len for t, _ in parts) <= width:
            break
        parts = [(t, lv) for t, lv in parts if lv != level]
    return Text().join(t for t, _ in parts)


def knows_text(state: LabState, view: ClientView) -> Text:
    """Known servers: * learned by gossip, struck through when down (nats-py keeps them),
    ×2 when the pool holds the server under two addresses."""
    # Thousands of clients share a handful of pools: their cells share one Text, looked up
    # by what the pool holds, so a full redraw does not rebuild the same cell 2,000 times.
    pool = tuple((k.server, k.via_gossip) for k in view.known.values() if k.server)
    down = frozenset(name for name, server in state.servers.items() if not server.up)
    return _knows_label(pool, down)


@functools.lru_cache(maxsize=1024)
def _knows_label(pool: tuple[tuple[str, bool], ...], down: frozenset[str]) -> Text:
    addresses: dict[str, int] = {}
    seeded: set[str] = set()
    for server, via_gossip in pool:
        addresses[server] = addresses.get(server, 0) + 1
        if not via_gossip:
            seeded.add(server)
    text = Text()
    for name in sorted(addresses):
        if text:
            text.append(" ")
        label = name + ("" if name in seeded else "*") + ("×2" if addresses[name] > 1 else "")
        text.append(label, "dim strike" if name in down else "")
    return text


@functools.lru_cache(maxsize=4096)
def _cell(text: str, style: str = "") -> Text:
    """A shared Text for a cell that many rows repeat (a server, a count, a kind). Textual's
    DataTable and Rich only read a Text they render, so sharing one is safe, and building
    18,000 of them was most of a 2,000-client panel's redraw."""
    return Text(text, style)


def client_row(state: LabState, view: ClientView, now: float) -> tuple[Text, ...]:
    """The client-panel row for one client; a move in the last two seconds stands out."""
    if view.state == ClientState.CONNECTED:
        on = _cell(view.server or "?", "bold")
        if view.moved_at is not None and now - view.moved_at < MOVE_HIGHLIGHT_SECONDS:
            on = _cell(f"{view.previous_server}→{view.server}", "bold black on yellow")
    else:
        on = _cell(view.state.value, "red" if view.state == ClientState.RECONNECTING else "dim")
    gap = f"{view.last_gap_ms:.0f} ms" if view.last_gap_ms is not None else "-"
    gap_style = "red" if view.last_gap_ms is not None and view.last_gap_ms >= 1000 else ""
    if (stall := ledger_stall(view, now)) is not None:  # still going: how long so far
        gap, gap_style = f"{stall:.1f} s…", "bold red"
    server = state.servers.get(view.server or "")
    version = server.version if server is not None and view.state == ClientState.CONNECTED else ""
    return (
        _cell(view.name),
        on,
        _cell(version, "dim"),
        knows_text(state, view),
        _cell(str(view.reconnects)),
        _cell(gap, gap_style),
        _cell(str(view.received if view.kind != "publisher" else view.published)),
        _cell(str(view.lost), "red" if view.lost else ""),
        _cell(view.library or view.kind, "magenta" if view.external else "dim"),
    )


def ledger_stall(view: ClientView, now: float) -> float | None:
    """Seconds a ledger has gone without an ack while its publishes fail (a stream deleted,
    a lost quorum); None while it is acknowledged, or not publishing at all. Its gap is
    otherwise known only once an ack ends it."""
    if view.kind != "ledger" or view.publish_failures <= view.failed_at_last_ack:
        return None
    since = view.last_ack_at if view.last_ack_at is not None else view.placed_at
    return max(0.0, now - since) if since is not None else None


def row_inputs(view: ClientView, now: float) -> tuple[object, ...]:
    """Everything of the client itself that client_row draws from, cheap to compare: an
    unchanged tuple (with the servers unchanged) means an unchanged row."""
    highlighted = view.moved_at is not None and now - view.moved_at < MOVE_HIGHLIGHT_SECONDS
    return (
        view.state,
        view.server,
        view.previous_server if highlighted else None,
        view.last_gap_ms,
        round(stall, 1) if (stall := ledger_stall(view, now)) is not None else None,
        view.reconnects,
        view.received,
        view.published,
        view.lost,
        len(view.known),
        view.kind,
        view.library,
    )


def servers_inputs(state: LabState) -> tuple[object, ...]:
    """What of the servers client rows draw from (version, up or down, which addresses
    they own): when it changes, every row may."""
    return tuple((v.name, v.up, v.version, v.client_port) for v in state.servers.values())


def ordered_clients(state: LabState) -> list[ClientView]:
    """Lab clients in the order they started, then external ones; closed ones last."""
    return sorted(state.clients.values(), key=lambda c: (c.external, c.state == ClientState.CLOSED))


BAR_WIDTH = 20  # a full bar, where there is room for it


def count_bars(state: LabState, width: int = BAR_WIDTH) -> Text:
    """Connected clients per server as bars."""
    counts = state.client_counts()
    most = max(counts.values(), default=0) or 1
    text = Text()
    for name, count in counts.items():
        up = state.servers[name].up
        bar = "█" * round(width * count / most) if count else ""
        text.append("\n" if text else "")  # no newline after the last: no empty row below
        text.append(f"{name} ", "bold" if up else "dim")
        text.append(f"{bar:<{width}}", "cyan" if up else "dim")
        text.append(f" {count}")
    return text


def mesh_text(state: LabState) -> Text:
    """Every pair of running servers in one cluster, routed or not. Servers of different
    clusters never route (a leaf node or a gateway joins them), so with more than one cluster
    each is shown by its name, with its own pairs."""
    names = sorted(n for n, v in state.servers.items() if v.up)
    clusters: dict[str, list[str]] = {}
    for name in names:
        clusters.setdefault(state.servers[name].cluster_name, []).append(name)
    if "" in clusters and len(clusters) > 1:  # not polled yet: not another cluster
        first = next(c for c in clusters if c)
        clusters[first] = sorted(clusters[first] + clusters.pop(""))
    pairs = state.route_pairs()
    text = Text()
    for cluster, members in clusters.items():
        if len(clusters) > 1:
            text.append(f"{cluster}: ", "bold")
            if len(members) == 1:
                text.append(f"{members[0]} ")
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                linked = frozenset((a, b)) in pairs
                text.append(f"{a}━{b} " if linked else f"{a}╌{b} ", "green" if linked else "red")
    if not names:
        # A watch cannot tell a stopped server from one that does not answer (a newcomer's).
        text = Text("no watched server answers" if state.watching else "no servers running", "dim")
    elif len(names) == 1:
        text = Text(f"{names[0]} runs alone: no routes", "dim")
    js = state.jetstream
    if js.enabled:
        text.append("\n")
        down = {name for name, view in state.servers.items() if not view.up}
        text.append_text(jetstream_text(js, down))
    return text


def jetstream_text(js: JetStreamView, down: set[str] | frozenset[str] = frozenset()) -> Text:
    """JetStream at a glance: the meta leader, and each stream's leader and replicas; a
    replica on a server the lab knows is `down` says so (its leader reports only a lag,
    and for a while not even that it is offline)."""
    text = Text("JS ", "bold")
    text.append(
        f"meta {js.meta_leader}" if js.meta_leader else "meta: no leader",
        "cyan" if js.meta_leader else "bold red",
    )
    for name, stream in sorted(js.streams.items()):
        text.append(f"  {name} ")
        if not stream.leader:
            text.append("no leader", "bold red")
            continue
        text.append(f"★{stream.leader}", "cyan")
        for replica in stream.replicas:
            if replica.current:
                text.append(f" {replica.name}✓", "green")
            elif replica.offline or replica.name in down:
                text.append(f" {replica.name} down", "bold red")
            else:
                text.append(f" {replica.name} lag {replica.lag}", "yellow")
    return text


def jetstream_badge(name: str, js: JetStreamView) -> Text:
    """What a server leads or lags in, for its pane's header: ★meta, ★LEDGER, LEDGER lag 12."""
    text = Text()
    if name not in js.enabled:
        return text
    if js.meta_leader == name:
        text.append("  ★meta", "bold cyan")
    for stream_name, stream in sorted(js.streams.items()):
        if stream.leader == name:
            text.append(f"  ★{stream_name}", "bold cyan")
        for replica in stream.replicas:
            if replica.name == name and not replica.current:
                text.append(f"  {stream_name} lag {replica.lag}", "yellow")
    return text


class LogHighlighter(Highlighter):
    """Colours the lines of a nats-server log that a learner should notice (the log format's
    own notability rules, so the panes, the timeline and the report agree)."""

    def highlight(self, text: Text) -> None:
        style = notability(text.plain)
        if style is not None:
            text.stylize(style)


@dataclass(frozen=True)
class LogSearch:
    """The lines of a server's log that match a pattern typed by the learner."""

    matches: list[str]
    total: int
    searched: int
    error: str | None = None
    pattern: re.Pattern[str] | None = None

    @classmethod
    def run(cls, lines: list[str], typed: str, limit: int = 1000) -> LogSearch:
        """Case-insensitive regular expression; a bad one is an error, not an exception."""
        if not typed:
            return cls([], 0, len(lines))
        try:
            pattern = re.compile(typed, re.IGNORECASE)
        except re.error as exc:
            return cls([], 0, len(lines), f"not a valid pattern: {exc}")
        found = [line for line in lines if pattern.search(line)]
        return cls(found[-limit:], len(found), len(lines), None, pattern)

    def summary(self) -> str:
        if self.error:
            return self.error
        shown = f", the last {len(self.matches)} shown" if self.total > len(self.matches) else ""
        return f"{counted(self.total, 'matching line')} of {self.searched}{shown}"


class MatchHighlighter(LogHighlighter):
    """The log's own colours, with every match of the search pattern reversed on top."""

    def __init__(self, pattern: re.Pattern[str] | None) -> None:
        self.pattern = pattern

    def highlight(self, text: Text) -> None:
        super().highlight(text)
        if self.pattern is not None:
            text.highlight_regex(self.pattern, "reverse bold")


class CountHistory:
    """Clients per server, sampled once a second, for the live chart beside the client panel."""

    def __init__(self, length: int = 120, every: float = 1.0) -> None:
        self.length = length
        self.every = every
        self.series: dict[str, deque[int]] = {}
        self._last = 0.0

    def sample(self, state: LabState, now: float) -> bool:
        """Take a sample if one is due; True when the series changed."""
        if now - self._last < self.every:
            return False
        self._last = now
        for name, count in state.client_counts().items():
            if name not in self.series:
                self.series[name] = deque([0] * self.length, maxlen=self.length)
            self.series[name].append(count)
        return True


SPARK_BARS = "▁▂▃▄▅▆▇█"
CHART_LABEL_WIDTH = 8  # "A  400 " and a space


def count_chart(history: CountHistory, width: int) -> Text:
    """One line per server: its name, its clients now, and one bar per slice of the sampled
    window (the most clients in that slice), all scaled to the busiest server. Plain text:
    Textual's Sparkline blends a colour per bar with Fraction arithmetic, and redrawing five
    of them each second was most of an idle lab's CPU (BENCHMARKS.md, issue 18)."""
    most = max((max(series) for series in history.series.values()), default=0) or 1
    text = Text()
    for name, series in history.series.items():
        values = list(series)
        count = len(values)
        columns = max(min(width - CHART_LABEL_WIDTH, count), 1)
        bars = "".join(
            SPARK_BARS[max(values[i * count // columns : (i + 1) * count // columns] or [0])
                       * (len(SPARK_BARS) - 1) // most]
            for i in range(columns)
        )  # fmt: skip
        if text:
            text.append("\n")
        text.append(f"{name} {values[-1]:>4}  ".ljust(CHART_LABEL_WIDTH), "bold")
        text.append(bars, "cyan")
    return text


LEVEL_STYLE = {
    "FTL": "bold white on red",
    "ERR": "bold red",
    "WRN": "bold yellow",
    "INF": "green",
    "DBG": "blue",
    "TRC": "dim",
}


def entry_plain(entry: FoldedEntry, raw: bool = False) -> str:
    """What `entry_text` reads, without building it: panes size every line with this."""
    parts = entry.parts
    if raw or parts is None:
        return entry.raw
    tag = parts.connection or ""
    if parts.client_name:
        tag += f" {parts.client_name}"
    return f"{parts.time} {parts.level}{' ' + tag if tag else ''} {entry.summary()}"


CITED_STYLE = "on dark_green"


def entry_text(entry: FoldedEntry, raw: bool = False, cited: bool = False) -> Text:
    """A pane's line: time, level tag, connection tag (with a client's name), the message
    coloured as notable as it is; or the raw line, as the server wrote it. A line a check
    quoted is marked."""
    text = _entry_text(entry, raw)
    if cited:
        text.stylize(CITED_STYLE)
    return text


def _entry_text(entry: FoldedEntry, raw: bool) -> Text:
    parts = entry.parts
    if raw or parts is None:
        return Text(entry.raw, notability(entry.raw) or "")
    text = Text.assemble((parts.time, "dim"), " ", (parts.level, LEVEL_STYLE.get(parts.level, "")))
    tag = parts.connection or ""
    if parts.client_name:
        tag += f" {parts.client_name}"
    if tag:
        text.append(f" {tag}", "cyan")
    text.append(f" {entry.summary()}", notability(entry.raw) or "")
    if entry.count > 1:
        text.stylize("bold", len(text) - len(entry.summary()), len(text))
    return text
