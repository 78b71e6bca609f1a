"""What LabState holds: a view of each server and client, and the timeline's entries."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from natslab.bus import Event
from natslab.clients import events as cev
from natslab.cluster.snapshot import Connection, JetStreamStatus
from natslab.state.notes import Note

TIMELINE_LENGTH = 500

# What a fold returns when the event changed nothing a screen shows but gauges.
UNCHANGED = object()


class ServerState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    LAME_DUCK = "lame duck"
    PAUSED = "paused"  # SIGSTOPped by natslab: alive, sockets open, answering nothing
    STOPPED = "stopped"
    CRASHED = "crashed"


class ClientState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"
    CLOSED = "closed"


@dataclass
class ServerView:
    """One server as the lab knows it."""

    name: str
    state: ServerState = ServerState.STARTING
    pid: int | None = None
    # Where a server natslab did not start answers (natslab watch); "" for the lab's own.
    watched: str = ""
    version: str = ""
    binary: Path | None = None
    client_port: int | None = None
    cluster_port: int | None = None
    monitor_port: int | None = None
    exit_code: int | None = None
    route_peers: frozenset[str] = frozenset()
    leaf_peers: frozenset[str] = frozenset()  # the far ends of its leaf node connections
    gateway_peers: frozenset[str] = frozenset()  # the clusters its gateways reach
    varz_version: str = ""  # what the running process says in /varz; "" until polled
    previous_version: str = ""  # the version of this server's previous process, if any
    routed_at: float | None = None  # when this process first had a route peer
    name_conflicts: int = 0
    last_route_closed: str = ""
    warnings: int = 0
    shutting_down_at: float | None = None
    trapped_signal: str = ""  # the last signal this process logged that it trapped
    stopped_from_outside: str = ""  # how a stop natslab did not ask for came, e.g. "interrupt"
    connections: tuple[Connection, ...] = ()
    jetstream: JetStreamStatus | None = None  # the latest /jsz, for servers with JetStream
    jetstream_at: float = 0.0  # when that /jsz was asked for
    healthy: bool = False
    health_error: str = ""  # what /healthz said when it did not answer 200
    cpu_percent: float | None = None
    rss_bytes: int | None = None
    cluster_name: str = ""
    cluster_name_given: bool = False  # started with --cluster_name (else it made one up)
    # The name it took from another server, as its log said. /varz keeps the name it had when
    # /varz was first asked (monitor.go caches the Varz from createVarz, and
    # updateVarzConfigReloadableFields never refreshes Cluster.Name), so the log wins.
    renamed_to: str = ""
    reloaded_at: float | None = None  # the server's latest verdict on a reload, and when
    reload_said: str = ""
    started_at: float | None = None
    ready_at: float | None = None
    lame_duck_at: float | None = None
    stopped_at: float | None = None

    @property
    def up(self) -> bool:
        return self.state in (
            ServerState.STARTING,
            ServerState.RUNNING,
            ServerState.LAME_DUCK,
            ServerState.PAUSED,
        )


@dataclass
class KnownServer:
    """One address in a client's pool, mapped to a lab server name where possible."""

    address: str
    server: str | None
    learned_at: float
    via_gossip: bool


@dataclass
class ClientView:
    """One client: where it is, what it knows, what it lost."""

    name: str
    kind: str = "client"
    external: bool = False
    library: str = ""  # an external client's language and version, as /connz lists them
    state: ClientState = ClientState.CONNECTING
    server: str | None = None
    address: str = ""
    cid: int | None = None
    seeds: tuple[str, ...] = ()
    options: dict[str, object] = field(default_factory=dict)
    known: dict[str, KnownServer] = field(default_factory=dict)
    connected_at: float | None = None
    reconnects: int = 0
    dropped_at: list[float] = field(default_factory=list)  # each loss of its server, when
    last_gap_ms: float | None = None
    previous_server: str | None = None
    moved_at: float | None = None
    received: int = 0
    lost: int = 0
    published: int = 0
    since_reconnect: int = 0
    lame_duck_notices: int = 0
    errors: int = 0
    last_error: str = ""
    error_kinds: dict[str, int] = field(default_factory=dict)
    seen_in_connz_on: str | None = None
    placed_at: float | None = None  # when it last connected or reconnected
    last_tenure: float | None = None  # how long it had been on the server it last lost
    # (found at, lost so far, when that loss began): found at the next message after a gap.
    loss_history: list[tuple[float, int, float]] = field(default_factory=list)
    # A JetStream ledger publisher: acknowledged and failed publishes, and its ack gaps.
    acked: int = 0
    publish_failures: int = 0
    failed_at_last_ack: int = 0  # more failures than this since the last ack: it is stalled
    last_ack_at: float | None = None
    publish_gaps: list[tuple[float, float, int]] = field(default_factory=list)  # start, end, failed
    verified: cev.LedgerVerified | None = None

    def lost_between(self, start: float, end: float | None = None, began: bool = False) -> int:
        """Messages this subscriber found missing between two moments; or, with `began`,
        the losses that began between them (wherever they were found)."""
        before = after = 0
        for found, lost, started in self.loss_history:
            at = started if began else found
            if at < start:
                before = lost
            if end is None or at < end:
                after = lost
        return max(after - before, 0)

    @property
    def settled(self) -> bool:
        """Connected, and a message has arrived since it last (re)connected: a gap shows only
        at the next message, so only then is its loss known."""
        arrived = self.since_reconnect > 0 if self.reconnects else self.received > 0
        return self.state == ClientState.CONNECTED and arrived

    def known_servers(self) -> set[str]:
        """Lab names of every server this client can reach by its pool."""
        return {k.server for k in self.known.values() if k.server}

    def seeded_servers(self) -> set[str]:
        """Servers the client knows from an address it was not told by gossip."""
        return {k.server for k in self.known.values() if k.server and not k.via_gossip}

    def learned_by_gossip(self) -> set[str]:
        """Servers the client knows only because the cluster told it, not from its seeds."""
        gossiped = {k.server for k in self.known.values() if k.server and k.via_gossip}
        return gossiped - self.seeded_servers()

    def learned_at(self, server: str) -> float | None:
        """When the client first knew any address of this server."""
        times = [k.learned_at for k in self.known.values() if k.server == server]
        return min(times) if times else None

    def duplicates(self) -> dict[str, list[str]]:
        """Servers that sit in the pool under more than one address (e.g. localhost and
        127.0.0.1): nats-py treats them as two servers when it picks where to reconnect."""
        by_server: dict[str, list[str]] = {}
        for known in self.known.values():
            if known.server:
                by_server.setdefault(known.server, []).append(known.address)
        return {name: addrs for name, addrs in by_server.items() if len(addrs) > 1}


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionTaken(Event):
    """Something the user did from the palette (a lesson's own actions are ActionDone): kept
    on the timeline and in events.jsonl, so that the report can say what caused a change."""

    title: str
    ok: bool
    detail: str
    command: str = ""
    at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True, kw_only=True)
class LessonActionNoted(Event):
    """A lesson's own action that no other note shows (a peer-remove, a reload, a cut link):
    for the timeline only; the lesson's record and the report have it as ActionDone."""

    title: str
    ok: bool
    detail: str
    at: float = field(default_factory=time.time)


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the timeline: what happened, as a typed note (present/ words it), and
    `alarm` when it went wrong (a crash), for every screen."""

    at: float
    kind: str
    note: Note
    alarm: bool = False
