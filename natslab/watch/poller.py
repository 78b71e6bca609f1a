"""What natslab watch reads of one server over HTTP(S): /varz, /routez, /connz (paged),
/healthz and /jsz, through the monitoring reader the lab uses too (GET only, size-capped,
every failure one sentence)."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from natslab.cluster.monitoring_http import MonitoringHttp, PollError
from natslab.cluster.snapshot import Connection, ServerStatus, all_connections, serving
from natslab.words import printable


@dataclass(frozen=True)
class Watched:
    """One successful poll of one server: what the lab's own poll would say of it (its
    ServerStatus), where it was asked, and what only a watch shows."""

    url: str
    status: ServerStatus
    health: str  # /healthz's own words: "ok", or why not
    total_connections: int  # all of them, even those a page limit or the watch left out
    key: str = ""  # what tells this server apart in the watch, when its URL does not
    lame_duck: bool = False  # it announced lame duck mode itself (system account only)

    @property
    def ident(self) -> str:
        return self.key or self.url

    @property
    def server(self) -> str:
        return self.status.server

    @property
    def at(self) -> float:
        return self.status.at


@dataclass(frozen=True)
class Unreachable:
    """A poll that failed, in one sentence."""

    url: str
    at: float
    error: str
    key: str = ""
    lame_duck: str = ""  # the server id, if it announced lame duck mode before going quiet

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
    lame_duck: bool = False,
) -> Watched:
    """One server's answers, over HTTP or through the system account, as one Watched."""
    name = printable(str(varz.get("server_name") or varz["server_id"][:8]))
    has_jetstream = jsz and (jsz.get("meta_cluster") or jsz.get("account_details"))
    status = serving(name, at, varz, routez, health[0], conns[0], jsz if has_jetstream else None,
                     (varz.get("cpu"), varz.get("mem")))  # fmt: skip
    return Watched(url, status, health[1], conns[1], key, lame_duck)


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
