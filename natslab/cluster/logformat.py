"""The one owner of nats-server's log format: a line's parts, its event, and how notable it is.

Ingestion (`parse_line`), lesson checks (`message_of`), the panes (`LogFolder`, `notability`),
the report and early-exit sentences (`exit_reason`) all read lines through this module.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from natslab.cluster import events as ev

# "[3063] 2026/11/26 03:30:45.719014 [INF] Server is ready"
_PREFIX = re.compile(
    r"^\[(?P<pid>\d+)\] (?P<date>\S+) (?P<time>\S+) \[(?P<level>[A-Z]{3})\] (?P<text>.*)$"
)
# "127.0.0.1:48814 - cid:19 - "v2.16.0:python3:crowd-6" - Client connection closed: ..."
_CONNECTION = re.compile(
    r"^(?P<addr>\S+) - (?P<tag>(?:rid|cid|lid|gid|mid):\d+) - "
    r"(?:\"(?P<info>[^\"]*)\" - )?(?P<message>.*)$"
)
_ROUTE_CREATED = re.compile(r"^(?P<addr>\S+) - rid:(?P<rid>\d+) - Route connection created")
_ROUTE_CLOSED = re.compile(
    r"^(?P<addr>\S+) - rid:(?P<rid>\d+) - Router connection closed: "
    r"(?P<reason>.*?)(?: - Remote: (?P<remote>\S+))?$"
)
# 2.10+: "Error trying to connect to route (attempt 1): dial tcp 127.0.0.1:6333: connect: ..."
# older: "Error trying to connect to route: dial tcp localhost:6333: connect: ..."
_ROUTE_ERROR = re.compile(
    r"Error trying to connect to route(?: \(attempt (?P<attempt>\d+)\))?: (?P<error>.*)$"
)
_DIAL_TARGET = re.compile(r"dial tcp (?P<target>\S+?):? ")
_CLIENT_CREATED = re.compile(r"^(?P<addr>\S+) - cid:(?P<cid>\d+) - Client connection created")
_CLIENT_CLOSED = re.compile(
    r"^(?P<addr>\S+) - cid:(?P<cid>\d+) - (?:\"(?P<info>[^\"]*)\" - )?"
    r"Client connection closed: (?P<reason>.*)$"
)
_TRAPPED = re.compile(r'Trapped "(?P<signal>[^"]+)" signal')
_NAME_UPDATED = re.compile(r"Cluster name updated to (?P<name>\S+)")
_PROBLEM_LEVELS = frozenset({"WRN", "ERR", "FTL"})
_FATAL = frozenset({"ERR", "FTL"})


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line taken apart: `time` is HH:MM:SS.mmm; `connection` a tag such as `rid:12`,
    `client_name` the name a client gave (from the quoted "version:lang:name" part)."""

    pid: int
    time: str
    level: str
    text: str
    connection: str | None = None
    address: str | None = None
    client_name: str | None = None
    message: str = ""


def split_line(line: str) -> LogLine | None:
    """The parts of a log line, or None for output that is not a log line (usage text)."""
    prefix = _PREFIX.match(line)
    if prefix is None:
        return None
    text = prefix["text"]
    conn = _CONNECTION.match(text)
    return LogLine(
        pid=int(prefix["pid"]),
        time=prefix["time"][:12],
        level=prefix["level"],
        text=text,
        connection=conn["tag"] if conn else None,
        address=conn["addr"] if conn else None,
        client_name=_client_name(conn["info"]) if conn else None,
        message=conn["message"] if conn else text,
    )


def _client_name(info: str | None) -> str | None:
    # The quoted part is "<version>:<lang>:<name>"; the name itself may contain colons.
    name = info.split(":", 2)[2] if info and info.count(":") >= 2 else None
    return name or None


def message_of(line: str) -> str:
    """'[INF] text': a line without its pid and timestamp, as checks quote it."""
    parts = split_line(line)
    return f"[{parts.level}] {parts.text}" if parts else line


# Which lines a learner should notice, and the style each is drawn in; first match wins.
NOTABLE: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\[(ERR|FTL)\]"), "bold red"),
    (re.compile(r"lame duck", re.IGNORECASE), "bold magenta"),
    (re.compile(r"\[WRN\]"), "yellow"),
    (re.compile(r"Route connection created"), "green"),
    (re.compile(r"Router connection closed"), "dark_orange"),
    (re.compile(r"Client connection (created|closed)"), "cyan"),
    (re.compile(r"Server is ready|Server Exiting"), "bold"),
)


def notability(line: str) -> str | None:
    """The style of a notable line, or None for a routine one."""
    for pattern, style in NOTABLE:
        if pattern.search(line):
            return style
    return None


_Builder = Callable[[str, str, str, "re.Match[str] | None"], ev.LogEvent]


def _route_connected(server: str, level: str, text: str, m: re.Match[str] | None) -> ev.LogEvent:
    assert m is not None
    return ev.RouteConnected(
        server=server, level=level, text=text, address=m["addr"], rid=int(m["rid"])
    )


def _route_closed(server: str, level: str, text: str, m: re.Match[str] | None) -> ev.LogEvent:
    assert m is not None
    return ev.RouteClosed(
        server=server,
        level=level,
        text=text,
        address=m["addr"],
        rid=int(m["rid"]),
        reason=m["reason"],
        remote=m["remote"],
    )


def _route_error(server: str, level: str, text: str, m: re.Match[str] | None) -> ev.LogEvent:
    assert m is not None
    target = _DIAL_TARGET.search(m["error"])
    return ev.RouteConnectError(
        server=server,
        level=level,
        text=text,
        target=target["target"] if target else "",
        attempt=int(m["attempt"]) if m["attempt"] else None,
        error=m["error"],
    )


def _client_connected(server: str, level: str, text: str, m: re.Match[str] | None) -> ev.LogEvent:
    assert m is not None
    return ev.ClientConnectionCreated(
        server=server, level=level, text=text, address=m["addr"], cid=int(m["cid"])
    )


def _client_closed(server: str, level: str, text: str, m: re.Match[str] | None) -> ev.LogEvent:
    assert m is not None
    return ev.ClientConnectionClosed(
        server=server,
        level=level,
        text=text,
        address=m["addr"],
        cid=int(m["cid"]),
        client_name=_client_name(m["info"]),
        reason=m["reason"],
    )


def _name_updated(server: str, level: str, text: str, m: re.Match[str] | None) -> ev.LogEvent:
    assert m is not None
    return ev.ClusterNameUpdated(server=server, level=level, text=text, cluster_name=m["name"])


def _trapped(server: str, level: str, text: str, m: re.Match[str] | None) -> ev.LogEvent:
    assert m is not None
    return ev.SignalTrapped(server=server, level=level, text=text, signal=m["signal"])


def _simple(kind: type[ev.LogEvent]) -> _Builder:
    def build(server: str, level: str, text: str, _m: re.Match[str] | None) -> ev.LogEvent:
        return kind(server=server, level=level, text=text)

    return build


def _reload_refused(server: str, level: str, text: str, _m: re.Match[str] | None) -> ev.LogEvent:
    return ev.ConfigReloaded(server=server, level=level, text=text, refused=True)


# A cheap substring test guards each regex: most lines at -D/-V match none of these.
_RULES: list[tuple[str, re.Pattern[str] | None, _Builder]] = [
    ("Server is ready", None, _simple(ev.ServerReady)),
    ("Route connection created", _ROUTE_CREATED, _route_connected),
    ("Router connection closed", _ROUTE_CLOSED, _route_closed),
    ("Error trying to connect to route", _ROUTE_ERROR, _route_error),
    ("Client connection created", _CLIENT_CREATED, _client_connected),
    ("Client connection closed", _CLIENT_CLOSED, _client_closed),
    ("Cluster name updated to", _NAME_UPDATED, _name_updated),
    ("Rejecting connection, cluster name", None, _simple(ev.ClusterNameConflict)),
    ("Entering lame duck mode", None, _simple(ev.LameDuckEntered)),
    ("Reloaded server configuration", None, _simple(ev.ConfigReloaded)),
    ("Failed to reload server configuration", None, _reload_refused),
    ("Initiating Shutdown", None, _simple(ev.ShutdownStarted)),
    # server/signal.go, handleSignal: logged for every signal the server handles.
    ("Trapped", _TRAPPED, _trapped),
]


def parse_line(server: str, line: str) -> ev.LogEvent | None:
    """The event a log line stands for, or None for routine lines."""
    prefix = _PREFIX.match(line)
    if prefix is None:
        return None
    level, text = prefix["level"], prefix["text"]
    for needle, pattern, build in _RULES:
        if needle in text:
            match = pattern.search(text) if pattern else None
            if pattern is None or match is not None:
                return build(server, level, text, match)
    if level in _PROBLEM_LEVELS:
        return ev.LogProblem(server=server, level=level, text=text)
    return None


def exit_reason(lines: Iterable[str]) -> str:
    """The line that best explains an early exit: the last error, else the first raw line
    (bad flags and config errors are printed before the usage text), else the last line."""
    kept = [line.strip() for line in lines if line.strip()]
    parsed = [(line, split_line(line)) for line in kept]
    errors = [message_of(line) for line, parts in parsed if parts and parts.level in _FATAL]
    raw = [line for line, parts in parsed if parts is None]
    if errors:
        return errors[-1]
    if raw:
        return raw[0]
    return message_of(kept[-1]) if kept else "it printed nothing"


# --- folding: what a pane shows of a busy log --------------------------------------------

# Lines hidden behind a counter by default, decided from one `upgrade` run's 797 lines:
# ones that come back on a timer (70 route dials, one a second per peer that is down; 55
# ping timers) and the debug detail of every route handshake (48 "Route connect msg sent",
# 63 "Registering remote route", 23 "Sent local subscriptions", 22 reconnect notices, ...),
# which would otherwise push "Route connection created" out of a pane.
HIDDEN: tuple[tuple[str, str], ...] = (
    ("Ping Timer", "ping timers"),
    ("Trying to connect to route on", "route dials"),
    ("Route connect msg sent", "route details"),
    ("Registering remote route", "route details"),
    ("Sent local subscriptions to route", "route details"),
    ("reconnect for solicited route", "route details"),
    ("Detected duplicate remote route", "route details"),
    ("Route pool size reached", "route details"),
    ("subscriptions for account", "route details"),
)
_ATTEMPT = re.compile(r"\(attempt (\d+)\)")


@dataclass
class FoldedEntry:
    """One line of a pane: a log line, or a run of repeats of it folded into one."""

    raw: str
    parts: LogLine | None
    key: tuple[str, ...] | None
    count: int = 1
    last_time: str = ""
    attempts: tuple[int, int] | None = None
    first_raw: str = ""  # the line the entry began with, when repeats folded into it
    levels: dict[str, int] = field(default_factory=dict)  # lines folded in, by level

    def summary(self) -> str:
        """The message as a pane shows it, with its fold counter."""
        parts = self.parts
        if parts is None:
            return self.raw
        if self.key and self.key[0] == "route refused":
            attempts = ""
            if self.attempts is not None:
                first, last = self.attempts
                attempts = f", attempt {first}" if first == last else f", attempts {first}–{last}"
            # The pane shows the first line's level; a dialler logs only its first failure as
            # an error and the retries at debug level, so the counter says which were which.
            split = ""
            if len(self.levels) > 1:
                split = f" ({', '.join(f'{n} {level}' for level, n in self.levels.items())})"
            return (
                f"route to {self.key[1]} refused ×{self.count}{split}{attempts}, "
                f"last {self.last_time}"
            )
        if self.count > 1:
            return f"{parts.message} ×{self.count}, last {self.last_time}"
        return parts.message


def hidden_label(line: str) -> str | None:
    """The counter a hidden line is counted under, or None for a line that is shown."""
    for needle, label in HIDDEN:
        if needle in line:
            return label
    return None


def fold_key(parts: LogLine) -> tuple[str, ...]:
    """Lines with one key, one after another, fold into one entry: the same message from any
    connection (a pool of routes, a crowd of clients), or refused dials of one route."""
    if "Error trying to connect to route" in parts.message:
        target = _DIAL_TARGET.search(parts.message)
        return ("route refused", target["target"] if target else "")
    return (parts.level, parts.message)


class LogFolder:
    """A server's lines as a pane shows them: noise counted, not shown; repeats folded into
    the entry before them; everything when `fold` is off."""

    def __init__(self, limit: int, fold: bool = True) -> None:
        self.fold = fold
        self.entries: deque[FoldedEntry] = deque(maxlen=limit)
        self.hidden: dict[str, int] = {}
        self.added = 0  # entries ever added: a reader can tell new ones from an update

    def add(self, line: str) -> None:
        # Hidden lines are most of a busy log: count them before parsing anything.
        if self.fold and (label := hidden_label(line)) is not None:
            self.hidden[label] = self.hidden.get(label, 0) + 1
            return
        parts = split_line(line)
        key = fold_key(parts) if parts is not None else None
        attempt = _ATTEMPT.search(line) if key and key[0] == "route refused" else None
        number = int(attempt[1]) if attempt else None
        last = self.entries[-1] if self.entries else None
        time = parts.time if parts else ""
        if self.fold and last is not None and key is not None and key == last.key:
            # The entry keeps its first line's level and connection; the counter moves on.
            last.count += 1
            last.raw, last.last_time = line, time
            if parts is not None:
                last.levels[parts.level] = last.levels.get(parts.level, 0) + 1
            if number is not None and last.attempts is not None:
                last.attempts = (min(last.attempts[0], number), max(last.attempts[1], number))
            return
        attempts = (number, number) if number is not None else None
        levels = {parts.level: 1} if parts is not None else {}
        self.entries.append(FoldedEntry(line, parts, key, 1, time, attempts, line, levels))
        self.added += 1
