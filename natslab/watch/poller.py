"""Reads one server's monitoring endpoints over HTTP(S), and nothing else: GET requests to
/varz, /routez, /connz (paged), /healthz and /jsz. Every failure becomes one sentence."""

from __future__ import annotations

import asyncio
import json
import ssl
import time
from dataclasses import dataclass
from typing import Any

import httpx

from natslab.cluster.snapshot import Connection, JetStreamStatus, all_connections, jetstream

MAX_BYTES = 32 * 2**20  # a response larger than this is refused, not parsed


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


class PollError(Exception):
    """Why a monitoring URL gave no usable answer, as a sentence."""


class Poller:
    """One HTTP client for every watched server; certificates are checked unless insecure."""

    def __init__(self, insecure: bool = False, timeout: float = 2.0) -> None:
        self._http = httpx.AsyncClient(verify=not insecure, follow_redirects=False, timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

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

    async def _health(self, base: str) -> tuple[bool, str]:
        response = await self._get(base, "/healthz")
        try:
            body = response.json()
            detail = body.get("error", "") or body.get("status", "")
        except (ValueError, AttributeError):  # not JSON, or not an object
            detail = ""
        return response.status_code == 200, str(detail)

    async def _json(self, base: str, path: str) -> dict[str, Any]:
        response = await self._get(base, path)
        if response.status_code != 200:
            raise PollError(f"{base}{path} answered HTTP {response.status_code}")
        try:
            data = json.loads(response.content)
        except ValueError:
            raise PollError(f"{base}{path} is not JSON: not a NATS monitoring endpoint") from None
        if not isinstance(data, dict):
            raise PollError(f"{base}{path} is not a JSON object: not a NATS monitoring endpoint")
        return data

    async def _get(self, base: str, path: str) -> httpx.Response:
        try:
            async with self._http.stream("GET", f"{base}{path}") as response:
                if response.is_redirect:
                    where = response.headers.get("location", "elsewhere")
                    raise PollError(
                        f"{base}{path} redirects to {where}: give the monitoring URL itself"
                    )
                body = b""
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise PollError(f"{base}{path} sent more than {MAX_BYTES >> 20} MiB")
                response._content = body  # read once, with a size limit
                return response
        except httpx.ConnectError as exc:
            raise PollError(_connect_sentence(base, exc)) from None
        except httpx.ProtocolError:
            raise PollError(
                f"{base}{path} does not answer HTTP: not a NATS monitoring endpoint "
                "(a client port, perhaps; monitoring is usually on 8222)"
            ) from None
        except httpx.TimeoutException:
            raise PollError(f"{base}{path} did not answer in time") from None
        except httpx.HTTPError as exc:
            raise PollError(f"{base}{path} failed: {exc or type(exc).__name__}") from None


def _connect_sentence(base: str, exc: httpx.ConnectError) -> str:
    causes: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and len(causes) < 10:  # httpx wraps httpcore wraps the OSError
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(c, ssl.SSLCertVerificationError) for c in causes):
        return f"the TLS certificate of {base} is not trusted (--insecure skips the check)"
    if any(isinstance(c, ssl.SSLError) for c in causes):
        return f"TLS with {base} failed: {causes[-1]}"
    if any(isinstance(c, ConnectionRefusedError) for c in causes):
        return f"{base} refused the connection: nothing listens there"
    return f"cannot reach {base}: {causes[-1] or type(causes[-1]).__name__}"
