"""Performs the lab's operations on one run's servers and clients, and says how to do each
by hand: one performer and one by-hand command per operation, for the palette and lessons."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from natslab.clients.client import SEQ_SUBJECT_PREFIX, ClientOptions, Publisher
from natslab.clients.fleet import Fleet
from natslab.clients.ledger import LedgerPublisher
from natslab.clock import wait_until
from natslab.cluster import jetstream
from natslab.cluster.ports import SERVER_NAMES, link_port, with_ports
from natslab.cluster.spec import ServerSpec, walkthrough_spec
from natslab.cluster.supervisor import Supervisor
from natslab.errors import ClientSetupError, ServerStateError, TimedOutError
from natslab.lab.jetstream_palette import jetstream_entries
from natslab.lab.operations import (
    CLIENT_SWITCHES,
    BackupStream,
    BlackholeLink,
    ClientSettings,
    CreateStream,
    CutLink,
    DamageStore,
    DelayLink,
    DeleteStream,
    Done,
    EditConfig,
    EditStream,
    HealLink,
    KillServer,
    LameDuck,
    MoveLeader,
    Operation,
    PaletteEntry,
    Pause,
    PauseServer,
    ProbeJetStream,
    PromoteMirror,
    ReloadConfig,
    RemoveServer,
    RemoveStreamPeer,
    RestartServer,
    RestoreStream,
    ResumeServer,
    SendRequests,
    StartClients,
    StartLedger,
    StartPublisher,
    StartResponders,
    StartServer,
    StopClients,
    StopPublisher,
    StopServer,
    ToggleClientSwitch,
    ValidateConfig,
    VerifyLedger,
    WaitHealthz,
    WaitMesh,
    WaitStopped,
    WipeStore,
)
from natslab.lab.settings import RunSettings
from natslab.lab.titles import entry
from natslab.state import LabState, ServerState
from natslab.words import counted

# --- performing them ---------------------------------------------------------------------

LAB_CLUSTER = "lab"  # the cluster name of a free-form lab run with --jetstream
PALETTE_DELAY_MS = 250  # a link delay the palette offers: plain to see in a round trip

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

    def by_hand(self, op: Operation) -> str:
        """The one command a learner would type to do the same (empty where none exists);
        a natscli command names the server it goes through, which under a port offset is
        not natscli's default of localhost:4222."""
        command = self._command(op)
        through = self._through(op)
        if not command.startswith("nats ") or through is None or " -s " in command:
            return command
        said, hash_, why = command.partition("   #")
        return f"{said} -s {through}{hash_}{why}"

    def _through(self, op: Operation) -> str | None:
        """The client URL a natscli command for `op` goes through, if it has one."""
        match op:
            case RemoveServer() | RemoveStreamPeer():
                return self.client_url(op.through)
            case StartLedger():
                return self.client_url(op.seeds[0])
            case VerifyLedger():
                ledger = self.fleet.clients.get(op.name)
                return ledger.seeds[0] if ledger is not None and ledger.seeds else None
            case (
                CreateStream() | EditStream() | PromoteMirror() | BackupStream() | DeleteStream()
                | RestoreStream() | MoveLeader()
            ):  # fmt: skip
                return self.client_url(op.server)
        return None

    def _command(self, op: Operation) -> str:
        match op:
            case StartServer():
                return self.spec_for(op).walkthrough_command()
            case RestartServer():
                spec = self.supervisor.specs.get(op.server)
                return spec.walkthrough_command() if spec else ""
            case StopServer():
                return f"kill -INT {self._pid(op.server)}    # Ctrl+C in {op.server}'s terminal"
            case KillServer():
                return f"kill -KILL {self._pid(op.server)}"
            case LameDuck():
                return f"nats-server --signal ldm={self._pid(op.server)}"
            case EditConfig():
                return f"$EDITOR {self.supervisor.run.config_path(op.server)}"
            case ValidateConfig():
                return f"nats-server -t -c {self.supervisor.run.config_path(op.server)}"
            case ReloadConfig(via="system"):
                return (
                    f"nats server config reload <{op.server}'s server id> -f --user "
                    f"{jetstream.SYSTEM_USER} --password {jetstream.SYSTEM_PASSWORD} "
                    f"-s {self.client_url(op.server)}"
                    f"   # the id: curl -s {self._monitor_url(op.server)}/varz"
                )
            case ReloadConfig():
                return f"nats-server --signal reload={self._pid(op.server)}"
            case StartClients():
                seeds = ",".join(self.client_url(s, op.host) for s in op.seeds)
                return f'nats sub -s {seeds} "{op.subject}"'
            case StartResponders():
                seeds = ",".join(self.client_url(s) for s in op.seeds)
                each = f"   # one each for {op.prefix}-1..{op.count}" if op.count > 1 else ""
                return f"nats reply -s {seeds} {op.subject} {op.prefix}-1 --queue {op.queue}{each}"
            case SendRequests():
                return (
                    f"nats request -s {self.client_url(op.server)} {op.subject} ping "
                    f"--count {op.count}"
                )
            case StartPublisher():
                seeds = ",".join(self.client_url(s) for s in op.seeds)
                subject = f"{SEQ_SUBJECT_PREFIX}{op.name or 'pub-N'}"
                sleep = f"{1000 / op.rate:g}ms"
                body = "'{{.Count}}'"
                return f"nats pub -s {seeds} {subject} --count 1000000 --sleep {sleep} {body}"
            case WaitHealthz():
                return f"curl {self._monitor_url(op.server)}/healthz"
            case WaitMesh():
                return f"curl {self._monitor_url(op.servers[0])}/routez"
            case ToggleClientSwitch():
                return CLIENT_SWITCHES[op.switch]
            case CreateStream():
                source = (
                    f"--mirror {op.mirror}"
                    if op.mirror
                    else f'--subjects "{",".join(op.subjects)}"'
                )
                tags = "".join(f" --tag {tag}" for tag in op.tags)
                return (
                    f"nats stream add {op.name} {source} --replicas {op.replicas} "
                    f"--storage {op.storage}{tags} --defaults"
                )
            case BackupStream():
                return f"nats stream backup {op.name} {self.backup_dir(op.name)}"
            case DeleteStream():
                return f"nats stream rm {op.name} -f"
            case RestoreStream():
                return f"nats stream restore {self.backup_dir(op.name)}"
            case PromoteMirror():
                subjects = f' --subjects "{",".join(op.subjects)}"' if op.subjects else ""
                return f"nats stream edit {op.name} --no-mirror{subjects} -f"
            case EditStream():
                replicas = f" --replicas {op.replicas}" if op.replicas is not None else ""
                if op.tags is None:
                    tags = ""
                else:  # natscli's --tag, once per tag; no tag at all: an empty one
                    tags = "".join(f" --tag {t}" for t in op.tags) or ' --tag ""'
                return f"nats stream edit {op.name}{replicas}{tags} -f"
            case StartLedger():
                sleep, body = f"{1000 / op.rate:g}ms", "'{{.Count}}'"
                return (
                    f"nats pub --jetstream {op.subject} --count 1000000 --sleep {sleep} {body}"
                    "   # unlike the ledger: no Nats-Msg-Id, the default ack timeout, no retry"
                )
            case VerifyLedger():
                return f"nats stream info {op.stream}"
            case RemoveServer():
                return f"nats server cluster peer-remove {op.server} -f --user sys --password sys"
            case RemoveStreamPeer():
                return f"nats stream cluster peer-remove {op.stream} {op.server} -f"
            case DamageStore():
                block, at = self.damage_target(op)
                return (
                    f"head -c {op.size} /dev/zero | tr '\\0' '\\377' | "
                    f"dd of={block or '<newest .blk>'} bs=1 seek={at} conv=notrunc"
                )
            case WipeStore():
                return f"rm -rf {self.supervisor.run.path / 'jetstream' / op.server}"
            case PauseServer():
                return f"kill -STOP {self._pid(op.server)}"
            case ResumeServer():
                return f"kill -CONT {self._pid(op.server)}"
            case ProbeJetStream(request="publish"):
                return f"nats pub --jetstream {op.subject} probe -s {self.client_url(op.server)}"
            case ProbeJetStream(request="create_stream"):
                return (
                    f'nats stream add {op.stream} --subjects "{op.stream.lower()}.>" '
                    f"--replicas {op.replicas} --defaults -s {self.client_url(op.server)}"
                )
            case ProbeJetStream():
                return f"nats account info -s {self.client_url(op.server)}"
            case MoveLeader():
                # natscli: a bare step-down elects at random (possibly the server about to
                # stop); --preferred / --host ask for the server natslab asks for.
                if op.stream:
                    preferred = f" --preferred {op.to}" if op.to else ""
                    return f"nats stream cluster step-down {op.stream}{preferred}"
                host = f" --host {op.to}" if op.to else ""
                return f"nats server cluster step-down{host} --user sys --password sys"
            case CutLink():
                return self._by_proxy(op.servers, "close their connections and refuse new ones")
            case BlackholeLink():
                return self._by_proxy(op.servers, "keep their connections and pass nothing")
            case DelayLink():
                late = f"{op.ms:g} ms" + (f" + up to {op.jitter_ms:g} ms" if op.jitter_ms else "")
                return self._by_proxy(op.servers, f"pass everything {late} late")
            case HealLink():
                return self._by_proxy(op.servers, "pass everything again")
        return ""

    def _by_proxy(self, servers: tuple[str, str], what: str) -> str:
        """A link has no nats command: say which of natslab's proxies do what."""
        a, b = servers
        there, back = (link_port(x, y, self.settings.offset) for x, y in ((a, b), (b, a)))
        return (
            f"# no nats command: natslab's link proxies {a}->{b} (127.0.0.1:{there}) and "
            f"{b}->{a} (127.0.0.1:{back}) {what}"
        )

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

    def _monitor_url(self, server: str) -> str:
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

    def _pid(self, server: str) -> str:
        proc = self.supervisor.processes.get(server)
        return str(proc.pid) if proc is not None and proc.running else "<pid>"

    # --- the palette -------------------------------------------------------------------

    def palette(self, state: LabState) -> list[PaletteEntry]:
        """What can be done right now, as LabState knows the lab: running servers can be
        stopped, others started."""
        entries: list[PaletteEntry] = []
        for name in SERVER_NAMES[:5]:
            view = state.servers.get(name)
            if view is None or not view.up:
                entries += [start_entry(name), entry(StartServer(server=name, routes=()))]
                continue
            options = self.palette_clients
            entries += [
                entry(StopServer(server=name)),
                entry(KillServer(server=name)),
                entry(LameDuck(server=name)),
                entry(ResumeServer(server=name))
                if view.state == ServerState.PAUSED
                else entry(PauseServer(server=name)),
                entry(RestartServer(server=name)),
                *self._config_entries(name),
                entry(StartClients(count=5, seeds=(name,), options=options)),
                entry(StartPublisher(name=None, seeds=(name,), rate=100, options=options)),
                entry(StartResponders(seeds=(name,), options=options)),
                entry(SendRequests(server=name)),
            ]
            if self.settings.upgrade_binary is not None:
                entries.append(entry(RestartServer(server=name, binary="upgrade")))
        entries += self._link_entries(state)
        entries += jetstream_entries(
            state, self._ledger(), self._stopped_stores(), self._backed_up()
        )
        for switch in CLIENT_SWITCHES:
            now = "on" if getattr(self.palette_clients, switch) else "off"
            entries.append(entry(ToggleClientSwitch(switch=switch), f"now {now}"))
        return entries

    def _ledger(self) -> str | None:
        """The running ledger's name, if there is one."""
        found = (n for n, c in self.fleet.clients.items() if isinstance(c, LedgerPublisher))
        return next(found, None)

    def _stopped_stores(self) -> list[str]:
        """Stopped servers that keep a JetStream store in this run."""
        supervisor = self.supervisor
        return [
            name
            for name, spec in sorted(supervisor.specs.items())
            if spec.jetstream
            and not supervisor.is_running(name)
            and (supervisor.run.path / "jetstream" / name).exists()
        ]

    def _backed_up(self) -> list[str]:
        """The streams this run holds a backup of."""
        found = self.backup_dir("LEDGER").parent
        return sorted(p.name for p in found.iterdir() if p.is_dir()) if found.is_dir() else []

    def _link_entries(self, state: LabState) -> list[PaletteEntry]:
        """For a run whose routes go through link proxies: each link between two running
        servers can be cut, black-holed or delayed while it passes, and healed when not."""
        links = self.supervisor.links
        if links is None:
            return []
        up = [n for n in SERVER_NAMES[:5] if (view := state.servers.get(n)) and view.up]
        entries: list[PaletteEntry] = []
        for i, a in enumerate(up):
            for b in up[i + 1 :]:
                pair = (a, b)
                mode = links.mode(a, b)
                if mode.kind == "pass":
                    entries += [
                        entry(CutLink(servers=pair)),
                        entry(BlackholeLink(servers=pair)),
                        entry(DelayLink(servers=pair, ms=PALETTE_DELAY_MS, jitter_ms=50)),
                    ]
                else:
                    entries.append(entry(HealLink(servers=pair), f"now {mode.words()}"))
        return entries

    def _config_entries(self, name: str) -> list[PaletteEntry]:
        """Validate and reload, for a server started with a config file (edit it yourself:
        the palette shows where it is)."""
        spec = self.supervisor.specs.get(name)
        if spec is None or not spec.config_fragment:
            return []
        where = str(self.supervisor.run.config_path(name))
        return [entry(ValidateConfig(server=name), where), entry(ReloadConfig(server=name))]


def client_options(settings: ClientSettings) -> ClientOptions:
    """A lesson's or the palette's client settings as the lab's clients take them (one for
    one: the names are nats-py's)."""
    return ClientOptions(**dataclasses.asdict(settings))


def start_entry(name: str) -> PaletteEntry:
    """Starting a server the walkthrough's way: in the palette and at a lab's start alike."""
    return entry(StartServer(server=name))


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


@performs(ToggleClientSwitch)
async def _toggle(op: ToggleClientSwitch, lab: Operator) -> Done:
    value = not getattr(lab.palette_clients, op.switch)
    flipped: dict[str, Any] = {op.switch: value}
    lab.palette_clients = dataclasses.replace(lab.palette_clients, **flipped)
    state = "on" if value else "off"
    return Done(f"{op.switch} is {state} for new clients", command=lab.by_hand(op))
