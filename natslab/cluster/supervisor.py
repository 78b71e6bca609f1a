"""The set of servers natslab runs: start, stop, kill, lame duck, restart and upgrade them."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from natslab.bus import EventBus
from natslab.clock import SYSTEM_CLOCK, Clock, Deadline, wait_until
from natslab.cluster import events as ev
from natslab.cluster.binary import ServerBinary, inspect_binary
from natslab.cluster.link import LinkSet
from natslab.cluster.logformat import exit_reason
from natslab.cluster.monitor import Monitor
from natslab.cluster.ports import ensure_free
from natslab.cluster.process import Emit, ServerProcess
from natslab.cluster.rundir import RunDir, ServerRecord, process_started_at
from natslab.cluster.snapshot import ServerStatus
from natslab.cluster.spec import ServerSpec
from natslab.errors import ServerStartError, ServerStateError, TimedOutError, UnknownServerError

READY_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
VALIDATE_TIMEOUT = 10.0
# nats-server's two answers to SIGHUP: reload.go Reload ("Reloaded server configuration
# (digest)") and signal.go handleSignals ("Failed to reload server configuration: why").
RELOAD_VERDICT = re.compile(r"Reloaded server configuration|Failed to reload server configuration")
# How a server process is made; tests may hand in another factory (as honcho's manager does).
ProcessFactory = Callable[[str, Sequence[str], Path, Emit], ServerProcess]


class Supervisor:
    """Owns every server process natslab starts, and tells listeners what happens to them."""

    def __init__(
        self,
        binary: ServerBinary,
        run: RunDir,
        bus: EventBus | None = None,
        monitor: Monitor | None = None,
        process_factory: ProcessFactory = ServerProcess,
        clock: Clock = SYSTEM_CLOCK,
        links: LinkSet | None = None,
    ) -> None:
        self.default_binary = binary
        self.run = run
        self.bus = bus or EventBus()
        self.monitor = monitor or Monitor()
        self.specs: dict[str, ServerSpec] = {}
        self.processes: dict[str, ServerProcess] = {}
        self.binaries: dict[str, ServerBinary] = {}
        self._inspected: dict[Path, ServerBinary] = {binary.path: binary}
        self._new_process = process_factory
        self.clock = clock
        self.links = links  # the run's link proxies, when its routes go through them

    # --- events ------------------------------------------------------------------------

    def subscribe(self, listener: Emit) -> None:
        self.bus.subscribe(listener)

    def _emit(self, event: ev.ClusterEvent) -> None:
        if isinstance(event, ev.ServerExited):
            self.run.forget(event.server)
            if self.links is not None:
                self.links.target_exited(event.server)
        self.bus.emit(event)

    # --- queries -----------------------------------------------------------------------

    def process(self, name: str) -> ServerProcess:
        if name not in self.processes:
            known = ", ".join(sorted(self.specs)) or "none"
            raise UnknownServerError(f"There is no server {name} in this lab (servers: {known}).")
        return self.processes[name]

    def is_running(self, name: str) -> bool:
        return name in self.processes and self.processes[name].running

    def running(self) -> list[str]:
        return [name for name, proc in self.processes.items() if proc.running]

    def binary_at(self, path: Path) -> ServerBinary:
        """The binary at path, with its version read once."""
        resolved = path.expanduser().resolve()
        if resolved not in self._inspected:
            self._inspected[resolved] = inspect_binary(path, source="lab")
        return self._inspected[resolved]

    # --- operations --------------------------------------------------------------------

    async def start(self, spec: ServerSpec, timeout: float = READY_TIMEOUT) -> ServerProcess:
        """Start a server and wait until it is ready; on failure nothing is left running."""
        if self.is_running(spec.name):
            raise ServerStateError(
                f"Server {spec.name} is already running (pid {self.processes[spec.name].pid})."
            )
        binary = self.binary_at(spec.binary) if spec.binary else self.default_binary
        ensure_free(spec.name, spec.ports, spec.bind or "0.0.0.0")
        if spec.advertise is not None:
            if self.links is None:
                raise ServerStateError(
                    f"Server {spec.name} routes through link proxies, and this run has none."
                )
            await self.links.prepare(spec.name, spec.link_targets)
        config_path = None
        if spec.config_fragment:
            config_path = self.run.config_path(spec.name)
            config_path.write_text(spec.config_text())
        argv = spec.argv(binary.path, config_path)
        proc = self._new_process(spec.name, argv, self.run.log_path(spec.name), self._emit)
        # The fork happens inside spawn(), but a busy event loop (a TUI drawing under load)
        # can resume this coroutine much later: time the start from the request, or every
        # "n ms after it started" measured against it comes out short.
        asked_at = time.time()
        await proc.spawn()
        assert proc.pid is not None
        self.specs[spec.name] = spec
        self.processes[spec.name] = proc
        self.binaries[spec.name] = binary
        self.run.record(
            ServerRecord(
                name=spec.name,
                pid=proc.pid,
                create_time=process_started_at(proc.pid),
                argv=list(argv),
                client_port=spec.ports.client,
                cluster_port=spec.ports.cluster,
                monitor_port=spec.ports.monitor,
                binary=str(binary.path),
                version=binary.version,
            )
        )
        self._emit(
            ev.ServerStarted(
                server=spec.name,
                at=asked_at,
                pid=proc.pid,
                argv=tuple(argv),
                binary=binary.path,
                version=binary.version,
                client_port=spec.ports.client,
                cluster_port=spec.ports.cluster,
                monitor_port=spec.ports.monitor,
            )
        )
        try:
            await self.wait_ready(spec.name, timeout)
        except BaseException:
            await proc.kill()
            raise
        if self.links is not None:
            await self.links.target_started(spec.name)
        return proc

    async def wait_ready(self, name: str, timeout: float = READY_TIMEOUT) -> None:
        """Until the log says `Server is ready` or /healthz answers 200; fail if it exits."""
        proc = self.process(name)
        spec = self.specs[name]
        deadline = Deadline(timeout, self.clock)
        while not proc.ready.is_set():
            if proc.exited.is_set():
                raise ServerStartError(self._exit_sentence(name, proc))
            if await self.monitor.healthz(spec.monitor_url):
                return
            if deadline.expired:
                raise ServerStartError(
                    f"Server {name} did not become ready within {timeout:g} s; "
                    f"its log is {proc.log_path}."
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(
                    _first(proc.ready, proc.exited), min(0.2, max(deadline.remaining, 0.01))
                )

    async def stop(self, name: str, timeout: float = STOP_TIMEOUT) -> int:
        """Stop as Ctrl+C does: SIGINT, then SIGKILL if it is still there after `timeout`."""
        return await self.process(name).stop(timeout)

    async def kill(self, name: str) -> int:
        return await self.process(name).kill()

    def lame_duck(self, name: str) -> None:
        """SIGUSR2: the server stops accepting clients and closes its own over its duration."""
        proc = self.process(name)
        # The exit that follows is one natslab asked for, just slowly.
        proc.stop_requested = True
        if not proc.signal(signal.SIGUSR2):
            raise ServerStateError(
                f"Server {name} is not running, so it cannot enter lame duck mode."
            )

    def rewrite_config(self, name: str, fragment: str) -> Path:
        """Write `name`'s config file anew; the server reads it at its next reload or start."""
        spec = self.specs.get(name)
        if spec is None:
            raise UnknownServerError(f"Server {name} was never started, so it has no config file.")
        if not spec.config_fragment:
            raise ServerStateError(
                f"Server {name} was started without a config file (-c), so a reload would "
                "have nothing to read; start it with a config."
            )
        self.specs[name] = spec = dataclasses.replace(spec, config_fragment=fragment)
        path = self.run.config_path(name)
        path.write_text(spec.config_text())
        return path

    async def validate_config(self, name: str) -> tuple[bool, str]:
        """`nats-server -t -c FILE` with the binary `name` runs: (valid, what it said)."""
        self.process(name)
        path = self.run.config_path(name)
        if not path.exists():
            raise ServerStateError(f"Server {name} has no config file to validate.")
        binary = self.binaries.get(name, self.default_binary).path
        proc = await asyncio.create_subprocess_exec(
            str(binary), "-t", "-c", str(path),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), VALIDATE_TIMEOUT)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise TimedOutError(
                f"nats-server -t did not finish within {VALIDATE_TIMEOUT:g} s."
            ) from None
        return proc.returncode == 0, out.decode("utf-8", errors="replace").strip()

    async def reload(self, name: str, timeout: float = VALIDATE_TIMEOUT) -> str:
        """SIGHUP, then the server's verdict from its log: the line that says it reloaded,
        or the one that says why it would not (the old configuration then runs on)."""
        proc = self.process(name)
        seen = proc.line_count
        if not proc.signal(signal.SIGHUP):
            raise ServerStateError(f"Server {name} is not running, so it cannot reload.")
        return await self.reload_verdict(name, seen, timeout)

    async def reload_verdict(self, name: str, seen: int, timeout: float) -> str:
        """The first reload verdict in `name`'s log after its first `seen` lines."""
        proc = self.process(name)

        async def verdict() -> str | None:
            fresh = list(proc.lines)[-(proc.line_count - seen) :] if proc.line_count > seen else []
            return next((line for line in fresh if RELOAD_VERDICT.search(line)), None)

        said = await wait_until(verdict, timeout, 0.05, self.clock)
        if said is None:
            raise TimedOutError(
                f"Server {name} said nothing about the reload within {timeout:g} s."
            )
        return said

    async def restart(
        self, name: str, binary: Path | None = None, timeout: float = READY_TIMEOUT
    ) -> ServerProcess:
        """Stop (if running) and start again, optionally with another binary: the upgrade."""
        self.process(name)
        spec = self.specs[name]
        if binary is not None:
            self.binary_at(binary)  # fail on a bad binary before stopping the good one
            spec = spec.with_binary(binary)
        if self.is_running(name):
            await self.stop(name)
        return await self.start(spec, timeout)

    async def stop_all(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop every running server at once."""
        await asyncio.gather(*(self.stop(name, timeout) for name in self.running()))

    def interrupt_all_now(self) -> None:
        """Synchronous SIGINT to every server, without waiting for any of them."""
        for proc in self.processes.values():
            proc.interrupt_now()

    def kill_all_now(self) -> None:
        """Synchronous SIGKILL to every server: the path of last resort."""
        for proc in self.processes.values():
            proc.kill_now()

    async def aclose(self) -> None:
        try:
            await self.stop_all()
        finally:
            if self.links is not None:
                await self.links.aclose()
        await self.monitor.aclose()

    # --- monitoring --------------------------------------------------------------------

    async def status(self, name: str) -> ServerStatus:
        proc = self.process(name)
        if not proc.running:
            return ServerStatus(server=name, up=False, error="not running")
        spec = self.specs[name]
        return await self.monitor.poll(
            name,
            spec.monitor_url,
            proc.pid,
            js=spec.jetstream,
            leaf=spec.leafnodes,
            gateway=spec.gateways,
        )

    async def statuses(self, names: Iterable[str] | None = None) -> dict[str, ServerStatus]:
        names = list(names if names is not None else self.processes)
        results = await asyncio.gather(*(self.status(n) for n in names))
        return dict(zip(names, results, strict=True))

    async def poll(self) -> dict[str, ServerStatus]:
        """Poll every running server once and tell listeners what was seen."""
        statuses = await self.statuses(self.running())
        for status in statuses.values():
            self._emit(ev.ServerPolled(server=status.server, status=status))
        return statuses

    async def wait_for_mesh(
        self, names: Iterable[str], timeout: float = 15.0, interval: float = 0.1
    ) -> dict[str, ServerStatus]:
        """Until every named server has every other one as a route peer."""
        names = sorted(names)
        last: dict[str, ServerStatus] = {}

        async def meshed() -> dict[str, ServerStatus] | None:
            last.update(await self.statuses(names))
            return None if mesh_gaps(last) else dict(last)

        statuses = await wait_until(meshed, timeout, interval, self.clock)
        if statuses is None:
            raise TimedOutError(
                f"The route mesh of {', '.join(names)} did not form within {timeout:g} s: "
                + "; ".join(mesh_gaps(last))
                + "."
            )
        return statuses

    # --- helpers -----------------------------------------------------------------------

    def _exit_sentence(self, name: str, proc: ServerProcess) -> str:
        config = self.run.config_path(name)
        where = f"config: {config}; " if self.specs[name].config_fragment else ""
        return (
            f"Server {name} exited with code {proc.returncode} before it was ready: "
            f"{exit_reason(proc.lines)} ({where}full log: {proc.log_path})."
        )


def mesh_gaps(statuses: dict[str, ServerStatus]) -> list[str]:
    """What keeps these servers from being a full mesh, as short phrases; empty when it is one."""
    gaps = []
    for name, status in statuses.items():
        if not status.up:
            gaps.append(f"{name} is not answering")
            continue
        lacking = sorted(set(statuses) - {name} - status.peer_names)
        if lacking:
            gaps.append(f"{name} has no route to {', '.join(lacking)}")
    return gaps


async def _first(*events: asyncio.Event) -> None:
    waiters = [asyncio.ensure_future(e.wait()) for e in events]
    try:
        await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
