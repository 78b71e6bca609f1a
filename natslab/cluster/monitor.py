"""Poll a lab server's /varz, /routez, /connz, /healthz (and /jsz) into one ServerStatus,
through the monitoring reader natslab watch uses too."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import time
from typing import Any

import psutil

from natslab.cluster.monitoring_http import MonitoringHttp, PollError
from natslab.cluster.snapshot import (
    Connection,
    ServerStatus,
    all_connections,
    gateway_peers,
    leaf_peers,
    serving,
)


class Monitor:
    """Polls servers over HTTP; keeps one psutil handle per pid so CPU% has a baseline."""

    def __init__(self, timeout: float = 1.0) -> None:
        self._http = MonitoringHttp(timeout=timeout)
        self._procs: dict[int, psutil.Process] = {}
        self._connz: dict[str, tuple[tuple[object, ...], tuple[Connection, ...]]] = {}
        self.connz_fetches = 0  # how often /connz was read (benchmarks and tests)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def healthz(self, base_url: str) -> bool:
        """True when /healthz answers 200."""
        return (await self.health(base_url))[0]

    async def health(self, base_url: str) -> tuple[bool, str]:
        """/healthz: 200 or not, and what it said (e.g. "JetStream has not established
        contact with a meta leader")."""
        try:
            return await self._http.health(base_url)
        except PollError as exc:
            return False, str(exc)

    async def poll(
        self,
        server: str,
        base_url: str,
        pid: int | None,
        js: bool = False,
        leaf: bool = False,
        gateway: bool = False,
    ) -> ServerStatus:
        """One snapshot; a server that does not answer is reported down with the reason.
        With `js`, /jsz too (its plain /healthz then also waits for streams to be current)."""
        try:
            varz, routez, (healthy, said), jsz = await asyncio.gather(
                self._http.read_json(base_url, "/varz"),
                self._http.read_json(base_url, "/routez"),
                self.health(base_url),
                self._http.read_json(base_url, "/jsz?streams=true&consumers=true")
                if js
                else _nothing(),
            )
            conns = await self._connections(base_url, varz)
            leafz = await self._http.read_json(base_url, "/leafz") if leaf else {}
            gatewayz = await self._http.read_json(base_url, "/gatewayz") if gateway else {}
        except PollError as exc:
            return ServerStatus(server=server, up=False, error=str(exc))
        status = serving(server, time.time(), varz, routez, healthy, conns,
                         jsz if js else None, self._usage(pid), said)  # fmt: skip
        return dataclasses.replace(
            status, leaf_peers=leaf_peers(leafz), gateway_peers=gateway_peers(gatewayz)
        )

    async def _connections(self, base_url: str, varz: dict[str, Any]) -> tuple[Connection, ...]:
        """/connz, unless /varz shows the same connections as last time: its count of open
        connections (`connections`, len(s.clients)) and of every one ever accepted
        (`total_connections`, bumped in server.go createClientEx) both stand still only when
        no client came or went. With 2,000 idle clients, parsing /connz was most of an idle
        lab's polling cost. A nameless connection may still be mid-handshake, so a list that
        has one is always fetched again."""
        key = (varz.get("server_id"), varz.get("connections"), varz.get("total_connections"))
        cached = self._connz.get(base_url)
        if cached is not None and cached[0] == key and all(c.name for c in cached[1]):
            return cached[1]
        conns, _ = await all_connections(lambda path: self._http.read_json(base_url, path))
        self.connz_fetches += 1
        self._connz[base_url] = (key, conns)
        return conns

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


async def _nothing() -> dict[str, Any]:
    return {}
