"""ServerSpec: everything needed to build one nats-server command line."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from natslab.cluster.ports import ServerPorts, gossip_sink_port, link_port, ports_for

LOOPBACK = "127.0.0.1"
# The walkthrough's permanent pair: every server it starts routes to these two.
WALKTHROUGH_ROUTE_TARGETS = ("A", "B")


@dataclass(frozen=True)
class ServerSpec:
    """One server as the walkthrough describes it, plus what natslab adds to run it safely."""

    name: str
    ports: ServerPorts
    routes: tuple[str, ...] = ()
    url_host: str = "localhost"
    log_flags: tuple[str, ...] = ("-D",)
    extra_flags: tuple[str, ...] = ()
    binary: Path | None = None
    config_fragment: str | None = None
    bind: str | None = LOOPBACK
    cluster_name: str | None = None
    jetstream: bool = False  # its config fragment enables JetStream (see cluster/jetstream.py)
    # Routed through link proxies (cluster/link.py): the servers whose proxies its routes
    # name, and the address it advertises so that gossip never dials around them.
    link_targets: tuple[str, ...] = ()
    advertise: str | None = None
    labels: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def leafnodes(self) -> bool:
        """Its config sets up leaf nodes (either end), so /leafz is worth polling."""
        return "leafnodes" in (self.config_fragment or "")

    @property
    def gateways(self) -> bool:
        """Its config joins it to other clusters by a gateway, so /gatewayz is worth polling."""
        return bool(re.search(r"^\s*gateway\b", self.config_fragment or "", re.M))

    @property
    def cluster_url(self) -> str:
        return f"nats://{self.url_host}:{self.ports.cluster}"

    @property
    def client_url(self) -> str:
        """Where lab clients connect; loopback unless the server was exposed."""
        return f"nats://{self.bind or LOOPBACK}:{self.ports.client}"

    @property
    def monitor_url(self) -> str:
        return f"http://{self.bind or LOOPBACK}:{self.ports.monitor}"

    def walkthrough_args(self) -> list[str]:
        """The flags exactly as the walkthrough prints them."""
        args = [*self.log_flags, "-p", str(self.ports.client), "-cluster", self.cluster_url]
        if self.routes:
            args += ["-routes", ",".join(self.routes)]
        if self.cluster_name:
            args += ["--cluster_name", self.cluster_name]
        return args + list(self.extra_flags)

    def config_text(self) -> str:
        """The config file natslab writes: the server's name, then the fragment. The name
        goes in the file, not `-n`: a reload takes the file's options and only some flags
        (opts.go MergeOptions carries no server name), so `-n A -c FILE` refuses every
        reload with "config reload not supported for ServerName: old=A, new=". The cluster
        name is not carried either, and a JetStream server reloaded without one refuses
        ("jetstream cluster requires `cluster.name` to be set"), so it goes in the file too,
        unless the fragment has a `cluster` block of its own (a second would replace it)."""
        name = f'server_name: "{self.name}"\n'
        fragment = self.config_fragment or ""
        if self.bind:
            fragment = bound_listeners(fragment, self.bind)
        if self.cluster_name and not re.search(r"^\s*cluster\s*[:=]?\s*{", fragment, re.M):
            name += f'cluster {{ name: "{self.cluster_name}" }}\n'
        return name + fragment

    def added_args(self, config_path: Path | None = None) -> list[str]:
        """The flags natslab adds: a name for the logs (in the config file when there is
        one), a safe bind address, a monitoring port."""
        args = [] if self.config_fragment else ["-n", self.name]
        if self.bind:
            args += ["-a", self.bind]
        args += ["-m", str(self.ports.monitor)]
        if self.advertise:
            args += ["--cluster_advertise", self.advertise]
        if config_path is not None:
            args += ["-c", str(config_path)]
        return args

    def argv(self, binary: Path, config_path: Path | None = None) -> list[str]:
        """The full command line natslab runs."""
        return [str(binary), *self.walkthrough_args(), *self.added_args(config_path)]

    def walkthrough_command(self) -> str:
        """The command as a learner would type it from the walkthrough."""
        return shlex.join(["nats-server", *self.walkthrough_args()])

    def added_command(self, config_path: Path | None = None) -> str:
        """natslab's additions, shown beside the walkthrough's command: with the config
        file, when it has one, since that is where JetStream, users and leaf nodes are."""
        return shlex.join(self.added_args(config_path if self.config_fragment else None))

    def with_binary(self, binary: Path | None) -> ServerSpec:
        return replace(self, binary=binary)


def route_url(name: str, offset: int = 0, url_host: str = "localhost") -> str:
    """The cluster URL another server uses to reach server `name`."""
    return f"nats://{url_host}:{ports_for(name, offset).cluster}"


def link_url(source: str, target: str, offset: int = 0) -> str:
    """The route URL `source` uses for `target` through their link proxy (an IP, so no
    name lookup may pick an address the proxy does not listen on)."""
    return f"nats://{LOOPBACK}:{link_port(source, target, offset)}"


def gossip_advertise(offset: int = 0) -> str:
    """What every linked server advertises: a hostname, since nats-server checks only a
    name's addresses against its own (server.go getRandomIP; cluster/link.py says why)."""
    return f"localhost:{gossip_sink_port(offset)}"


def walkthrough_spec(
    name: str,
    offset: int = 0,
    route_to: Iterable[str] = WALKTHROUGH_ROUTE_TARGETS,
    expose: bool = False,
    links: bool = False,
    **options: object,
) -> ServerSpec:
    """Server `name` as the walkthrough starts it: `-D`, its ports, and routes to A and B;
    with links, each route to another server through their link proxy (a route to itself
    stays as it is: it joins no two servers)."""
    route_to = tuple(route_to)
    routes = tuple(
        link_url(name, peer, offset) if links and peer != name else route_url(peer, offset)
        for peer in route_to
    )
    bind = None if expose else LOOPBACK
    return ServerSpec(
        name=name,
        ports=ports_for(name, offset),
        routes=routes,
        bind=bind,
        link_targets=tuple(peer for peer in route_to if peer != name) if links else (),
        advertise=gossip_advertise(offset) if links else None,
        **options,  # type: ignore[arg-type]
    )


# Blocks whose listener binds every interface unless given a host (opts.go: each defaults to
# DEFAULT_HOST, "0.0.0.0"); `-a` binds only the client port.
_LISTENER_BLOCK = re.compile(r"^(\s*(leafnodes|gateway|websocket|mqtt)\s*[:=]?\s*)\{", re.M)
_HOST_KEY = re.compile(r"(^|[\s{,])(host|net|listen)\s*[:=]")


def bound_listeners(fragment: str, bind: str) -> str:
    """The fragment with `host: "<bind>"` added to each listener block that names no host
    or listen address of its own: a lab server's leafnode port listened on every interface
    (measured: `*:7422` beside `127.0.0.1` for the rest)."""
    out, at = [], 0
    for block in _LISTENER_BLOCK.finditer(fragment):
        start = block.end()  # just after the block's "{"
        depth, end = 1, start
        while end < len(fragment) and depth:
            depth += {"{": 1, "}": -1}.get(fragment[end], 0)
            end += 1
        body = _top_level(fragment[start : end - 1])
        if not _HOST_KEY.search(body):
            out += [fragment[at:start], f' host: "{bind}",']
            at = start
    return "".join(out) + fragment[at:]


def _top_level(body: str) -> str:
    """A block's text without its nested blocks and lists (a remote's `url` is no host)."""
    kept, depth = [], 0
    for char in body:
        if char in "{[":
            depth += 1
        elif char in "}]":
            depth -= 1
        elif depth == 0:
            kept.append(char)
    return "".join(kept)
