"""Typed events the cluster layer emits: process lifecycle, log batches and parsed log lines."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from natslab.bus import Event
from natslab.cluster.snapshot import ServerStatus
from natslab.words import unless_said


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterEvent(Event):
    """Something that happened to one server."""

    server: str
    at: float = field(default_factory=time.time)


# --- process lifecycle -------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerStarted(ClusterEvent):
    pid: int
    argv: tuple[str, ...]
    binary: Path
    version: str
    client_port: int
    cluster_port: int
    monitor_port: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerPaused(ClusterEvent):
    """natslab froze the process (SIGSTOP, `paused`) or let it run on (SIGCONT)."""

    paused: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerExited(ClusterEvent):
    """The process ended; `expected` is False when natslab did not ask it to."""

    returncode: int
    expected: bool
    last_lines: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LogLines(ClusterEvent):
    """A batch of raw lines, in order, as read from the server's stderr."""

    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerPolled(ClusterEvent):
    """A fresh snapshot from the monitoring endpoints and psutil."""

    status: ServerStatus


# --- parsed log lines --------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class LogEvent(ClusterEvent):
    """A log line that means something; `level` is INF/DBG/WRN/ERR/FTL, `text` the message."""

    level: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ServerReady(LogEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteConnected(LogEvent):
    address: str
    rid: int


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteClosed(LogEvent):
    """`remote` is the peer's server name when the server logged it (2.10+)."""

    address: str
    rid: int
    reason: str
    remote: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class RouteConnectError(LogEvent):
    """`attempt` is None for servers that print the older wording without a count."""

    target: str
    attempt: int | None
    error: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConnectionCreated(LogEvent):
    """`Client connection created`: the server accepted a client (any client, not only ours)."""

    address: str
    cid: int


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConnectionClosed(LogEvent):
    """`Client connection closed`; `client_name` is the name the client gave, if any."""

    address: str
    cid: int
    client_name: str | None
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterNameConflict(LogEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigReloaded(LogEvent):
    """The server's verdict on a reload (reload.go applyOptions, or signal.go's refusal)."""

    refused: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class ClusterNameUpdated(LogEvent):
    cluster_name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LameDuckEntered(LogEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class ShutdownStarted(LogEvent):
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class SignalTrapped(LogEvent):
    """`Trapped "interrupt" signal`: the server received a signal, from natslab or anyone."""

    signal: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LogProblem(LogEvent):
    """A warning or error line that no more specific event describes."""


# --- JetStream, from successive /jsz polls (lab/jetstream_watch.py) --------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class MetaLeaderChanged(ClusterEvent):
    """The JetStream meta leader changed; `server` is the new one ("" while none leads)."""

    previous: str

    def describe(self) -> str:
        now = f"JetStream meta leader: {self.server}" if self.server else "no JetStream meta leader"
        return now + (f" (was {self.previous})" if self.previous else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamLeaderChanged(ClusterEvent):
    """A stream's leader changed; `server` is the new one ("" while none leads)."""

    stream: str
    previous: str

    def describe(self) -> str:
        now = (
            f"stream {self.stream} leader: {self.server}"
            if self.server
            else (f"stream {self.stream}: no leader")
        )
        return now + (f" (was {self.previous})" if self.previous else "")


@dataclass(frozen=True, slots=True, kw_only=True)
class ReplicaChanged(ClusterEvent):
    """A stream replica (`server`) fell behind its leader, or caught up."""

    stream: str
    current: bool
    lag: int

    def describe(self) -> str:
        how = "is current again" if self.current else f"is behind by {self.lag}"
        return f"{self.stream} replica on {self.server} {how}"


# JetStream's changes, as the lab and the watch both report them.
JetStreamChange = MetaLeaderChanged | StreamLeaderChanged | ReplicaChanged


# --- natslab watch: what polls of someone else's servers showed -----------------------------


class WatchChange:
    """A change `natslab watch` saw; `describe` is its line on screen and in the report."""

    __slots__ = ()
    server: str  # the fields every watch event has, as a ClusterEvent
    at: float

    def describe(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchedServerDown(WatchChange, ClusterEvent):
    """A watched server stopped answering its monitoring port (`server` is its name as last
    seen, or its URL); `error` says how."""

    url: str
    error: str

    def describe(self) -> str:
        return f"{self.server} is down: {unless_said(self.server, self.error)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchedServerUp(WatchChange, ClusterEvent):
    """A watched server answers (again); `down_for` is how long it did not (0 the first time)."""

    url: str
    version: str
    down_for: float = 0.0

    def describe(self) -> str:
        if self.down_for:
            return f"{self.server} is back after {self.down_for:.1f} s (nats-server {self.version})"
        return f"{self.server} answers at {self.url} (nats-server {self.version})"


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchedVersionChanged(WatchChange, ClusterEvent):
    previous: str
    version: str

    def describe(self) -> str:
        return f"{self.server} now runs nats-server {self.version} (was {self.previous})"


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchedLameDuckAnnounced(WatchChange, ClusterEvent):
    """The server said itself that it entered lame duck mode: nats-server publishes
    $SYS.SERVER.<id>.LAMEDUCK as it closes its client listener (server/server.go
    `lameDuckMode` -> server/events.go `sendLDMShutdownEventLocked`, 2.10.0 on). Only a
    watch through the system account hears it; over HTTP it is inferred from /healthz."""

    server_id: str

    def describe(self) -> str:
        return (
            f"{self.server} announced lame duck mode ($SYS.SERVER.{self.server_id[:8]}…"
            ".LAMEDUCK): it takes no new clients and will close the ones it has"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchedHealthChanged(WatchChange, ClusterEvent):
    healthy: bool
    detail: str = ""
    jetstream: bool = False  # its /healthz also holds every replica it has to be current

    @property
    def listener_closed(self) -> bool:
        """/healthz's error when the client listener is not accepting (server.go
        readyForConnections) while /varz still answers. The watch only reports a change of
        health for the process it saw serving (a new server id is a restart), so this is not
        a server still starting: it is lame duck mode, which closes the listener first, or a
        server on its way down."""
        return not self.healthy and "ready for connections" in self.detail

    def describe(self) -> str:
        state = "200 ok" if self.healthy else f"unhealthy ({self.detail or 'no detail'})"
        if self.healthy and self.jetstream:  # monitor.go healthz checks every replica too
            state += ": healthy and every replica current"
        if self.listener_closed:
            state += (
                ": it was serving and its client port is now closed while it still answers"
                " (lame duck mode, or on its way down)"
            )
        return f"{self.server} /healthz: {state}"


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchedClientSeen(ClusterEvent):
    """A named client the watch found on `server`, first or after it went missing there.
    No line of its own (a big cluster has thousands): a report draws its lane from these."""

    client: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchedClientMissing(ClusterEvent):
    """A named client no server listed any more; `server` is where it was last seen."""

    client: str


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchedClientMoved(WatchChange, ClusterEvent):
    """A named client left `previous` and showed up on `server`; `gap` is the time between
    the last poll that saw it on one and the first that saw it on the other."""

    client: str
    previous: str
    gap: float

    def describe(self) -> str:
        return (
            f"{self.client} moved {self.previous} -> {self.server} "
            f"(unseen for {self.gap * 1000:.0f} ms between polls)"
        )
