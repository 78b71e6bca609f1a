"""What the monitoring endpoints say, as plain data: route peers, connections, a status.

Pure (no HTTP, no processes), so LabState and the events can carry it without the poller.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from natslab.words import printable


@dataclass(frozen=True)
class RoutePeer:
    """Another server this one is routed to; 2.10+ opens several connections per peer."""

    name: str
    server_id: str
    connections: int


@dataclass(frozen=True)
class Connection:
    """One client connection as /connz lists it."""

    cid: int
    name: str
    ip: str
    port: int
    lang: str = ""
    version: str = ""


@dataclass(frozen=True)
class ReplicaStatus:
    """A Raft peer as a leader reports it: current, or `lag` operations behind."""

    name: str
    current: bool
    lag: int = 0
    offline: bool = False


@dataclass(frozen=True)
class StreamStatus:
    """One stream as one server's /jsz shows it; only its leader's view of replicas counts."""

    name: str
    leader: str
    replicas: tuple[ReplicaStatus, ...] = ()
    messages: int = 0
    last_seq: int = 0
    # (consumer, its leader) as this server reports them; a consumer has a Raft group of its own
    consumers: tuple[tuple[str, str], ...] = ()
    # A mirror's origin, and what its leader says of the copying: messages it knows it has
    # not copied yet (stream.go sourceInfo: lag, error), as of the last batch it received.
    mirror: str = ""
    mirror_lag: int = 0
    mirror_error: str = ""
    # The streams it gathers (sourcesInfo, the same StreamSourceInfo per source), and the
    # first error one of them reports.
    sources: tuple[str, ...] = ()
    sources_error: str = ""


@dataclass(frozen=True)
class JetStreamStatus:
    """/jsz of one server: the meta leader it sees, the meta peers, and its streams."""

    meta_leader: str = ""
    meta_replicas: tuple[ReplicaStatus, ...] = ()
    streams: tuple[StreamStatus, ...] = ()


@dataclass(frozen=True)
class ServerStatus:
    """What the monitoring endpoints and psutil said about one server at one moment."""

    server: str
    up: bool
    at: float = field(default_factory=time.time)
    version: str = ""
    server_id: str = ""
    cluster_name: str = ""
    route_peers: tuple[RoutePeer, ...] = ()
    connections: tuple[Connection, ...] = ()
    healthy: bool = False
    health_error: str = ""  # what /healthz said when it did not answer 200
    cpu_percent: float | None = None
    rss_bytes: int | None = None
    error: str = ""
    jetstream: JetStreamStatus | None = None  # only for servers started with JetStream
    leaf_peers: tuple[str, ...] = ()  # servers at the far end of its leaf node connections
    gateway_peers: tuple[str, ...] = ()  # the clusters its outbound gateways reach

    @property
    def peer_names(self) -> frozenset[str]:
        return frozenset(peer.name for peer in self.route_peers)


def serving(
    server: str,
    at: float,
    varz: dict[str, Any],
    routez: dict[str, Any],
    healthy: bool,
    conns: tuple[Connection, ...],
    jsz: dict[str, Any] | None,
    usage: tuple[float | None, int | None] = (None, None),
    health_error: str = "",
) -> ServerStatus:
    """A server that answered, from its monitoring answers (over HTTP or through the
    system account alike); `usage` is its CPU percent and resident bytes, if known."""
    return ServerStatus(
        server=server,
        up=True,
        at=at,
        version=str(varz.get("version", "")),
        server_id=varz.get("server_id", ""),
        cluster_name=(varz.get("cluster") or {}).get("name", ""),
        route_peers=route_peers(routez),
        connections=conns,
        healthy=healthy,
        health_error="" if healthy else health_error,
        cpu_percent=usage[0],
        rss_bytes=usage[1],
        jetstream=jetstream(jsz) if jsz is not None else None,
    )


def leaf_peers(leafz: dict[str, Any]) -> tuple[str, ...]:
    """/leafz: the names of the servers at the other end of each leaf node connection
    (monitor.go LeafInfo.Name), sorted, once each."""
    return tuple(sorted({str(leaf.get("name", "")) for leaf in leafz.get("leafs") or []} - {""}))


def gateway_peers(gatewayz: dict[str, Any]) -> tuple[str, ...]:
    """/gatewayz: the names of the other clusters this server has an outbound gateway
    connection to (monitor.go Gatewayz.OutboundGateways, keyed by gateway name), sorted."""
    outbound = gatewayz.get("outbound_gateways") or {}
    if not isinstance(outbound, dict):
        return ()
    return tuple(sorted(str(name) for name, gw in outbound.items()
                        if isinstance(gw, dict) and gw.get("connection")))  # fmt: skip


def route_peers(routez: dict[str, Any]) -> tuple[RoutePeer, ...]:
    """Group /routez connections by remote server id: one peer, however many connections."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for route in routez.get("routes") or []:
        grouped.setdefault(route.get("remote_id", ""), []).append(route)
    peers = [
        RoutePeer(
            name=printable(str(conns[0].get("remote_name") or rid[:8])),
            server_id=rid,
            connections=len(conns),
        )
        for rid, conns in grouped.items()
        if rid
    ]
    return tuple(sorted(peers, key=lambda p: p.name))


def connections(connz: dict[str, Any]) -> tuple[Connection, ...]:
    return tuple(
        Connection(
            cid=int(c.get("cid", 0)),
            name=printable(str(c.get("name") or "")),  # an application's own word
            ip=c.get("ip", ""),
            port=int(c.get("port", 0)),
            lang=printable(str(c.get("lang") or "")),
            version=printable(str(c.get("version") or "")),
        )
        for c in connz.get("connections") or []
        # /connz lists leaf node connections too (kind "Leafnode"): a leaf is a server, not
        # a client, and /leafz reports it. Older servers give no kind: all are clients.
        if c.get("kind", "Client") == "Client"
    )


def _replicas(items: list[dict[str, Any]] | None) -> tuple[ReplicaStatus, ...]:
    return tuple(
        ReplicaStatus(
            name=r.get("name", ""),
            current=bool(r.get("current")),
            lag=int(r.get("lag") or 0),
            offline=bool(r.get("offline")),
        )
        for r in items or []
    )


def _mirror(info: dict[str, Any] | None) -> dict[str, Any]:
    """A StreamDetail's mirror (monitor.go; stream.go StreamSourceInfo), if it is one."""
    if not info:
        return {}
    error = (info.get("error") or {}).get("description", "")
    return {
        "mirror": printable(str(info.get("name") or "")),
        "mirror_lag": int(info.get("lag") or 0),
        "mirror_error": printable(str(error)),
    }


def _sources(items: list[dict[str, Any]] | None) -> dict[str, Any]:
    """A StreamDetail's sources (monitor.go; stream.go sourcesInfo), if it gathers any."""
    if not items:
        return {}
    errors = [(i.get("error") or {}).get("description", "") for i in items]
    return {
        "sources": tuple(printable(str(i.get("name") or "")) for i in items),
        "sources_error": printable(str(next((e for e in errors if e), ""))),
    }


def jetstream(jsz: dict[str, Any]) -> JetStreamStatus:
    """/jsz?streams=true&consumers=true: nats-server's monitor.go JSInfo, MetaClusterInfo,
    StreamDetail and its consumer_detail (ConsumerInfo with its ClusterInfo)."""
    meta = jsz.get("meta_cluster") or {}
    streams = [
        StreamStatus(
            name=detail.get("name", ""),
            leader=(detail.get("cluster") or {}).get("leader", ""),
            replicas=_replicas((detail.get("cluster") or {}).get("replicas")),
            messages=int((detail.get("state") or {}).get("messages", 0)),
            last_seq=int((detail.get("state") or {}).get("last_seq", 0)),
            consumers=tuple(
                (c.get("name", ""), (c.get("cluster") or {}).get("leader", ""))
                for c in detail.get("consumer_detail") or []
            ),
            **_mirror(detail.get("mirror")),
            **_sources(detail.get("sources")),
        )
        for account in jsz.get("account_details") or []
        for detail in account.get("stream_detail") or []
    ]
    return JetStreamStatus(
        meta_leader=meta.get("leader", ""),
        meta_replicas=_replicas(meta.get("replicas")),
        streams=tuple(sorted(streams, key=lambda s: s.name)),
    )


CONNZ_PAGE = 1024  # /connz connections per request: a 10,000-client server takes ten
CONNZ_PAGES = 100  # requests at most: a server of over 100,000 clients is shown in part


async def all_connections(
    fetch: Callable[[str], Awaitable[dict[str, Any]]],
) -> tuple[tuple[Connection, ...], int]:
    """Every connection of a server, /connz a page at a time (without subscriptions), and
    the total it reports; `fetch` GETs a path of its monitoring port. One page alone would
    silently drop the clients past the first 1,024."""
    found: list[Connection] = []
    total = 0
    for page in range(CONNZ_PAGES):
        data = await fetch(f"/connz?limit={CONNZ_PAGE}&offset={page * CONNZ_PAGE}&subs=0")
        total = int(data.get("total", 0))
        found += connections(data)
        if len(found) >= total or not data.get("connections"):
            break
    return tuple(found), total
