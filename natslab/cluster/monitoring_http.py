"""Reads a server's monitoring endpoints over HTTP(S): GET only, no redirects followed,
answers over MAX_BYTES refused, every failure one sentence. The lab's monitor and natslab
watch both read through it."""

from __future__ import annotations

import json
import ssl
from typing import Any

import httpx

MAX_BYTES = 32 * 2**20  # a response larger than this is refused, not parsed


class PollError(Exception):
    """Why a monitoring URL gave no usable answer, as a sentence."""


class MonitoringHttp:
    """One HTTP client for many servers; certificates are checked unless insecure."""

    def __init__(self, insecure: bool = False, timeout: float = 2.0) -> None:
        self._http = httpx.AsyncClient(verify=not insecure, follow_redirects=False, timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def health(self, base: str) -> tuple[bool, str]:
        response = await self._get(base, "/healthz")
        try:
            body = response.json()
            detail = body.get("error", "") or body.get("status", "")
        except (ValueError, AttributeError):  # not JSON, or not an object
            detail = ""
        return response.status_code == 200, str(detail)

    async def read_json(self, base: str, path: str) -> dict[str, Any]:
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
                too_big = PollError(f"{base}{path} sent more than {MAX_BYTES >> 20} MiB")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > MAX_BYTES:
                    raise too_big  # said so up front: nothing to read
                # A bytearray grows in place; `bytes +=` copied the whole body for every
                # chunk, quadratic in its size (seconds for 32 MiB).
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise too_big
                response._content = bytes(body)  # read once, with a size limit
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
