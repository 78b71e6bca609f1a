"""What natslab watch reads of one server over HTTP(S): /varz, /routez, /connz (paged),
/healthz and /jsz, through the monitoring reader the lab uses too (GET only, size-capped,
every failure one sentence)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from natslab.cluster.monitoring_http import MonitoringHttp, PollError
from natslab.cluster.snapshot import Connection, JetStreamStatus, all_connections, jetstream


@dataclass(frozen=True)
class Watched:
    """One successful poll of one server."""

    url: str
    at: float
    server: str  # its server_name (or id, shortened)
    server_id: str
    version: str
    uptime: str
    healthy: bool
    health: str
    route_peers: tuple[str, ...]
    connections: tuple[Connection, ...]
    total_connections: int
    cpu: float | None
    mem: int | None
    jetstream: JetStreamStatus | None
    key: str = ""  # what tells this server apart in the watch, when its URL does not

    @property
    def ident(self) -> str:
        return self.key or self.url


@dataclass(frozen=True)
class Unreachable:
    """A poll that failed, in one sentence."""

    url: str
    at: float
    error: str
    key: str = ""

    @property
    def ident(self) -> str:
        return self.key or self.url


def watched(
    url: str,
    at: float,
    varz: dict[str, Any],
    routez: dict[str, Any],
    health: tuple[bool, str],
    conns: tuple[tuple[Connection, ...], int],
    jsz: dict[str, Any] | None,
    key: str = "",
) -> Watched:
    """One server's answers, over HTTP or through the system account, as one Watched."""
    name = varz.get("server_name") or varz["server_id"][:8]
    return Watched(
        url=url,
        at=at,
        server=name,
        server_id=varz["server_id"],
        version=str(varz.get("version", "")),
        uptime=str(varz.get("uptime", "")),
        healthy=health[0],
        health=health[1],
        route_peers=tuple(
            sorted(
                r.get("remote_name") or r.get("remote_id", "")[:8]
                for r in routez.get("routes") or []
            )
        ),
        connections=conns[0],
        total_connections=conns[1],
        cpu=varz.get("cpu"),
        mem=varz.get("mem"),
        jetstream=jetstream(jsz)
        if jsz and (jsz.get("meta_cluster") or jsz.get("account_details"))
        else None,
        key=key,
    )


class Poller:
    """Each watched server's endpoints, through the one monitoring reader."""

    def __init__(self, insecure: bool = False, timeout: float = 2.0) -> None:
        self.http = MonitoringHttp(insecure, timeout)
        self._json, self._health = self.http.read_json, self.http.health

    async def aclose(self) -> None:
        await self.http.aclose()

    async def poll(self, url: str) -> Watched | Unreachable:
        base = url.rstrip("/")
        at = time.time()
        try:
            varz = await self._json(base, "/varz")
            if not isinstance(varz.get("server_id"), str):
                raise PollError(f"{base}/varz has no server_id: not a NATS monitoring endpoint")
            routez, healthz, conns = await asyncio.gather(
                self._json(base, "/routez"), self._health(base), self._connections(base)
            )
            # Streams only: nothing the watch shows needs consumer leaders, and a production
            # server's consumer list can be long (the lab's own monitor asks for them).
            jsz = await self._json(base, "/jsz?streams=true") if varz.get("jetstream") else None
        except PollError as exc:
            return Unreachable(url=base, at=at, error=str(exc))
        return watched(base, at, varz, routez, healthz, conns, jsz)

    async def _connections(self, base: str) -> tuple[tuple[Connection, ...], int]:
        return await all_connections(lambda path: self._json(base, path))
