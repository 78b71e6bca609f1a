"""A reconnect policy for nats-py: try a server other than the one just lost, without waiting."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import ParseResult

from nats.aio.client import ReconnectToServerHandler, Server

# A lab server listens on loopback, and its clients may know it by any of these names.
LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
ANY_ADDRESS = frozenset({"", "0.0.0.0", "::"})


def is_server(uri: ParseResult, info: Mapping[str, Any]) -> bool:
    """Whether a pool address points at the server whose INFO this is."""
    if uri.port != info.get("port"):
        return False
    host = str(info.get("host", ""))
    if uri.hostname == host:
        return True
    return uri.hostname in LOOPBACK and (host in LOOPBACK or host in ANY_ADDRESS)


def avoid_lost_server(reconnect_wait: float) -> ReconnectToServerHandler:
    """nats-py sleeps `reconnect_wait` before dialling a server it dialled less than that long
    ago, and the connect that brought a client to the server it just lost counts (nats-py 2.16,
    client.py: _select_next_server, _connect_to_server); a client that connected or moved
    moments before its server went away, and drew that server first, sits out the whole wait.
    This handler picks an untried other server at once.

    Once every other server has failed too, it falls back to nats-py's own behaviour: the
    least-tried server in the pool, the lost one included, after `reconnect_wait`.
    """

    def choose(servers: list[Server], lost: dict[str, Any]) -> tuple[Server | None, float]:
        # nats-py shuffles the pool first (unless dont_randomize), so "first" spreads clients.
        for server in servers:
            if server.reconnects == 0 and not is_server(server.uri, lost):
                return server, 0.0
        least_tried = min(servers, key=lambda s: s.reconnects)
        return least_tried, reconnect_wait

    return choose
