"""Poll a server's /varz, /routez, /connz and /healthz into one ServerStatus snapshot."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import psutil


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
    cpu_percent: float | None = None
    rss_bytes: int | None = None
    error: str = ""

    @property
    def peer_names(self) -> frozenset[str]:
        return frozenset(peer.name for peer in self.route_peers)


def route_peers(routez: dict[str, Any]) -> tuple[RoutePeer, ...]:
    """Group /routez connections by remote server id: one peer, however many connections."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for route in routez.get("routes") or []:
        grouped.setdefault(route.get("remote_id", ""), []).append(route)
    peers = [
        RoutePeer(
            name=conns[0].get("remote_name") or rid[:8], server_id=rid, connections=len(conns)
        )
        for rid, conns in grouped.items()
        if rid
    ]
    return tuple(sorted(peers, key=lambda p: p.name))


def connections(connz: dict[str, Any]) -> tuple[Connection, ...]:
    return tuple(
        Connection(
            cid=int(c.get("cid", 0)),
            name=c.get("name", ""),
            ip=c.get("ip", ""),
            port=int(c.get("port", 0)),
            lang=c.get("lang", ""),
            version=c.get("version", ""),
        )
        for c in connz.get("connections") or []
    )


class Monitor:
    """Polls servers over HTTP; keeps one psutil handle per pid so CPU% has a baseline."""

    def __init__(self, timeout: float = 1.0) -> None:
        self._http = httpx.AsyncClient(timeout=timeout)
        self._procs: dict[int, psutil.Process] = {}

    async def aclose(self) -> None:
        await self._http.aclose()

    async def healthz(self, base_url: str) -> bool:
        """True when /healthz answers 200."""
        try:
            response = await self._http.get(f"{base_url}/healthz")
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def poll(self, server: str, base_url: str, pid: int | None) -> ServerStatus:
        """One snapshot; a server that does not answer is reported down with the reason."""
        try:
            varz, routez, connz, healthy = await asyncio.gather(
                self._json(f"{base_url}/varz"),
                self._json(f"{base_url}/routez"),
                self._json(f"{base_url}/connz?limit=1024"),
                self.healthz(base_url),
            )
        except (httpx.HTTPError, ValueError) as exc:
            return ServerStatus(server=server, up=False, error=str(exc) or type(exc).__name__)
        cpu, rss = self._usage(pid)
        return ServerStatus(
            server=server,
            up=True,
            version=varz.get("version", ""),
            server_id=varz.get("server_id", ""),
            cluster_name=(varz.get("cluster") or {}).get("name", ""),
            route_peers=route_peers(routez),
            connections=connections(connz),
            healthy=healthy,
            cpu_percent=cpu,
            rss_bytes=rss,
        )

    async def _json(self, url: str) -> dict[str, Any]:
        response = await self._http.get(url)
        response.raise_for_status()
        data: dict[str, Any] = response.json()
        return data

    def _usage(self, pid: int | None) -> tuple[float | None, int | None]:
        if pid is None:
            return None, None
        proc = self._procs.get(pid)
        try:
            if proc is None:
                proc = self._procs[pid] = psutil.Process(pid)
                proc.cpu_percent(None)  # the first reading only sets the baseline
            return proc.cpu_percent(None), proc.memory_info().rss
        except psutil.Error:
            with contextlib.suppress(KeyError):
                del self._procs[pid]
            return None, None
