"""What the watched cluster looks like after each round of polls, and what changed since
the one before: servers down and up, versions, health, clients that moved, and JetStream's
leaders and replicas (as the lab reports them)."""

from __future__ import annotations

from dataclasses import dataclass, field

from natslab.bus import Event
from natslab.cluster import events as ev
from natslab.cluster.jetstream import cluster_view
from natslab.lab.jetstream_watch import JetStreamChanges
from natslab.watch.poller import Unreachable, Watched

ClientKey = tuple[str, str, str]  # name, language, version: what /connz tells of a client


@dataclass
class Seen:
    server: str
    at: float


@dataclass
class WatchView:
    """The latest answer of every URL, and where each named client was last seen."""

    servers: dict[str, Watched | Unreachable] = field(default_factory=dict)  # by ident
    names: dict[str, str] = field(default_factory=dict)  # URL -> server name, once known
    versions: dict[str, str] = field(default_factory=dict)  # URL -> the version last seen
    clients: dict[ClientKey, Seen] = field(default_factory=dict)
    missing: dict[ClientKey, Seen] = field(default_factory=dict)  # last seen there, then
    jetstream: JetStreamChanges = field(default_factory=JetStreamChanges)

    @property
    def meta_leader(self) -> str:
        return self.jetstream.last.meta_leader

    def unnamed(self) -> dict[str, int]:
        """Per server, clients without a name: they cannot be told apart, only counted."""
        return {
            s.server: sum(1 for c in s.status.connections if not c.name)
            for s in self.servers.values()
            if isinstance(s, Watched)
        }


def fold(view: WatchView, round_: list[Watched | Unreachable], now: float) -> list[Event]:
    """Apply one round of polls to `view`, and return what changed, as events."""
    events: list[Event] = []
    for result in round_:
        before = view.servers.get(result.ident)
        name = view.names.get(result.ident, result.url)
        if isinstance(result, Unreachable):
            if result.lame_duck and isinstance(before, Watched) and not before.lame_duck:
                # It announced lame duck mode and went quiet before a poll saw it in it.
                events.append(
                    ev.WatchedLameDuckAnnounced(
                        server=name, at=result.at, server_id=result.lame_duck
                    )
                )
            if not isinstance(before, Unreachable):
                events.append(
                    ev.WatchedServerDown(
                        server=name, at=result.at, url=result.url, error=result.error
                    )
                )
                view.servers[result.ident] = result
            continue
        view.names[result.ident] = result.server
        # A new server id is a new process: restarted between two polls, never seen down.
        # Its health is a start-up's, not a change of the process that was serving.
        now_id = result.status.server_id
        restarted = isinstance(before, Watched) and before.status.server_id != now_id
        same = before if isinstance(before, Watched) and not restarted else None
        if same is None:
            down_for = result.at - before.at if before is not None else 0.0
            events.append(
                ev.WatchedServerUp(
                    server=result.server, at=result.at, url=result.url,
                    version=result.status.version, down_for=down_for,
                )
            )  # fmt: skip
        if result.lame_duck and not (same and same.lame_duck):
            # Before its health: the server's own word says what a failing /healthz means.
            events.append(
                ev.WatchedLameDuckAnnounced(server=result.server, at=result.at, server_id=now_id)
            )
        if same and (
            same.status.healthy != result.status.healthy
            or listener_closed(same) != listener_closed(result)
        ):  # unhealthy already (a replica catching up), then its client port closed too
            events.append(_health(result))
        was = view.versions.get(result.ident)
        version = view.versions[result.ident] = result.status.version
        if was is not None and was != version:  # across a restart too
            events.append(
                ev.WatchedVersionChanged(
                    server=result.server, at=result.at, previous=was, version=version
                )
            )
        back = before is not None and (not isinstance(before, Watched) or restarted)
        if back and result.status.healthy:  # back, on its version, and healthy at once
            events.append(_health(result))
        view.servers[result.ident] = result
    events += _moves(view, now)
    events += _jetstream(view, now)
    return events


def _health(answer: Watched) -> ev.WatchedHealthChanged:
    """How /healthz answers now."""
    return ev.WatchedHealthChanged(
        server=answer.server, at=answer.at, healthy=answer.status.healthy,
        detail=answer.health, jetstream=answer.status.jetstream is not None,
    )  # fmt: skip


def listener_closed(answer: Watched) -> bool:
    """/healthz failing because the client listener is closed (ev.WatchedHealthChanged)."""
    return not answer.status.healthy and "ready for connections" in answer.health


def _moves(view: WatchView, now: float) -> list[Event]:
    """Named clients seen on another server than last time (or again, after a gap)."""
    located: dict[ClientKey, str] = {}
    for status in view.servers.values():
        if isinstance(status, Watched):
            for conn in status.status.connections:
                if conn.name:
                    located[(conn.name, conn.lang, conn.version)] = status.server
    events: list[Event] = []
    for key, server in located.items():
        present = view.clients.get(key)
        was = present or view.missing.pop(key, None)
        if was is not None and was.server != server:
            events.append(
                ev.WatchedClientMoved(
                    server=server, at=now, client=key[0], previous=was.server, gap=now - was.at
                )
            )
        elif present is None:
            events.append(ev.WatchedClientSeen(server=server, at=now, client=key[0]))
        view.clients[key] = Seen(server, now)
    for key in [k for k in view.clients if k not in located]:
        view.missing[key] = gone = view.clients.pop(key)
        events.append(ev.WatchedClientMissing(server=gone.server, at=now, client=key[0]))
    return events


def _jetstream(view: WatchView, now: float) -> list[Event]:
    """The meta leader, stream leaders and replicas, as the lab reports them."""
    reports = {
        s.server: s.status.jetstream
        for s in view.servers.values()
        if isinstance(s, Watched) and s.status.jetstream is not None
    }
    if not reports:
        return []
    return list(view.jetstream.diff(cluster_view(reports), now))
