"""Which rounds a watch asks: monitoring URLs over HTTP, or the system account through a
natscli context or a server and a login. Every wrong combination is one sentence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from natslab.errors import UsageError
from natslab.watch.login import SystemLogin, from_context
from natslab.watch.runner import HttpRounds, Rounds
from natslab.watch.system import SystemRounds


@dataclass(frozen=True)
class WatchTarget:
    """What the operator named: URLs, or a context (None: none; "": the selected one), or a
    server with credentials or a user and password."""

    urls: Sequence[str] = ()
    context: str | None = None
    server: str = ""
    creds: str = ""
    user: str = ""
    password: str | None = None


def rounds_for(target: WatchTarget, interval: float, insecure: bool = False) -> Rounds:
    """Where the watch's answers come from: monitoring URLs over HTTP, or the system account."""
    if target.urls and (target.context is not None or target.server or target.creds or target.user):
        raise UsageError(
            "Give monitoring URLs or a system-account login (--context, -s), not both."
        )
    login = system_login(target)
    if login is None:
        if not target.urls:
            raise UsageError(
                "Watch what? Give monitoring URLs (http://host:8222), or --context NAME, or "
                "-s nats://host:4222 with --creds FILE or --user/--password."
            )
        return HttpRounds([monitoring_url(url) for url in target.urls], interval, insecure)
    return SystemRounds(login, interval)


def system_login(target: WatchTarget) -> SystemLogin | None:
    """The system-account login named, if any (a password alone may come from the
    environment, so it names none)."""
    flags = target.server or target.creds or target.user
    if target.context is not None:
        if flags:
            raise UsageError("--context holds the URL and the login: no -s/--creds/--user too.")
        return from_context(target.context or None)
    if not flags:
        return None
    if not target.server:
        raise UsageError("--creds and --user need -s URL: the NATS server to ask.")
    if target.creds and target.user:
        raise UsageError("Log in with --creds or with --user/--password, not both.")
    if target.user and target.password is None:
        raise UsageError("--user needs --password.")
    url = target.server if "://" in target.server else f"nats://{target.server}"
    return SystemLogin(
        url=url, user=target.user, password=target.password or "", creds=target.creds
    )


def monitoring_url(url: str) -> str:
    """A monitoring URL as typed: host:port means http://host:port, as natscli and nats-top
    take it; a client URL is refused with where monitoring usually is."""
    from urllib.parse import urlparse

    if "://" not in url:
        url = f"http://{url}"
    parsed = urlparse(url)
    if parsed.scheme in ("nats", "tls", "ws", "wss"):
        raise UsageError(
            f"{url!r} is a client URL; watch reads a server's monitoring port over HTTP, "
            f"usually 8222: http://{parsed.hostname}:8222."
        )
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UsageError(f"{url!r} is not a monitoring URL: give host:port or http://host:port.")
    return url
