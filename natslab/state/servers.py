"""Folds of servers and routes: what their processes, logs and polls say."""

from __future__ import annotations

from natslab.cluster import events as sev
from natslab.cluster.logformat import exit_reason
from natslab.cluster.snapshot import ServerStatus
from natslab.state import notes as n
from natslab.state.crosscheck import CrossCheck
from natslab.state.tracked import UNCHANGED, ClientState, ServerState, ServerView


class ServerFolds(CrossCheck):
    """Servers and routes: started, ready, lame duck, exited, polled, and the mesh."""

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
        view.healthy = False
        view.name_conflicts, view.last_route_closed, view.warnings = 0, "", 0
        view.cluster_name_given = "--cluster_name" in e.argv
        view.renamed_to = ""
        view.shutting_down_at = None
        view.trapped_signal = view.stopped_from_outside = ""
        self._note(e.at, "server", n.StartedNote(e.server, e.pid, e.version))
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
                self._note(at, "gossip", n.LearnedByGossipNote(client.name, server))

    def _on_ready(self, e: sev.ServerReady) -> None:
        view = self._server(e.server)
        if view.state == ServerState.STARTING:
            view.state = ServerState.RUNNING
        view.ready_at = e.at
        self._note(e.at, "server", n.ReadyNote(e.server))

    def _on_lame_duck(self, e: sev.LameDuckEntered) -> None:
        view = self._server(e.server)
        view.state, view.lame_duck_at = ServerState.LAME_DUCK, e.at
        self._note(e.at, "lame duck", n.EnteredLameDuckNote(e.server))

    def _on_reloaded(self, e: sev.ConfigReloaded) -> None:
        view = self._server(e.server)
        view.reloaded_at, view.reload_said = e.at, f"[{e.level}] {e.text}"

    def _on_paused(self, e: sev.ServerPaused) -> None:
        view = self._server(e.server)
        if e.paused and view.up:
            view.state = ServerState.PAUSED
        elif not e.paused and view.state == ServerState.PAUSED:
            view.state = ServerState.RUNNING

    def _on_exited(self, e: sev.ServerExited) -> None:
        view = self._server(e.server)
        outside = "" if e.expected else _outside_stop(view.trapped_signal, e.returncode)
        view.stopped_from_outside = outside
        stopped = e.expected or bool(outside)
        view.state = ServerState.STOPPED if stopped else ServerState.CRASHED
        view.exit_code, view.stopped_at = e.returncode, e.at
        last = exit_reason(e.last_lines) if e.last_lines and not stopped else ""
        self._gone(view, e.at)
        note = n.ExitedNote(e.server, e.returncode, e.expected, outside, last)
        self._note(e.at, "server", note, alarm=not stopped)

    def _gone(self, view: ServerView, at: float) -> None:
        """A server no longer serving: it has no peers, clients or gauges, and is no one's
        peer; the clients natslab only saw there are gone with it."""
        view.route_peers, view.connections, view.healthy = frozenset(), (), False
        view.leaf_peers = view.gateway_peers = frozenset()
        view.jetstream = None
        view.cpu_percent = view.rss_bytes = None
        for other in self.servers.values():
            other.route_peers = other.route_peers - {view.name}
        self._set_mesh(at)
        for client in self.clients.values():
            if client.external and client.server == view.name:
                client.state = ClientState.CLOSED

    def _on_name_conflict(self, e: sev.ClusterNameConflict) -> None:
        view = self._server(e.server)
        view.name_conflicts += 1
        if view.name_conflicts == 1 and not view.cluster_name_given:  # why, once a server
            self._note(e.at, "route", n.NameConflictNote(e.server))

    def _on_route_connected(self, e: sev.RouteConnected) -> None:
        # The server's own word, read as it logs it: /routez, polled, can tell it later than a
        # client learns of the server through that very route (a newcomer's upgrade run).
        view = self._server(e.server)
        view.routed_at = view.routed_at or e.at

    def _on_route_closed(self, e: sev.RouteClosed) -> None:
        remote = f" (remote {e.remote})" if e.remote else ""
        self._server(e.server).last_route_closed = f"{e.reason}{remote}"

    def _on_trapped(self, e: sev.SignalTrapped) -> None:
        self._server(e.server).trapped_signal = e.signal

    def _on_shutdown(self, e: sev.ShutdownStarted) -> None:
        self._server(e.server).shutting_down_at = e.at

    def _on_problem(self, e: sev.LogProblem) -> None:
        self._server(e.server).warnings += 1

    def _on_name_updated(self, e: sev.ClusterNameUpdated) -> None:
        view = self._server(e.server)
        view.cluster_name = view.renamed_to = e.cluster_name
        self._note(e.at, "cluster", n.NameTakenNote(e.server, e.cluster_name))

    def _on_polled(self, e: sev.ServerPolled) -> object:
        view = self._server(e.server)
        status: ServerStatus = e.status
        if not status.up or not view.up:
            return UNCHANGED  # a late answer from a server that has since stopped
        before = (self._polled_facts(view), self.noted, len(self.clients))
        view.version = status.version or view.version
        view.varz_version = status.version or view.varz_version
        view.route_peers = status.peer_names
        view.leaf_peers = frozenset(status.leaf_peers)
        view.gateway_peers = frozenset(status.gateway_peers)
        view.connections = status.connections
        view.healthy, view.health_error = status.healthy, status.health_error
        view.jetstream, view.jetstream_at = status.jetstream, status.at
        view.cpu_percent, view.rss_bytes = status.cpu_percent, status.rss_bytes
        view.cluster_name = view.renamed_to or status.cluster_name or view.cluster_name
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
            view.leaf_peers,
            view.gateway_peers,
            view.connections,
            view.healthy,
            view.health_error,
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
            self._note(at, "route", n.RouteNote(tuple(sorted(pair)), up=True))
            for name in pair:
                view = self.servers[name]
                view.routed_at = view.routed_at or at
        for pair in sorted(self._mesh - mesh, key=sorted):
            self._note(at, "route", n.RouteNote(tuple(sorted(pair)), up=False))
        self._mesh = mesh


# Signals a server dies of without logging them (SIGKILL cannot be trapped).
_SIGNAL_NAMES = {9: "SIGKILL", 15: "SIGTERM", 2: "SIGINT"}


def _outside_stop(trapped: str, returncode: int) -> str:
    """How an exit natslab did not ask for came about, when it was a stop and not a crash:
    a signal the server logged trapping (then exit code 0), or one that killed it outright."""
    if trapped and returncode == 0:
        return f'the "{trapped}" signal'
    return _SIGNAL_NAMES.get(-returncode, "")  # others (SIGSEGV, SIGABRT) are crashes
