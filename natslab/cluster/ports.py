"""The one place natslab chooses ports: the walkthrough's defaults, offsets, and conflict checks."""

from __future__ import annotations

import errno
import os
import random
import socket
import string
from collections.abc import Iterable
from dataclasses import dataclass

import psutil

from natslab.errors import PortInUseError

# The walkthrough numbers its servers 4222, 4333, 4444: each next server adds 111.
CLIENT_BASE = 4222
CLUSTER_BASE = 6222
MONITOR_BASE = 8222
STEP = 111
SERVER_NAMES = string.ascii_uppercase[:9]
# Offsets stay below the kernel's ephemeral range (32768+), where client sockets would collide.
_HIGHEST_PORT = 32767
# "i/n": `auto` offsets come only from lane i of n, so n processes choosing at once (the test
# suite's workers) never pick overlapping blocks. n must divide 200, see _lane.
LANE_ENV_VAR = "NATSLAB_PORT_LANE"


@dataclass(frozen=True)
class ServerPorts:
    """The three ports one server listens on."""

    client: int
    cluster: int
    monitor: int

    def labelled(self) -> list[tuple[int, str]]:
        """Each port with what it is for, for error messages."""
        return [(self.client, "client"), (self.cluster, "cluster"), (self.monitor, "monitoring")]


def server_index(name: str) -> int:
    """A -> 0, B -> 1, ...; the position that decides a server's default ports."""
    if len(name) != 1 or name not in SERVER_NAMES:
        raise ValueError(f"server names are single letters A to {SERVER_NAMES[-1]}, not {name!r}")
    return SERVER_NAMES.index(name)


def ports_for(name: str, offset: int = 0) -> ServerPorts:
    """The walkthrough's ports for a server (A: 4222/6222/8222, B: 4333/...), shifted by offset."""
    shift = STEP * server_index(name) + offset
    ports = ServerPorts(CLIENT_BASE + shift, CLUSTER_BASE + shift, MONITOR_BASE + shift)
    if min(ports.client, ports.cluster, ports.monitor) < 1 or ports.monitor > 65535:
        raise PortInUseError(
            f"--port-offset {offset} puts server {name}'s ports outside 1-65535; "
            "choose a smaller offset."
        )
    return ports


def check_free(names: Iterable[str], offset: int = 0, host: str = "127.0.0.1") -> None:
    """Fail with one sentence naming the first taken port, its holder, and the way out."""
    for name in names:
        ensure_free(name, ports_for(name, offset), host)


def ensure_free(name: str, ports: ServerPorts, host: str = "127.0.0.1") -> None:
    """The same pre-flight for one server's ports."""
    for port, purpose in ports.labelled():
        if not is_free(port, host):
            raise PortInUseError(port_taken_message(port, f"{purpose} port of server {name}"))


def port_taken_message(port: int, what: str) -> str:
    """The sentence a user sees when a port is taken."""
    holder = port_holder(port)
    held_by = f" by {holder}" if holder else ""
    return (
        f"Port {port} ({what}) is already in use{held_by}; stop that process "
        "or shift every port with --port-offset, e.g. --port-offset 1000."
    )


def is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a listener could bind host:port right now, as nats-server would."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # nats-server sets SO_REUSEADDR too, so ports in TIME_WAIT count as free.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


def port_holder(port: int) -> str | None:
    """'nats-server (pid 123)' for the process listening on port, when psutil can see it."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return None
    for conn in connections:
        if conn.laddr and conn.laddr.port == port and conn.status == psutil.CONN_LISTEN:
            if conn.pid is None:
                return "another process"
            try:
                return f"{psutil.Process(conn.pid).name()} (pid {conn.pid})"
            except psutil.Error:
                return f"pid {conn.pid}"
    return None


def find_free_offset(names: Iterable[str], host: str = "127.0.0.1", attempts: int = 200) -> int:
    """An offset at which every port of these servers is free now (tests, workshops)."""
    names = list(names)
    highest = MONITOR_BASE + STEP * max(server_index(n) for n in names)
    lane, lanes = _lane()
    tens = range(10 + (lane - 10) % lanes, (_HIGHEST_PORT - highest) // 10, lanes)
    rng = random.Random()
    for _ in range(attempts):
        offset = rng.choice(tens) * 10
        ports = [p for n in names for p, _ in ports_for(n, offset).labelled()]
        if all(is_free(p, host) for p in ports):
            return offset
    raise PortInUseError(f"No free block of ports was found for servers {','.join(names)}.")


def _lane() -> tuple[int, int]:
    """This process's lane of `auto` offsets, from NATSLAB_PORT_LANE ("i/n"; default: all).

    Offsets are multiples of 10 and servers sit 111 apart, so two blocks overlap only when
    their offsets are equal or 2,000 or 4,000 apart (the client, cluster and monitoring
    bases are 2,000 apart). Lanes split offset/10 by its remainder mod n; with n dividing
    200 those overlapping offsets share a lane, and blocks from two lanes never overlap."""
    lane, _, lanes = os.environ.get(LANE_ENV_VAR, "").partition("/")
    if lane.isdigit() and lanes.isdigit() and int(lanes) > 0 and 200 % int(lanes) == 0:
        return int(lane) % int(lanes), int(lanes)
    return 0, 1
