"""Performs the lab's operations on one run's servers and clients: one performer per
operation, for the palette and lessons alike (the by-hand commands are in by_hand.py, the
palette's entries in palette.py)."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from natslab.clients.client import ClientOptions, Publisher
from natslab.clients.fleet import Fleet
from natslab.clients.ledger import LedgerPublisher
from natslab.clock import wait_until
from natslab.cluster import jetstream
from natslab.cluster.ports import with_ports
from natslab.cluster.spec import ServerSpec, walkthrough_spec
from natslab.cluster.supervisor import Supervisor
from natslab.errors import ClientSetupError, NatslabError, ServerStateError, TimedOutError
from natslab.lab.by_hand import by_hand_command
from natslab.lab.operations import (
    ClientSettings,
    DamageStore,
    Done,
    ExpectRefusal,
    KillServer,
    LameDuck,
    Operation,
    PaletteEntry,
    Pause,
    RestartServer,
    StartClients,
    StartPublisher,
    StartServer,
    StopClients,
    StopPublisher,
    StopServer,
    ToggleClientSwitch,
    WaitHealthz,
    WaitMesh,
    WaitStopped,
)
from natslab.lab.palette import palette_entries, start_entry
from natslab.lab.settings import RunSettings
from natslab.lab.titles import entry, title
from natslab.state import LabState
from natslab.words import counted

# --- performing them ---------------------------------------------------------------------

LAB_CLUSTER = "lab"  # the cluster name of a free-form lab run with --jetstream

Op = TypeVar("Op")
_Perform = Callable[[Any, "Operator"], Awaitable[Done]]
_PERFORMERS: dict[type, _Perform] = {}


def performs(kind: type[Op]) -> Callable[[Callable[[Op, Operator], Awaitable[Done]]], _Perform]:
    """Register the performer of one operation kind (lab/jetstream_ops.py adds its own)."""

    def register(perform: Callable[[Op, Operator], Awaitable[Done]]) -> _Perform:
        _PERFORMERS[kind] = perform
        return perform

    return register


def performed_kinds() -> set[type]:
    """Every operation class that has a performer (a test holds this against `Operation`)."""
    return set(_PERFORMERS)


class Operator:
    """Runs operations against one run's servers and clients, and says how to do each by hand."""

    def __init__(self, supervisor: Supervisor, fleet: Fleet, settings: RunSettings) -> None:
        self.supervisor = supervisor
        self.fleet = fleet
        self.settings = settings
        self.palette_clients = ClientSettings()

    async def perform(self, op: Operation) -> Done:
        """Do it; a user-caused failure raises a NatslabError subclass, one sentence."""
        return await _PERFORMERS[type(op)](op, self)

    # --- by hand -----------------------------------------------------------------------

    def by_hand(self, op: Operation, whole: bool = False) -> str:
        """The one command a learner would type to do the same (empty where none exists)."""
        return by_hand_command(self, op, whole)

    # --- what the operations share -----------------------------------------------------

    def spec_for(self, op: StartServer) -> ServerSpec:
        if self.settings.jetstream and not op.jetstream:
            op = dataclasses.replace(
                op, jetstream=True, cluster_name=op.cluster_name or LAB_CLUSTER
            )
        binary = self.settings.upgrade_binary if op.binary == "upgrade" else None
        config = with_ports(op.config, self.settings.offset) if op.config else op.config
        if op.jetstream:
            # Each server keeps its own store in the run directory, across restarts.
            store = self.supervisor.run.path / "jetstream" / op.server
            config = jetstream.config_fragment(store) + (config or "")
        return walkthrough_spec(
            op.server,
            self.settings.offset,
            route_to=op.routes,
            expose=self.settings.expose,
            links=self.settings.links,
            log_flags=op.log_flags,
            config_fragment=config,
            cluster_name=op.cluster_name,
            binary=binary,
            jetstream=op.jetstream,
        )

    def client_url(self, server: str, host: str | None = None) -> str:
        """A client URL for a lab server; host='localhost' gives the walkthrough's spelling."""
        spec = self.supervisor.specs.get(server) or walkthrough_spec(server, self.settings.offset)
        return f"nats://{host}:{spec.ports.client}" if host else spec.client_url

    def monitor_url(self, server: str) -> str:
        spec = self.supervisor.specs.get(server) or walkthrough_spec(server, self.settings.offset)
        return spec.monitor_url

    def damage_target(self, op: DamageStore) -> tuple[Path | None, int]:
        """The newest message block of the server's replica of the stream, and the offset a
        damage of `op.size` bytes starts at (its middle); (None, 0) if there is none that
        large. filestore.go keeps them as <store>/jetstream/<account>/streams/<name>/msgs/N.blk."""
        store = self.supervisor.run.path / "jetstream" / op.server
        blocks = sorted(
            store.glob(f"jetstream/*/streams/{op.stream}/msgs/*.blk"),
            key=lambda p: int(p.stem) if p.stem.isdigit() else -1,
        )
        if not blocks or blocks[-1].stat().st_size <= op.size:
            return None, 0
        return blocks[-1], (blocks[-1].stat().st_size - op.size) // 2

    def backup_dir(self, stream: str) -> Path:
        """Where this run keeps its latest backup of `stream`."""
        return self.supervisor.run.path / "backups" / stream

    def pid_text(self, server: str) -> str:
        proc = self.supervisor.processes.get(server)
        return str(proc.pid) if proc is not None and proc.running else "<pid>"

    def palette(self, state: LabState) -> list[PaletteEntry]:
        """What the command palette offers right now, as LabState knows the lab."""
        return palette_entries(self, state)


def client_options(settings: ClientSettings) -> ClientOptions:
    """A lesson's or the palette's client settings as the lab's clients take them (one for
    one: the names are nats-py's)."""
    return ClientOptions(**dataclasses.asdict(settings))


def start_plan(servers: Sequence[str], subscribers: int = 0) -> list[PaletteEntry]:
    """How a lab starts, TUI and headless alike: each server, `subscribers` on the first
    one (by name, as `nats sub` gives the walkthrough's URL), then the route mesh, which
    ends with a poll, so LabState holds the mesh and every client before anyone shows it."""
    plan = [start_entry(name) for name in servers]
    if subscribers and servers:
        start = StartClients(count=subscribers, seeds=(servers[0],), host="localhost")
        plan.append(entry(start, "--subscribers"))
    if servers:
        plan.append(entry(WaitMesh(servers=tuple(servers))))
    return plan


# --- one performer per operation ---------------------------------------------------------


@performs(StartServer)
async def _start_server(op: StartServer, lab: Operator) -> Done:
    spec = lab.spec_for(op)
    proc = await lab.supervisor.start(spec, timeout=op.timeout)
    version = lab.supervisor.binaries[op.server].version
    return Done(
        f"started {op.server} (pid {proc.pid}, nats-server {version})",
        command=spec.walkthrough_command(),
        added=spec.added_command(lab.supervisor.run.config_path(spec.name)),
    )


@performs(StopServer)
async def _stop_server(op: StopServer, lab: Operator) -> Done:
    command = lab.by_hand(op)
    process = lab.supervisor.process(op.server)
    if not process.running:  # no signal of ours stops it now: say how it ended before
        how = "been stopped" if process.stop_requested else "exited on its own"
        said = f"{op.server} was not running: it had {how} earlier (exit code "
        return Done(f"{said}{process.returncode}), so there was nothing to stop", command=command)
    code = await lab.supervisor.stop(op.server, timeout=op.timeout)
    how = "with Ctrl+C (SIGINT)" if code >= 0 else f"by SIGKILL after {op.timeout:g} s"
    return Done(f"stopped {op.server} {how}; exit code {code}", command=command)


@performs(KillServer)
async def _kill_server(op: KillServer, lab: Operator) -> Done:
    command = lab.by_hand(op)
    await lab.supervisor.kill(op.server)
    return Done(f"killed {op.server} with SIGKILL", command=command)


@performs(LameDuck)
async def _lame_duck(op: LameDuck, lab: Operator) -> Done:
    command = lab.by_hand(op)
    lab.supervisor.lame_duck(op.server)
    return Done(f"sent SIGUSR2 to {op.server}: lame duck mode", command=command)


@performs(RestartServer)
async def _restart_server(op: RestartServer, lab: Operator) -> Done:
    supervisor = lab.supervisor
    binary = lab.settings.upgrade_binary if op.binary == "upgrade" else None
    before = supervisor.binaries.get(op.server)
    await supervisor.restart(op.server, binary=binary, timeout=op.timeout)
    after = supervisor.binaries[op.server]
    spec = supervisor.specs[op.server]
    if op.binary == "upgrade" and binary is None:
        what = f"the same nats-server {after.version} (no --upgrade-binary was given)"
    elif before is not None and before.path != after.path:
        what = f"nats-server {before.version} -> {after.version} ({after.path})"
    else:
        what = f"nats-server {after.version}"
    return Done(
        f"restarted {op.server} with {what}",
        command=spec.walkthrough_command(),
        added=spec.added_command(lab.supervisor.run.config_path(spec.name)),
    )


@performs(StartClients)
async def _start_clients(op: StartClients, lab: Operator) -> Done:
    seeds = [lab.client_url(s, op.host) for s in op.seeds]
    subs = await lab.fleet.start_subscribers(
        op.count, seeds, client_options(op.options), op.subject, op.prefix
    )
    names = f"{subs[0].name}..{subs[-1].name}" if len(subs) > 1 else subs[0].name
    receiving = ""
    if op.until_receiving:
        await lab.fleet.until_receiving(subs)
        receiving = ", each has had a message"
    return Done(
        f"started {counted(len(subs), 'subscriber')} ({names}){receiving}",
        command=lab.by_hand(op),
    )


@performs(StopClients)
async def _stop_clients(op: StopClients, lab: Operator) -> Done:
    fleet = lab.fleet
    names = [n for n in fleet.clients if op.prefix is None or n.startswith(f"{op.prefix}-")]
    await fleet.stop(names)
    return Done(f"stopped {counted(len(names), 'client')}")


@performs(StartPublisher)
async def _start_publisher(op: StartPublisher, lab: Operator) -> Done:
    seeds = [lab.client_url(s) for s in op.seeds]
    pub = await lab.fleet.start_publisher(seeds, op.rate, client_options(op.options), op.name)
    named = dataclasses.replace(op, name=pub.name)
    return Done(
        f"publishing {op.rate:g} msg/s on {pub.subject} as {pub.name}",
        command=lab.by_hand(named),
    )


@performs(StopPublisher)
async def _stop_publisher(op: StopPublisher, lab: Operator) -> Done:
    publisher = lab.fleet.clients.get(op.name)
    if isinstance(publisher, Publisher):
        sent = f"{publisher.published} messages"
    elif isinstance(publisher, LedgerPublisher):  # a ledger too: its acks stay for verifying
        sent = f"{len(publisher.acked)} acknowledged messages"
    else:
        raise ClientSetupError(f"There is no publisher named {op.name}.")
    await publisher.pause()
    lab.fleet.send_counts()
    return Done(f"{op.name} stopped publishing after {sent}")


@performs(WaitHealthz)
async def _wait_healthz(op: WaitHealthz, lab: Operator) -> Done:
    supervisor = lab.supervisor
    if op.server not in supervisor.specs:
        raise ServerStateError(f"Server {op.server} was never started, so it has no /healthz.")
    monitor_url = supervisor.specs[op.server].monitor_url
    loop = asyncio.get_running_loop()
    started = loop.time()

    async def healthy() -> bool:
        return await supervisor.monitor.healthz(monitor_url)

    if not await wait_until(healthy, op.timeout, 0.1, supervisor.clock):
        raise TimedOutError(f"{monitor_url}/healthz did not answer 200 within {op.timeout:g} s.")
    return Done(
        f"{monitor_url}/healthz answered 200 after {loop.time() - started:.1f} s",
        command=lab.by_hand(op),
    )


@performs(WaitStopped)
async def _wait_stopped(op: WaitStopped, lab: Operator) -> Done:
    proc = lab.supervisor.processes.get(op.server)
    if proc is None:
        raise ServerStateError(f"Server {op.server} was never started.")
    loop = asyncio.get_running_loop()
    started = loop.time()
    try:
        await asyncio.wait_for(proc.exited.wait(), op.timeout)
    except TimeoutError:
        raise TimedOutError(
            f"Server {op.server} was still running after {op.timeout:g} s."
        ) from None
    return Done(f"{op.server} exited (code {proc.returncode}) after {loop.time() - started:.1f} s")


@performs(WaitMesh)
async def _wait_mesh(op: WaitMesh, lab: Operator) -> Done:
    loop = asyncio.get_running_loop()
    started = loop.time()
    await lab.supervisor.wait_for_mesh(op.servers, timeout=op.timeout)
    await lab.supervisor.poll()  # so LabState holds the mesh it waited for
    took = loop.time() - started
    return Done(f"every one of {', '.join(op.servers)} routes to the others ({took:.1f} s)",
                command=lab.by_hand(op))  # fmt: skip


@performs(Pause)
async def _pause(op: Pause, lab: Operator) -> Done:
    await lab.supervisor.clock.sleep(op.seconds)
    return Done(f"paused {op.seconds:g} s")


@performs(ExpectRefusal)
async def _expect_refusal(op: ExpectRefusal, lab: Operator) -> Done:
    what = title(op.action)
    try:
        done = await lab.perform(op.action)
    except NatslabError as exc:
        said = str(exc)
        if not re.search(op.says, said):
            raise ServerStateError(
                f"{what} was refused, but not in the words expected ({op.says!r}): {said}"
            ) from exc
        return Done(f"refused, as expected: {said}", command=lab.by_hand(op))
    raise ServerStateError(
        f"{what} was expected to be refused ({op.says!r}), and was done: {done.detail}."
    )


@performs(ToggleClientSwitch)
async def _toggle(op: ToggleClientSwitch, lab: Operator) -> Done:
    value = not getattr(lab.palette_clients, op.switch)
    flipped: dict[str, Any] = {op.switch: value}
    lab.palette_clients = dataclasses.replace(lab.palette_clients, **flipped)
    state = "on" if value else "off"
    return Done(f"{op.switch} is {state} for new clients", command=lab.by_hand(op))
