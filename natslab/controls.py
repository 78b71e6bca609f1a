"""Free-form lab actions, each with the shell command a learner would type to do the same."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import Any, Literal

from natslab.clients.client import ClientOptions
from natslab.cluster.ports import SERVER_NAMES
from natslab.cluster.spec import WALKTHROUGH_ROUTE_TARGETS, ServerSpec, walkthrough_spec
from natslab.errors import NatslabError
from natslab.session import LabSession
from natslab.words import counted

ClientSwitch = Literal["dont_randomize", "honor_lame_duck", "avoid_lost_server"]
# What each switch is in nats-py terms, for the learner who wants to do it by hand.
CLIENT_SWITCHES: dict[ClientSwitch, str] = {
    "dont_randomize": "nats-py: connect(dont_randomize=...)",
    "honor_lame_duck": "nats-py: connect(lame_duck_mode_cb=...) calling force_reconnect()",
    "avoid_lost_server": "nats-py: a reconnect_to_server_handler that skips the lost server",
}


@dataclass(frozen=True)
class Outcome:
    """What happened, and how to do it by hand."""

    message: str
    shell: str


@dataclass(frozen=True)
class Operation:
    """One entry of the command palette: a title, its shell equivalent, and how to run it."""

    title: str
    shell: str
    run: Callable[[], Awaitable[Outcome]]


class LabControls:
    """The operations the command palette offers; no UI here, so they can be tested headless."""

    def __init__(
        self,
        session: LabSession,
        offset: int = 0,
        expose: bool = False,
        upgrade_binary: Path | None = None,
    ) -> None:
        self.session = session
        self.offset = offset
        self.expose = expose
        self.upgrade_binary = upgrade_binary
        self.client_options = ClientOptions()

    def shell_for(self, verb: str, server: str) -> str:
        """The command a learner would type for a verb on a server (shown before it is run)."""
        pid = self._pid(server)
        signals = {
            "stop": f"kill -INT {pid}    # Ctrl+C in {server}'s terminal",
            "kill": f"kill -KILL {pid}",
            "lame duck": f"nats-server --signal ldm={pid}",
        }
        return signals.get(verb) or self._spec(server).walkthrough_command()

    def _pid(self, server: str) -> str:
        proc = self.session.supervisor.processes.get(server)
        return str(proc.pid) if proc is not None and proc.running else "<pid>"

    def _spec(self, server: str, routes: Sequence[str] | None = None) -> ServerSpec:
        existing = self.session.supervisor.specs.get(server)
        if existing is not None and routes is None:
            return existing
        return walkthrough_spec(
            server,
            self.offset,
            route_to=WALKTHROUGH_ROUTE_TARGETS if routes is None else routes,
            expose=self.expose,
        )

    async def start_server(self, server: str, routes: Sequence[str] | None = None) -> Outcome:
        spec = self._spec(server, routes)
        proc = await self.session.supervisor.start(spec)
        return Outcome(f"started {server} (pid {proc.pid})", spec.walkthrough_command())

    async def stop_server(self, server: str) -> Outcome:
        shell = self.shell_for("stop", server)
        code = await self.session.supervisor.stop(server)
        return Outcome(f"stopped {server} (exit code {code})", shell)

    async def kill_server(self, server: str) -> Outcome:
        shell = self.shell_for("kill", server)
        await self.session.supervisor.kill(server)
        return Outcome(f"killed {server}", shell)

    async def lame_duck(self, server: str) -> Outcome:
        shell = self.shell_for("lame duck", server)
        self.session.supervisor.lame_duck(server)
        return Outcome(f"{server} is entering lame duck mode", shell)

    async def restart_server(self, server: str, upgrade: bool = False) -> Outcome:
        binary = None
        if upgrade:
            if self.upgrade_binary is None:
                raise NatslabError(
                    "No upgrade binary was given; start natslab with --upgrade-binary PATH."
                )
            binary = self.upgrade_binary
        await self.session.supervisor.restart(server, binary=binary)
        version = self.session.supervisor.binaries[server].version
        verb = "upgraded" if upgrade else "restarted"
        return Outcome(
            f"{verb} {server} (nats-server {version})", self.shell_for("restart", server)
        )

    async def add_subscribers(self, server: str, count: int = 5) -> Outcome:
        url = self.session.client_url(server)
        subs = await self.session.fleet.start_subscribers(count, [url], self.client_options)
        names = f"{subs[0].name}..{subs[-1].name}" if len(subs) > 1 else subs[0].name
        return Outcome(
            f"added {counted(count, 'subscriber')} on {server} ({names})", f'nats sub -s {url} ">"'
        )

    async def start_publisher(self, server: str, rate: float = 100.0) -> Outcome:
        url = self.session.client_url(server)
        pub = await self.session.fleet.start_publisher([url], rate, self.client_options)
        sleep = f"{1000 / rate:g}ms"
        shell = f"nats pub -s {url} {pub.subject} --count 1000000 --sleep {sleep} '{{{{.Count}}}}'"
        return Outcome(f"{pub.name} publishes {rate:g} msg/s to {server}", shell)

    def toggle(self, option: ClientSwitch) -> Outcome:
        """Flip one of the clients' switches for clients started from now on."""
        value = not getattr(self.client_options, option)
        flipped: dict[str, Any] = {option: value}
        self.client_options = replace(self.client_options, **flipped)
        state = "on" if value else "off"
        return Outcome(f"{option} is {state} for new clients", CLIENT_SWITCHES[option])

    def servers(self) -> list[str]:
        """Every server name a free-form lab may use."""
        return list(SERVER_NAMES[:5])

    def operations(self) -> list[Operation]:
        """What can be done right now: running servers can be stopped, others started."""
        ops: list[Operation] = []
        supervisor = self.session.supervisor
        for name in self.servers():
            if not supervisor.is_running(name):
                seed = self._spec(name, routes=())
                ops += [
                    Operation(
                        f"Start server {name} (routes to A and B)",
                        self._spec(name, WALKTHROUGH_ROUTE_TARGETS).walkthrough_command(),
                        partial(self.start_server, name, None),
                    ),
                    Operation(
                        f"Start server {name} as a seed (no routes)",
                        seed.walkthrough_command(),
                        partial(self.start_server, name, ()),
                    ),
                ]
                continue
            url = self.session.client_url(name)
            ops += [
                Operation(
                    f"Stop server {name} (Ctrl+C)",
                    self.shell_for("stop", name),
                    partial(self.stop_server, name),
                ),
                Operation(
                    f"Kill server {name}",
                    self.shell_for("kill", name),
                    partial(self.kill_server, name),
                ),
                Operation(
                    f"Lame duck server {name}",
                    self.shell_for("lame duck", name),
                    partial(self.lame_duck, name),
                ),
                Operation(
                    f"Restart server {name}",
                    self.shell_for("restart", name),
                    partial(self.restart_server, name),
                ),
                Operation(
                    f"Add 5 subscribers to {name}",
                    f'nats sub -s {url} ">"',
                    partial(self.add_subscribers, name, 5),
                ),
                Operation(
                    f"Start a publisher on {name}",
                    f"100 numbered msg/s to {url}",
                    partial(self.start_publisher, name),
                ),
            ]
            if self.upgrade_binary is not None:
                ops.append(
                    Operation(
                        f"Upgrade server {name}",
                        f"restart with {self.upgrade_binary}",
                        partial(self.restart_server, name, True),
                    )
                )
        for option, by_hand in CLIENT_SWITCHES.items():
            state = "on" if getattr(self.client_options, option) else "off"
            ops.append(
                Operation(
                    f"Toggle {option} for new clients (now {state})",
                    by_hand,
                    partial(self._toggle, option),
                )
            )
        return ops

    async def _toggle(self, option: ClientSwitch) -> Outcome:
        return self.toggle(option)
