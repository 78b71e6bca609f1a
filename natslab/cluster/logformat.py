"""The one owner of nats-server's log format: a line's parts, its event, and how notable it is.

Ingestion (`parse_line`), lesson checks (`message_of`), the panes (`short_line`, `notability`),
the report and early-exit sentences (`exit_reason`) all read lines through this module.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

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


def short_line(line: str) -> str:
    """A line as a pane shows it: time to the millisecond, level, text (no pid, no date)."""
    prefix = _PREFIX.match(line)  # only the prefix: panes call this for every line of a flood
    return f"{prefix['time'][:12]} [{prefix['level']}] {prefix['text']}" if prefix else line


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


def _simple(kind: type[ev.LogEvent]) -> _Builder:
    def build(server: str, level: str, text: str, _m: re.Match[str] | None) -> ev.LogEvent:
        return kind(server=server, level=level, text=text)

    return build


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
    ("Initiating Shutdown", None, _simple(ev.ShutdownStarted)),
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
