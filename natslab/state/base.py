"""LabState's data and queries: servers, clients, the mesh and the timeline."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from natslab.clients import events as cev
from natslab.cluster.jetstream import JetStreamView, cluster_view
from natslab.state.notes import Note
from natslab.state.tracked import (
    TIMELINE_LENGTH,
    ClientState,
    ClientView,
    ServerView,
    TimelineEntry,
)


class StateBase:
    """LabState's data and the queries on it; the folds are added in layers above."""

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
        self.probes: list[cev.JetStreamProbed] = []  # JetStream requests and their answers
        self.requests: list[cev.RequestsAnswered] = []  # request rounds: who answered each
        self._mesh: set[frozenset[str]] = set()
        self._nameless: dict[str, set[int]] = {}

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

    def _note(self, at: float, kind: str, note: Note, alarm: bool = False) -> None:
        self.timeline.append(TimelineEntry(at, kind, note, alarm))
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
