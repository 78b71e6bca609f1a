"""Turn one nats-server log line into a typed event, or None when the line is routine."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from natslab.cluster import events as ev

# "[3063] 2026/11/26 03:30:45.719014 [INF] Server is ready"
_PREFIX = re.compile(r"^\[\d+\] \S+ \S+ \[(?P<level>[A-Z]{3})\] (?P<text>.*)$")
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
_LOG_PREFIX = re.compile(r"^\[\d+\] \S+ \S+ ")

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
    return ev.ClientConnected(
        server=server, level=level, text=text, address=m["addr"], cid=int(m["cid"])
    )


def _client_closed(server: str, level: str, text: str, m: re.Match[str] | None) -> ev.LogEvent:
    assert m is not None
    # The quoted part is "<version>:<lang>:<name>"; the name itself may contain colons.
    info = m["info"]
    name = info.split(":", 2)[2] if info and info.count(":") >= 2 else None
    return ev.ClientClosed(
        server=server,
        level=level,
        text=text,
        address=m["addr"],
        cid=int(m["cid"]),
        client_name=name or None,
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
    lines = [line.strip() for line in lines if line.strip()]
    errors = [_LOG_PREFIX.sub("", line) for line in lines if re.search(r"\[(ERR|FTL)\]", line)]
    raw = [line for line in lines if not _LOG_PREFIX.match(line)]
    if errors:
        return errors[-1]
    if raw:
        return raw[0]
    return _LOG_PREFIX.sub("", lines[-1]) if lines else "it printed nothing"
