"""A watch through the system account: one NATS connection finds every server of the cluster
($SYS.REQ.SERVER.PING) and asks each for VARZ, ROUTEZ, HEALTHZ, CONNZ and JSZ through
$SYS.REQ.SERVER.<id>.<ENDPOINT> (nats-server events.go, initEventTracking). It only sends
requests to $SYS.REQ subjects; `Requests.ask` is the one place that publishes. It also
listens for $SYS.SERVER.<id>.LAMEDUCK, each server's own word that it entered lame duck mode."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import nats
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import Error as NatsError
from nats.errors import NoRespondersError
from nats.errors import TimeoutError as NatsTimeout

from natslab.cluster.monitoring_http import MAX_BYTES
from natslab.cluster.snapshot import Connection, all_connections
from natslab.errors import NatslabError
from natslab.watch.login import SystemLogin
from natslab.watch.poller import Unreachable, Watched, watched

PING = "$SYS.REQ.SERVER.PING"  # every server answers with its STATSZ (serverStatsPingReqSubj)
USER_INFO = "$SYS.REQ.USER.INFO"  # any user: which account it is in (userInfoReq)
LAME_DUCK = "$SYS.SERVER.*.LAMEDUCK"  # events.go lameDuckEventSubj, sent by lameDuckMode
CONNECT_TIMEOUT = 10.0
ConnList = tuple[tuple[Connection, ...], int]


class SystemAccountError(NatslabError):
    """The system account cannot be asked: no server, a refused login, the wrong account."""


class Requests:
    """The only sender: requests to $SYS.REQ subjects, and nothing else."""

    def __init__(self, nc: Client, timeout: float) -> None:
        self.nc, self.timeout = nc, timeout

    async def ask(self, subject: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        """One server's answer, its `data`; its `error` or a timeout is a PollError-like
        sentence raised as RequestFailed."""
        assert subject.startswith("$SYS.REQ."), subject  # a watch only asks
        payload = json.dumps(body).encode() if body else b""
        said = _short(subject)
        try:
            msg = await self.nc.request(subject, payload, timeout=self.timeout)
        except NoRespondersError:
            raise RequestFailed(f"nobody answers {said}") from None
        except NatsTimeout:
            raise RequestFailed(f"{said} had no answer in {self.timeout:g} s") from None
        except NatsError as exc:
            raise RequestFailed(f"{said} failed: {exc}") from None
        return _data(said, msg.data)

    async def everyone(self, wanted: set[str], wait: float) -> list[dict[str, Any]]:
        """Every server's answer to PING: until each of `wanted` (names) has answered and
        no one else for a moment, or `wait` seconds."""
        inbox = self.nc.new_inbox()
        sub = await self.nc.subscribe(inbox)
        answers: list[dict[str, Any]] = []
        try:
            await self.nc.publish(PING, b"", reply=inbox)
            deadline = time.monotonic() + wait
            while (left := deadline - time.monotonic()) > 0:
                named = {a.get("name") for a in answers}
                # Once everyone expected answered, a newcomer gets a short grace only (the
                # next round finds a late one); the first round waits longer for them.
                grace = min(left, 0.1 if wanted else 0.5) if answers and wanted <= named else left
                try:
                    msg = await sub.next_msg(timeout=grace)
                except NatsTimeout:
                    if answers and wanted <= named:
                        break
                    continue
                if msg.headers and msg.headers.get("Status") == "503":
                    raise NoAnswer(f"nobody answers {PING}")
                server = (json.loads(msg.data).get("server") or {}) if msg.data else {}
                if server.get("id"):
                    answers.append(server)
        finally:
            await sub.unsubscribe()
        return answers


class RequestFailed(Exception):
    """One request that gave no usable answer, as a sentence."""


class NoAnswer(RequestFailed):
    """No server answered the ping at all."""


def _short(subject: str) -> str:
    """A subject for a sentence: a server id (56 characters) cut to its first eight."""
    return ".".join(f"{t[:8]}…" if len(t) == 56 else t for t in subject.split("."))


def _data(subject: str, raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BYTES:
        raise RequestFailed(f"{subject} sent more than {MAX_BYTES >> 20} MiB")
    try:
        answer = json.loads(raw)
    except ValueError:
        raise RequestFailed(f"{subject} did not answer JSON") from None
    error = answer.get("error") if isinstance(answer, dict) else None
    if error:
        raise RequestFailed(f"{subject}: {error.get('description') or error}")
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict):
        raise RequestFailed(f"{subject} answered without data")
    return data


class SystemRounds:
    """Each round: who answers the ping, then each of them for its endpoints, all at once.
    A server that answered before and not now is reported as unreachable."""

    def __init__(self, login: SystemLogin, interval: float) -> None:
        self.login = login
        self.timeout = max(1.0, interval * 2)
        self.nc: Client | None = None
        self.requests: Requests | None = None
        self.known: dict[str, str] = {}  # server name -> its id, as last seen
        self.violations: list[str] = []  # the server refused something this sent
        self.problem = ""  # why the last try to log in failed, while it keeps trying
        self.lame_ducks: set[str] = set()  # ids of servers that announced lame duck mode
        self.unheard = ""  # why the announcements cannot be heard (a refused subscription)

    @property
    def where(self) -> str:
        url = self.nc.connected_url.geturl() if self.nc and self.nc.connected_url else ""
        return f"{url or self.login.url} (system account)"

    def describe(self) -> str:
        return f"the cluster behind {self.login.url} through the system account"

    async def open(self) -> None:
        """Log in and make sure the user is in the system account, or say why not."""
        errors: list[str] = []
        refused = asyncio.Event()  # a refused login: no point in trying again and again

        async def noted(exc: Exception) -> None:
            errors.append(str(exc) or type(exc).__name__)
            if "permissions violation for subscription" in errors[-1].lower():
                self.unheard = errors[-1]  # only listening was refused: /healthz still tells
            elif "permissions violation" in errors[-1].lower():
                self.violations.append(errors[-1])
            if self.nc is None and (_refused_login(errors[-1]) or _untrusted(errors[-1])):
                refused.set()

        connecting = asyncio.ensure_future(nats.connect(
            self.login.urls, name="natslab watch (read-only)", error_cb=noted,
            max_reconnect_attempts=-1, reconnect_time_wait=0.5,
            allow_reconnect=True, connect_timeout=2, **self.login.connect_options(),
        ))  # fmt: skip
        given_up = asyncio.ensure_future(refused.wait())
        await asyncio.wait({connecting, given_up}, timeout=CONNECT_TIMEOUT,
                           return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
        given_up.cancel()
        if not connecting.done() or connecting.exception() is not None:
            connecting.cancel()
            await asyncio.gather(connecting, return_exceptions=True)
            refusal = next((e for e in errors if _refused_login(e) or _untrusted(e)), None)
            why = refusal or (errors[-1] if errors else "no answer")
            raise SystemAccountError(_connect_sentence(self.login, why))
        self.nc = connecting.result()
        self.requests = Requests(self.nc, self.timeout)
        await self.nc.subscribe(LAME_DUCK, cb=self._lame_duck)
        try:
            first = await self.requests.everyone(set(), self.timeout)
        except NoAnswer:
            raise SystemAccountError(await self._outside()) from None
        if not first:
            raise SystemAccountError(
                f"No server answered {PING} within {self.timeout:g} s at {self.login.url} "
                f"({self.login.origin()})."
            )

    async def _lame_duck(self, msg: Msg) -> None:
        """$SYS.SERVER.<id>.LAMEDUCK: the id is the subject's, whatever the body says."""
        self.lame_ducks.add(msg.subject.split(".")[2])

    async def _outside(self) -> str:
        """The sentence for a user that is not in the system account, in the server's words."""
        assert self.requests is not None
        try:
            info = await self.requests.ask(USER_INFO)
        except RequestFailed:
            info = {}
        account = info.get("account_name") or info.get("account") or "another account"
        user = info.get("user") or self.login.user or "this user"
        return (
            f"{user} is in account {account}, not the system account: nobody answers {PING} "
            f"for it ({self.login.origin()}). Log in as a user of the system account."
        )

    async def round(self) -> list[Watched | Unreachable]:
        if self.requests is None:  # not opened first (a screen started before the cluster)
            try:
                await self.open()
            except SystemAccountError as exc:
                self.problem = str(exc)  # the screen says it; the next round tries again
                await self.aclose()
                self.nc = None
                return []
            self.problem = ""
        assert self.requests is not None and self.nc is not None
        at = time.time()
        if not self.nc.is_connected:
            return self._lost(at, f"the connection to {self.login.url} is down (reconnecting)")
        try:
            found = await self.requests.everyone(set(self.known), self.timeout)
        except RequestFailed as exc:
            return self._lost(at, str(exc))
        results: list[Watched | Unreachable] = list(
            await asyncio.gather(*(self._poll(server, at) for server in found))
        )
        answered = {s.get("name") or s["id"] for s in found}
        for name in set(self.known) - answered:
            sid = self.known.pop(name)
            announced = sid if sid in self.lame_ducks else ""  # and went quiet since
            why = f"did not answer {PING}"
            results.append(
                Unreachable(url=self.where, at=at, key=name, error=why, lame_duck=announced)
            )
        return results

    def _lost(self, at: float, why: str) -> list[Watched | Unreachable]:
        lost: list[Watched | Unreachable] = [
            Unreachable(url=self.where, at=at, key=name, error=why) for name in self.known
        ]
        self.known.clear()
        return lost

    async def _poll(self, server: dict[str, Any], at: float) -> Watched | Unreachable:
        assert self.requests is not None
        sid, name = server["id"], server.get("name") or server["id"][:8]
        ask = self.requests.ask

        def subject(endpoint: str) -> str:
            return f"$SYS.REQ.SERVER.{sid}.{endpoint}"

        async def page(path: str) -> dict[str, Any]:
            query = parse_qs(urlparse(path).query)
            body = {"offset": int(query["offset"][0]), "limit": int(query["limit"][0])}
            return await ask(subject("CONNZ"), body)

        try:
            varz, routez, health, conns = await asyncio.gather(
                ask(subject("VARZ")), ask(subject("ROUTEZ")), ask(subject("HEALTHZ")),
                all_connections(page),
            )  # fmt: skip
            # Streams only, as over HTTP: a production server's consumer list can be long.
            jsz = await ask(subject("JSZ"), {"streams": True}) if server.get("jetstream") else None
        except RequestFailed as exc:
            # A server in lame duck mode may answer the ping, then not its endpoints.
            announced = sid if sid in self.lame_ducks else ""
            return Unreachable(url=self.where, at=at, key=name, error=str(exc), lame_duck=announced)
        self.known[name] = sid
        healthy = health.get("status") == "ok"
        detail = str(health.get("error") or health.get("status") or "")
        return watched(self.where, at, varz, routez, (healthy, detail), self._others(sid, conns),
                       jsz, name, sid in self.lame_ducks)  # fmt: skip

    def _others(self, sid: str, conns: tuple[tuple[Connection, ...], int]) -> ConnList:
        """Every connection but the watch's own: it is no client of the cluster's."""
        assert self.nc is not None
        # nats-py keeps the INFO of the server it is on, but offers no accessor for its id.
        info: dict[str, Any] = getattr(self.nc, "_server_info", {})
        if info.get("server_id") != sid:
            return conns
        mine = self.nc.client_id
        found, total = conns
        kept = tuple(c for c in found if c.cid != mine)
        return kept, total - (len(found) - len(kept))

    def waiting(self, unreachable: dict[str, str]) -> str:
        why = "\n".join(f"• {name}: {error}" for name, error in sorted(unreachable.items()))
        why = f"{why}\n• {self.problem}" if self.problem else why
        return (
            f"Asking {self.describe()}…\n{why}\n\nEvery server that answers {PING} shows here. "
            "q quits."
        )

    async def aclose(self) -> None:
        if self.nc is not None and not self.nc.is_closed:
            await self.nc.close()


def _refused_login(error: str) -> bool:
    return any(word in error.lower() for word in ("authorization", "authentication"))


def _untrusted(error: str) -> bool:
    return "certificate verify failed" in error.lower()


def _connect_sentence(login: SystemLogin, why: str) -> str:
    low = why.lower()
    if _untrusted(why):
        reason = why.split("certificate verify failed:")[-1].split("(_ssl")[0].strip()
        return (
            f"The TLS certificate of {login.url} is not trusted ({reason}): give "
            f"{login.origin()} the CA that signed it (a context's ca)."
        )
    if _refused_login(why):
        return (
            f"{login.url} refused the login of {login.origin()}: {why.strip()} "
            "(check the user, password or credentials)."
        )
    if "connect call failed" in low or "refused" in low or "no servers" in low:
        return f"Nothing answers at {login.url} ({login.origin()}): no NATS server listens there."
    return f"Cannot connect to {login.url} ({login.origin()}): {why.strip()}."
