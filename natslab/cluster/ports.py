"""The one place natslab chooses ports: the walkthrough's defaults, offsets, and conflict checks."""

from __future__ import annotations

import errno
import os
import random
import re
import socket
import string
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import psutil

from natslab.errors import PortInUseError

# The walkthrough numbers its servers 4222, 4333, 4444: each next server adds 111.
CLIENT_BASE = 4222
CLUSTER_BASE = 6222
MONITOR_BASE = 8222
# nats-server's own default leafnode port. A server listens on it only when its config asks
# (`leafnodes { port: {leafnode:A} }`), so pre-flight checks leave it out; a taken one fails
# the server's start with the server's own words.
LEAFNODE_BASE = 7422
# The gateway port the NATS docs' examples use; like the leafnode port, listened on only when
# the server's config asks (`gateway { port: {gateway:A} }`). 7222 + 111n never meets another
# kind's 111-step row: the rows' bases differ by 200, 1,000 or 1,200, none a multiple of 111.
GATEWAY_BASE = 7222
STEP = 111
# `{client:B}`-style placeholders, in lesson regexes, narratives and config fragments alike.
PORT_PLACEHOLDER = re.compile(r"\{(client|cluster|monitor|leafnode|gateway):([A-Z])\}")
SERVER_NAMES = string.ascii_uppercase[:9]
# Link proxies (cluster/link.py): the one server X dials to reach server Y listens in Y's
# block of 2,000 ports above the monitoring ports, at X's walkthrough place (A->B 12222,
# B->A 10333, C->B 12444). Every port keeps its place's last digit and sits a multiple of
# 2,000 from the others with that digit, so two lanes' blocks still never meet (see _lane).
LINK_BASE = MONITOR_BASE + 2000
LINK_BLOCK = 2000
# Where the kernel takes the source ports of outgoing connections; Linux's default when it
# cannot be read. A server port in that range can be taken by any connection for a while.
EPHEMERAL_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
LINUX_EPHEMERAL_RANGE = (32768, 60999)
# "i/n": `auto` offsets come only from lane i of n, so n processes choosing at once (the test
# suite's workers) never pick overlapping blocks. n must divide 200, see _lane.
LANE_ENV_VAR = "NATSLAB_PORT_LANE"
# What to suggest when a port is taken. Not a number: client, cluster and monitoring ports
# are 2,000 apart, so an offset of 2,000 puts a run's client ports on another's cluster ports,
# and a fixed suggestion may be the offset of the run that holds the port. `auto` tries the
# ports themselves.
SHIFT = "--port-offset auto (natslab picks an offset whose ports are all free)"


@dataclass(frozen=True)
class ServerPorts:
    """The three ports one server listens on."""

    client: int
    cluster: int
    monitor: int
    leafnode: int = 0  # listened on only when the server's config asks for leaf nodes
    gateway: int = 0  # likewise, for a gateway to other clusters

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
    ports = ServerPorts(
        CLIENT_BASE + shift, CLUSTER_BASE + shift, MONITOR_BASE + shift, LEAFNODE_BASE + shift,
        GATEWAY_BASE + shift,
    )  # fmt: skip
    if min(ports.client, ports.cluster, ports.monitor) < 1 or ports.monitor > 65535:
        raise PortInUseError(
            f"--port-offset {offset} puts server {name}'s ports outside 1-65535; "
            "choose a smaller offset."
        )
    return ports


def with_ports(text: str, offset: int = 0) -> str:
    """`text` with every `{kind:X}` placeholder replaced by server X's port of that kind."""
    return PORT_PLACEHOLDER.sub(lambda m: str(getattr(ports_for(m[2], offset), m[1])), text)


def link_port(source: str, target: str, offset: int = 0) -> int:
    """Where the link proxy that `source` dials to reach `target` listens."""
    if source == target:
        raise ValueError(f"a link joins two servers, not {source} to itself")
    port = LINK_BASE + LINK_BLOCK * server_index(target) + STEP * server_index(source) + offset
    if not 1 <= port <= 65535:
        raise PortInUseError(
            f"--port-offset {offset} puts the link port {source}->{target} outside 1-65535; "
            "choose a smaller offset."
        )
    return port


def gossip_sink_port(offset: int = 0) -> int:
    """The port every linked server advertises as its own (A->A's place, never a link), so
    gossip never dials around a link proxy (cluster/link.py says why)."""
    return LINK_BASE + offset


def run_ports(names: Iterable[str], offset: int = 0, links: bool = False) -> list[tuple[int, str]]:
    """Every port a run of these servers listens on, each with what it is for; with links,
    the link proxies between every two of them and the gossip sink too."""
    names = list(names)
    labelled = [
        (port, f"{purpose} port of server {name}")
        for name in names
        for port, purpose in ports_for(name, offset).labelled()
    ]
    if links:
        labelled += [
            (link_port(source, target, offset), f"link port {source}->{target}")
            for source in names
            for target in names
            if source != target
        ]
        labelled.append((gossip_sink_port(offset), "gossip sink of the link proxies"))
    return labelled


def check_free(
    names: Iterable[str], offset: int = 0, host: str = "127.0.0.1", links: bool = False
) -> None:
    """Fail with one sentence naming the first taken port, its holder, and the way out."""
    for port, what in run_ports(names, offset, links):
        if not is_free(port, host):
            raise PortInUseError(port_taken_message(port, what))


def taken_ports(
    names: Iterable[str], offset: int = 0, host: str = "127.0.0.1", links: bool = False
) -> list[str]:
    """The sentence for every taken port of these servers (doctor lists them all)."""
    return [
        port_taken_message(port, what)
        for port, what in run_ports(names, offset, links)
        if not is_free(port, host)
    ]


def ensure_free(name: str, ports: ServerPorts, host: str = "127.0.0.1") -> None:
    """The same pre-flight for one server's ports."""
    for port, purpose in ports.labelled():
        if not is_free(port, host):
            raise PortInUseError(port_taken_message(port, f"{purpose} port of server {name}"))


def port_taken_message(port: int, what: str) -> str:
    """The sentence a user sees when a port is taken: by a listening process (stop it, or
    shift), by a connection's own end (it goes by itself), or by something unseen."""
    holder = port_holder(port)
    if holder is None:
        return (
            f"Port {port} ({what}) is already in use (natslab cannot see by what); shift "
            f"every port with {SHIFT}."
        )
    if holder.listening:
        return (
            f"Port {port} ({what}) is already in use by {holder.name}; stop that process "
            f"or shift every port with {SHIFT}."
        )
    low, high = ephemeral_range()
    message = (
        f"Port {port} ({what}) is held by {holder.name}, a connection's own end, not a "
        "server: it is free again once that connection is gone (a closed one lingers in "
        "TIME_WAIT for up to a minute)"
    )
    if low <= port <= high:
        below = offset_below(SERVER_NAMES, low)
        message += (
            f". The kernel lends ports {low}-{high} to outgoing connections "
            f"({EPHEMERAL_RANGE_FILE}); "
            + (f"--port-offset {below} keeps every port below them" if below is not None
               else "no offset keeps every port below them")
        )  # fmt: skip
    return message + "."


def ephemeral_range(source: Path = EPHEMERAL_RANGE_FILE) -> tuple[int, int]:
    """The kernel's range for outgoing connections' ports, or Linux's default."""
    try:
        low, high = (int(part) for part in source.read_text().split())
    except (OSError, ValueError):
        return LINUX_EPHEMERAL_RANGE
    return (low, high) if 0 < low <= high <= 65535 else LINUX_EPHEMERAL_RANGE


def highest_port(names: Iterable[str], links: bool = False) -> int:
    """The highest port of a run of these servers at offset 0."""
    return max(port for port, _ in run_ports(names, 0, links))


def offset_below(names: Iterable[str], low: int, links: bool = False) -> int | None:
    """The largest offset, a multiple of 1,000, that keeps these servers' ports below `low`."""
    room = low - 1 - highest_port(names, links)
    return room // 1000 * 1000 if room >= 0 else None


def ephemeral_warning(names: Iterable[str], offset: int, links: bool = False) -> str | None:
    """One line when an explicit offset puts ports in the kernel's ephemeral range."""
    names = list(names)
    low, high = ephemeral_range()
    ports = [p for p, _ in run_ports(names, offset, links)]
    inside = sorted(p for p in ports if low <= p <= high)
    if not inside:
        return None
    below = offset_below(names, low, links)
    advice = f"--port-offset {below} stays below it" if below is not None else "no offset avoids it"
    span = str(inside[0]) if len(inside) == 1 else f"{inside[0]}-{inside[-1]}"
    return (
        f"--port-offset {offset} puts {len(inside)} of the servers' ports ({span}) in the "
        f"kernel's ephemeral range {low}-{high} ({EPHEMERAL_RANGE_FILE}), where outgoing "
        f"connections take their ports: one may be taken when a server starts; {advice}."
    )


def is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when a listener could bind host:port right now, as nats-server would."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As nats-server does. A connection of a listener's in TIME_WAIT then does not count;
        # one made without SO_REUSEADDR (any outgoing connection's end) still does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return False
            raise
    return True


@dataclass(frozen=True)
class PortHolder:
    """Who has a port: 'nats-server (pid 123)' listening, or a connection's own end."""

    name: str
    listening: bool


def port_holder(port: int) -> PortHolder | None:
    """The listener on a port, else a connection using it as its own end, when psutil can
    see either."""
    try:
        connections = psutil.net_connections(kind="tcp")
    except (psutil.AccessDenied, OSError):
        return None
    on_port = [c for c in connections if c.laddr and c.laddr.port == port]
    for conn in on_port:
        if conn.status == psutil.CONN_LISTEN:
            return PortHolder(_process_name(conn.pid) or "another process", listening=True)
    # A live connection first: the kernel may reuse a port that an older connection (to
    # somewhere else) still holds in TIME_WAIT, and then the live one is what matters.
    for conn in sorted(on_port, key=lambda c: c.status == psutil.CONN_TIME_WAIT):
        if conn.status == psutil.CONN_TIME_WAIT:
            return PortHolder("a connection that has just closed (TIME_WAIT)", listening=False)
        owner = _process_name(conn.pid)
        of = f" of {owner}" if owner else ""
        return PortHolder(f"a connection{of} ({conn.status})", listening=False)
    return None


def _process_name(pid: int | None) -> str | None:
    if pid is None:
        return None
    try:
        return f"{psutil.Process(pid).name()} (pid {pid})"
    except psutil.Error:
        return f"pid {pid}"


def find_free_offset(
    names: Iterable[str], host: str = "127.0.0.1", attempts: int = 200, links: bool = False
) -> int:
    """An offset at which every port of these servers (and, with links, of their link
    proxies) is free now (tests, workshops)."""
    names = list(names)
    highest = highest_port(names, links)
    lane, lanes = _lane()
    # Below the ephemeral range, where outgoing connections could take a port meanwhile.
    ceiling = ephemeral_range()[0] - 1
    tens = range(10 + (lane - 10) % lanes, (ceiling - highest) // 10, lanes)
    if not tens:
        raise PortInUseError(
            f"The kernel's ephemeral range starts at {ceiling + 1} ({EPHEMERAL_RANGE_FILE}): "
            "no offset keeps servers below it; give one with --port-offset."
        )
    rng = random.Random()
    for _ in range(attempts):
        offset = rng.choice(tens) * 10
        # The leafnode and gateway ports too: unchecked before a start (a server listens on
        # them only when its config asks), but a block chosen here should hold them free.
        kinds = [(p.leafnode, p.gateway) for p in (ports_for(n, offset) for n in names)]
        ports = [p for p, _ in run_ports(names, offset, links)] + [p for k in kinds for p in k]
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
