"""LabState: every event and snapshot folded into one model of servers, routes and clients.

Pure and synchronous: no I/O, no clock of its own (times come from the events), so it can be
driven by replaying a recorded history as easily as by live servers.

Of the events parsed from log lines, LabState folds those the polls cannot tell, or tell
late: ready, lame duck, shutting down, route dial errors, cluster-name updates and conflicts,
why a route closed, and warnings. A route coming up is left to /routez (2.10+ logs one line
per pooled connection), and client connection lines to nats-py and /connz, which say which
client it was; those two kinds are recorded in events.jsonl but not folded.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from natslab.bus import Event
from natslab.clients import events as cev
from natslab.cluster import events as sev
from natslab.cluster.jetstream import JetStreamView, cluster_view
from natslab.cluster.logformat import exit_reason
from natslab.cluster.snapshot import Connection, JetStreamStatus, ServerStatus

TIMELINE_LENGTH = 500
# What a fold returns when the event changed nothing a screen shows but gauges.
UNCHANGED = object()


class ServerState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    LAME_DUCK = "lame duck"
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
    route_errors: int = 0
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
    healthy: bool = False
    cpu_percent: float | None = None
    rss_bytes: int | None = None
    cluster_name: str = ""
    cluster_name_given: bool = False  # started with --cluster_name (else it made one up)
    started_at: float | None = None
    ready_at: float | None = None
    lame_duck_at: float | None = None
    stopped_at: float | None = None
    polled_at: float | None = None

    @property
    def up(self) -> bool:
        return self.state in (ServerState.STARTING, ServerState.RUNNING, ServerState.LAME_DUCK)


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
    loss_history: list[tuple[float, int]] = field(default_factory=list)  # (at, lost so far)
    # A JetStream ledger publisher: acknowledged and failed publishes, and its ack gaps.
    acked: int = 0
    publish_failures: int = 0
    last_ack_at: float | None = None
    publish_gaps: list[tuple[float, float, int]] = field(default_factory=list)  # start, end, failed
    verified: cev.LedgerVerified | None = None

    def lost_between(self, start: float, end: float | None = None) -> int:
        """Messages this subscriber found missing between two moments."""
        before = after = 0
        for at, lost in self.loss_history:
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


def _on_action(state: LabState, e: ActionTaken) -> None:
    said = e.detail if e.ok else f"failed: {e.detail}"
    state._note(e.at, "action", f"you: {e.title} — {said}")


@dataclass(frozen=True)
class TimelineEntry:
    at: float
    kind: str
    text: str


class LabState:
    """The single model the lessons, the headless printer and the TUI read."""

    def __init__(self, timeline_length: int = TIMELINE_LENGTH) -> None:
        self.servers: dict[str, ServerView] = {}
        self.clients: dict[str, ClientView] = {}
        self.timeline: deque[TimelineEntry] = deque(maxlen=timeline_length)
        # Fed by natslab watch: a named client's move is noted once, from the watch's fold.
        self.watching = False
        self.started_at: float | None = None
        self.noted = 0  # entries ever added, so readers can tell what is new in the deque
        # Bumped by every fold that changed what the lab knows (a poll that only refreshed
        # CPU and memory does not), so a screen can skip redrawing 2,000 unchanged rows.
        self.revision = 0
        self.last_move_at: float | None = None  # the latest client move, for the highlight
        self._mesh: set[frozenset[str]] = set()
        self._nameless: dict[str, set[int]] = {}

    # --- queries -----------------------------------------------------------------------

    def server_for_address(self, address: str) -> str | None:
        """The lab name of the server whose client port an address (host:port) uses."""
        _, _, port = address.rpartition(":")
        if not port.isdigit():
            return None
        for view in self.servers.values():
            if view.client_port == int(port):
                return view.name
        return None

    def clients_on(self, server: str) -> list[ClientView]:
        return [
            c
            for c in self.clients.values()
            if c.server == server and c.state == ClientState.CONNECTED
        ]

    def not_yet_left(self, server: str) -> list[ClientView]:
        """Clients connected to the server, or cut off from it and not yet back anywhere:
        a client still reconnecting has not left yet."""
        return [
            c
            for c in self.clients.values()
            if c.server == server and c.state in (ClientState.CONNECTED, ClientState.RECONNECTING)
        ]

    def client_counts(self) -> dict[str, int]:
        """Connected clients per server, every known server listed."""
        return {name: len(self.clients_on(name)) for name in sorted(self.servers)}

    def route_pairs(self) -> set[frozenset[str]]:
        """Server pairs with a route between them, as the latest polls saw it."""
        return set(self._mesh)

    def is_full_mesh(self, names: Iterable[str]) -> bool:
        names = list(names)
        return all(
            frozenset((a, b)) in self._mesh for i, a in enumerate(names) for b in names[i + 1 :]
        )

    def entries_since(self, noted: int) -> list[TimelineEntry]:
        """Timeline entries added after the reader last saw `noted` (bounded by the deque)."""
        fresh = min(self.noted - noted, len(self.timeline))
        return list(self.timeline)[-fresh:] if fresh > 0 else []

    def known_but_down(self, client: str) -> set[str]:
        """Servers still in a client's pool although they are not running: nats-py never
        forgets a discovered server, so it may try them again on its next reconnect."""
        view = self.clients[client]
        return {s for s in view.known_servers() if s in self.servers and not self.servers[s].up}

    @property
    def jetstream(self) -> JetStreamView:
        """Meta leader and streams, from the running servers' latest /jsz."""
        return cluster_view(
            {n: v.jetstream for n, v in self.servers.items() if v.up and v.jetstream is not None}
        )

    def lab_clients(self) -> list[ClientView]:
        return [c for c in self.clients.values() if not c.external]

    # --- folding -----------------------------------------------------------------------

    def apply(self, event: object) -> None:
        """Fold one event into the model; unknown events are ignored."""
        at = getattr(event, "at", None)
        if self.started_at is None and at is not None:
            self.started_at = at
        handler = _HANDLERS.get(type(event))
        if handler is not None and handler(self, event) is not UNCHANGED:
            self.revision += 1

    def apply_all(self, events: Iterable[object]) -> None:
        for event in events:
            self.apply(event)

    def _note(self, at: float, kind: str, text: str) -> None:
        self.timeline.append(TimelineEntry(at, kind, text))
        self.noted += 1

    def _server(self, name: str) -> ServerView:
        if name not in self.servers:
            self.servers[name] = ServerView(name)
        return self.servers[name]

    def _client(self, name: str) -> ClientView:
        if name not in self.clients:
            self.clients[name] = ClientView(name)
        return self.clients[name]

    def _resolve(self, server_name: str, address: str) -> str | None:
        """A lab name for where a client is: its INFO name if the lab knows it, else the port."""
        if server_name in self.servers:
            return server_name
        return self.server_for_address(address) or (server_name or None)

    # server events

    def _on_started(self, e: sev.ServerStarted) -> None:
        view = self._server(e.server)
        view.previous_version = view.version
        view.state = ServerState.STARTING
        view.varz_version, view.routed_at = "", None
        view.pid, view.version, view.binary = e.pid, e.version, e.binary
        view.client_port, view.cluster_port = e.client_port, e.cluster_port
        view.monitor_port = e.monitor_port
        view.exit_code, view.started_at, view.ready_at = None, e.at, None
        view.lame_duck_at = view.stopped_at = None
        view.route_errors, view.healthy = 0, False
        view.name_conflicts, view.last_route_closed, view.warnings = 0, "", 0
        view.cluster_name_given = "--cluster_name" in e.argv
        view.shutting_down_at = None
        view.trapped_signal = view.stopped_from_outside = ""
        self._note(e.at, "server", f"{e.server} started (pid {e.pid}, nats-server {e.version})")
        self._name_gossiped_addresses(e.server, e.client_port, e.at)

    def _name_gossiped_addresses(self, server: str, port: int, at: float) -> None:
        """Gossip can outrun the start event: a new server's routes come up, and its URL
        reaches clients, tens of milliseconds after the process starts, which on a loaded
        machine is before ServerStarted is published. Addresses a client learned on this
        port while the lab had no name for it are named now."""
        suffix = f":{port}"
        for client in self.clients.values():
            named = [
                k for k in client.known.values() if k.server is None and k.address.endswith(suffix)
            ]
            for known in named:
                known.server = server
            if any(k.via_gossip for k in named) and server not in client.seeded_servers():
                self._note(at, "gossip", f"{client.name} learned {server} by gossip")

    def _on_ready(self, e: sev.ServerReady) -> None:
        view = self._server(e.server)
        if view.state == ServerState.STARTING:
            view.state = ServerState.RUNNING
        view.ready_at = e.at
        self._note(e.at, "server", f"{e.server} is ready")

    def _on_lame_duck(self, e: sev.LameDuckEntered) -> None:
        view = self._server(e.server)
        view.state, view.lame_duck_at = ServerState.LAME_DUCK, e.at
        self._note(e.at, "lame duck", f"{e.server} entered lame duck mode")

    def _on_exited(self, e: sev.ServerExited) -> None:
        view = self._server(e.server)
        outside = "" if e.expected else _outside_stop(view.trapped_signal, e.returncode)
        view.stopped_from_outside = outside
        stopped = e.expected or bool(outside)
        view.state = ServerState.STOPPED if stopped else ServerState.CRASHED
        view.exit_code, view.stopped_at = e.returncode, e.at
        how = "stopped" if e.expected else "exited unexpectedly"
        if outside:
            how = f"stopped on {outside}, which natslab did not send"
        last = f": {exit_reason(e.last_lines)}" if e.last_lines and not stopped else ""
        self._gone(view, e.at)
        self._note(e.at, "server", f"{e.server} {how} (exit code {e.returncode}){last}")

    def _gone(self, view: ServerView, at: float) -> None:
        """A server no longer serving: it has no peers, clients or gauges, and is no one's
        peer; the clients natslab only saw there are gone with it."""
        view.route_peers, view.connections, view.healthy = frozenset(), (), False
        view.jetstream = None
        view.cpu_percent = view.rss_bytes = None
        for other in self.servers.values():
            other.route_peers = other.route_peers - {view.name}
        self._set_mesh(at)
        for client in self.clients.values():
            if client.external and client.server == view.name:
                client.state = ClientState.CLOSED

    def _on_watched_up(self, e: sev.WatchedServerUp) -> None:
        """A server natslab did not start answers, for the first time or again."""
        view = self._server(e.server)
        view.watched, view.version, view.state = e.url, e.version, ServerState.RUNNING
        view.started_at = view.ready_at = e.at
        view.stopped_at = view.lame_duck_at = view.exit_code = None
        _on_watched(self, e)

    def _on_watched_down(self, e: sev.WatchedServerDown) -> None:
        """A watched server stopped answering: all anyone knows is that (no exit code)."""
        view = self.servers.get(e.server)  # never seen: named by its URL, no pane for it
        if view is not None and view.up:
            view.state, view.stopped_at = ServerState.STOPPED, e.at
            self._gone(view, e.at)
        _on_watched(self, e)

    def _on_route_error(self, e: sev.RouteConnectError) -> None:
        self._server(e.server).route_errors += 1

    def _on_name_conflict(self, e: sev.ClusterNameConflict) -> None:
        view = self._server(e.server)
        view.name_conflicts += 1
        if view.name_conflicts == 1 and not view.cluster_name_given:  # why, once a server
            self._note(
                e.at,
                "route",
                f"{e.server} turned away a route over the cluster name: started without "
                "--cluster_name, each server made a name up; the route is dialled again a second "
                "later, once one side has taken the other's name",
            )

    def _on_route_closed(self, e: sev.RouteClosed) -> None:
        remote = f" (remote {e.remote})" if e.remote else ""
        self._server(e.server).last_route_closed = f"{e.reason}{remote}"

    def _on_trapped(self, e: sev.SignalTrapped) -> None:
        self._server(e.server).trapped_signal = e.signal

    def _on_meta_leader(self, e: sev.MetaLeaderChanged) -> None:
        self._note(e.at, "jetstream", e.describe())

    def _on_stream_leader(self, e: sev.StreamLeaderChanged) -> None:
        self._note(e.at, "jetstream", e.describe())

    def _on_replica(self, e: sev.ReplicaChanged) -> None:
        self._note(e.at, "jetstream", e.describe())

    def _on_shutdown(self, e: sev.ShutdownStarted) -> None:
        self._server(e.server).shutting_down_at = e.at

    def _on_problem(self, e: sev.LogProblem) -> None:
        self._server(e.server).warnings += 1

    def _on_name_updated(self, e: sev.ClusterNameUpdated) -> None:
        self._server(e.server).cluster_name = e.cluster_name
        self._note(e.at, "cluster", f"{e.server} took the cluster name {e.cluster_name}")

    def _on_polled(self, e: sev.ServerPolled) -> object:
        view = self._server(e.server)
        status: ServerStatus = e.status
        view.polled_at = e.at
        if not status.up or not view.up:
            return UNCHANGED  # a late answer from a server that has since stopped
        before = (self._polled_facts(view), self.noted, len(self.clients))
        view.version = status.version or view.version
        view.varz_version = status.version or view.varz_version
        view.route_peers = status.peer_names
        view.connections = status.connections
        view.healthy = status.healthy
        view.jetstream = status.jetstream
        view.cpu_percent, view.rss_bytes = status.cpu_percent, status.rss_bytes
        view.cluster_name = status.cluster_name or view.cluster_name
        if view.state == ServerState.STARTING and status.healthy:
            view.state = ServerState.RUNNING
        self._set_mesh(e.at)
        self._cross_check_connz(e.server, status.connections, e.at)
        after = (self._polled_facts(view), self.noted, len(self.clients))
        return UNCHANGED if after == before else None

    def _polled_facts(self, view: ServerView) -> tuple[object, ...]:
        """What a poll can change besides the gauges; the same again means nothing new."""
        return (
            view.version,
            view.varz_version,
            view.route_peers,
            view.connections,
            view.healthy,
            view.jetstream,
            view.cluster_name,
            view.state,
            frozenset(self._mesh),
        )

    def _set_mesh(self, at: float) -> None:
        mesh = {
            frozenset((name, peer))
            for name, view in self.servers.items()
            for peer in view.route_peers
            if peer in self.servers and self.servers[peer].up
        }
        for pair in sorted(mesh - self._mesh, key=sorted):
            self._note(at, "route", "route {} up".format("-".join(sorted(pair))))
            for name in pair:
                view = self.servers[name]
                view.routed_at = view.routed_at or at
        for pair in sorted(self._mesh - mesh, key=sorted):
            self._note(at, "route", "route {} down".format("-".join(sorted(pair))))
        self._mesh = mesh

    def _cross_check_connz(self, server: str, conns: tuple[Connection, ...], at: float) -> None:
        """connz confirms where lab clients are, and is the only source for external ones."""
        listed: set[str] = set()
        nameless_before = self._nameless.get(server, set())
        self._nameless[server] = {c.cid for c in conns if not c.name}
        for conn in conns:
            lab = self.clients.get(conn.name)
            if lab is not None and not lab.external:
                lab.seen_in_connz_on = server
                continue
            if not conn.name and conn.cid not in nameless_before:
                # A connection caught before its CONNECT (lab clients included) has no name
                # yet; only one that stays nameless across two polls is an external client.
                continue
            key = conn.name or f"cid:{conn.cid}@{server}"
            listed.add(key)
            ext = self.clients.get(key)
            if ext is None:
                ext = self.clients[key] = ClientView(key, kind="external", external=True)
                self._note(at, "client", f"external client {key} seen on {server}")
            elif ext.server != server and ext.server is not None:
                ext.previous_server, ext.moved_at = ext.server, at
                self.last_move_at = at
                ext.reconnects += 1
                if not (self.watching and conn.name):  # the watch notes it, with its gap
                    self._note(at, "move", f"external client {key} moved {ext.server} -> {server}")
            ext.state, ext.server, ext.cid = ClientState.CONNECTED, server, conn.cid
            ext.address = f"{conn.ip}:{conn.port}"
            ext.library = f"{conn.lang} {conn.version}".strip()
            ext.seen_in_connz_on = server
        for client in list(self.clients.values()):
            if client.external and client.server == server and client.name not in listed:
                client.state = ClientState.CLOSED
                if client.name.startswith("cid:"):
                    # Nameless: often a lab client caught before its CONNECT; nothing to follow.
                    del self.clients[client.name]

    # client events

    def _on_client_starting(self, e: cev.ClientStarting) -> None:
        view = self._client(e.client)
        view.kind, view.seeds, view.options = e.kind, e.seeds, dict(e.options)
        view.state = ClientState.CONNECTING

    def _learn(self, view: ClientView, e: cev.PoolEvent) -> list[str]:
        """Add new pool addresses; return the lab names learned for the first time."""
        before = view.known_servers()
        seeds = {seed.split("://", 1)[-1].rstrip("/") for seed in view.seeds}
        for address in e.pool:
            if address not in view.known:
                view.known[address] = KnownServer(
                    address=address,
                    server=self.server_for_address(address),
                    learned_at=e.at,
                    via_gossip=address in e.discovered and address not in seeds,
                )
        return sorted(view.known_servers() - before)

    def _on_client_connected(self, e: cev.ClientConnected) -> None:
        view = self._client(e.client)
        view.state, view.connected_at, view.placed_at = ClientState.CONNECTED, e.at, e.at
        self._place(view, e.server_name, e.url, e.client_id)
        self._learn(view, e)
        self._note(e.at, "client", f"{e.client} connected to {view.server}")

    def _place(self, view: ClientView, server_name: str, url: str, cid: int | None) -> None:
        view.server, view.address, view.cid = self._resolve(server_name, url), url, cid

    def _on_client_disconnected(self, e: cev.ClientDisconnected) -> None:
        view = self._client(e.client)
        view.state = ClientState.RECONNECTING
        view.last_tenure = e.at - view.placed_at if view.placed_at is not None else None
        self._note(e.at, "client", f"{e.client} disconnected from {view.server}")

    def _on_client_reconnected(self, e: cev.ClientReconnected) -> None:
        view = self._client(e.client)
        before = view.server
        view.state, view.placed_at = ClientState.CONNECTED, e.at
        self._place(view, e.server_name, e.url, e.client_id)
        view.reconnects += 1
        view.last_gap_ms = e.gap_ms
        view.since_reconnect = 0
        self._learn(view, e)
        gap = f" after {e.gap_ms:.0f} ms" if e.gap_ms is not None else ""
        if view.server != before:
            view.previous_server, view.moved_at = before, e.at
            self.last_move_at = e.at
            self._note(e.at, "move", f"{e.client} moved {before} -> {view.server}{gap}")
        else:
            self._note(e.at, "client", f"{e.client} reconnected to {view.server}{gap}")

    def _on_discovered(self, e: cev.ServersDiscovered) -> None:
        view = self._client(e.client)
        for name in self._learn(view, e):
            self._note(e.at, "gossip", f"{e.client} learned {name} by gossip")

    def _on_lame_duck_notice(self, e: cev.LameDuckNotice) -> None:
        view = self._client(e.client)
        view.lame_duck_notices += 1
        action = "moving away" if e.honored else "staying until the server closes it"
        self._note(
            e.at, "lame duck", f"{e.client} got a lame duck notice from {view.server}; {action}"
        )

    def _on_client_closed(self, e: cev.ClientClosed) -> None:
        view = self._client(e.client)
        view.state = ClientState.CLOSED
        self._note(e.at, "client", f"{e.client} closed: {e.reason}")

    def _on_client_error(self, e: cev.ClientError) -> None:
        view = self._client(e.client)
        view.errors += 1
        view.last_error = e.message
        if e.message in view.error_kinds or len(view.error_kinds) < 20:
            view.error_kinds[e.message] = view.error_kinds.get(e.message, 0) + 1

    def _on_counts(self, e: cev.MessageCounts) -> None:
        view = self._client(e.client)
        if e.lost != view.lost:
            view.loss_history.append((e.at, e.lost))
        view.received, view.lost, view.published = e.received, e.lost, e.published
        view.since_reconnect = e.since_reconnect


# Signals a server dies of without logging them (SIGKILL cannot be trapped).
_SIGNAL_NAMES = {9: "SIGKILL", 15: "SIGTERM", 2: "SIGINT"}


def _outside_stop(trapped: str, returncode: int) -> str:
    """How an exit natslab did not ask for came about, when it was a stop and not a crash:
    a signal the server logged trapping (then exit code 0), or one that killed it outright."""
    if trapped and returncode == 0:
        return f'the "{trapped}" signal'
    return _SIGNAL_NAMES.get(-returncode, "")  # others (SIGSEGV, SIGABRT) are crashes


def _on_ledger_counts(state: LabState, e: cev.LedgerCounts) -> None:
    view = state._client(e.client)
    view.acked, view.publish_failures, view.last_ack_at = e.acked, e.failed, e.last_ack_at


NOTED_GAP = 0.25  # publish gaps this long, or with failures, go on the timeline too


def _on_publish_gap(state: LabState, e: cev.PublishGap) -> None:
    state._client(e.client).publish_gaps.append((e.start, e.at, e.failed))
    if e.at - e.start < NOTED_GAP and not e.failed:
        return
    state._note(
        e.at, "ledger", f"{e.client}: {e.at - e.start:.2f} s without an ack ({e.failed} failed)"
    )


def _on_verified(state: LabState, e: cev.LedgerVerified) -> None:
    state._client(e.client).verified = e
    state._note(
        e.at,
        "ledger",
        f"{e.client} verified: {e.acked} acked, {e.missing} missing from {e.stream}, "
        f"{e.duplicates} duplicates",
    )


def _on_watched(state: LabState, e: sev.WatchChange) -> None:
    state.watching = True
    state._note(getattr(e, "at", 0.0), "watch", e.describe())


_HANDLERS: dict[type, Callable[[LabState, Any], object]] = {
    sev.ServerStarted: LabState._on_started,
    sev.ServerReady: LabState._on_ready,
    sev.LameDuckEntered: LabState._on_lame_duck,
    sev.ServerExited: LabState._on_exited,
    sev.RouteConnectError: LabState._on_route_error,
    sev.ClusterNameUpdated: LabState._on_name_updated,
    sev.ClusterNameConflict: LabState._on_name_conflict,
    sev.RouteClosed: LabState._on_route_closed,
    sev.ShutdownStarted: LabState._on_shutdown,
    sev.SignalTrapped: LabState._on_trapped,
    sev.MetaLeaderChanged: LabState._on_meta_leader,
    sev.StreamLeaderChanged: LabState._on_stream_leader,
    sev.ReplicaChanged: LabState._on_replica,
    sev.LogProblem: LabState._on_problem,
    sev.ServerPolled: LabState._on_polled,
    cev.ClientStarting: LabState._on_client_starting,
    cev.ClientConnected: LabState._on_client_connected,
    cev.ClientDisconnected: LabState._on_client_disconnected,
    cev.ClientReconnected: LabState._on_client_reconnected,
    cev.ServersDiscovered: LabState._on_discovered,
    cev.LameDuckNotice: LabState._on_lame_duck_notice,
    cev.ClientClosed: LabState._on_client_closed,
    cev.ClientError: LabState._on_client_error,
    cev.MessageCounts: LabState._on_counts,
    cev.LedgerCounts: _on_ledger_counts,
    cev.PublishGap: _on_publish_gap,
    cev.LedgerVerified: _on_verified,
    sev.WatchedServerDown: LabState._on_watched_down,
    sev.WatchedServerUp: LabState._on_watched_up,
    sev.WatchedVersionChanged: _on_watched,
    sev.WatchedHealthChanged: _on_watched,
    sev.WatchedClientMoved: _on_watched,
    ActionTaken: _on_action,
}
