"""One natslab run, the composition root: binary, run directory, servers, clients, state, logs."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, Literal

from natslab.bus import EventBus
from natslab.clients.fleet import Fleet
from natslab.cluster.binary import ServerBinary
from natslab.cluster.leftovers import find_leftovers
from natslab.cluster.ports import ServerPorts, ports_for
from natslab.cluster.rundir import RunDir
from natslab.cluster.supervisor import Supervisor
from natslab.cluster.versions import find
from natslab.errors import NatslabError
from natslab.lab import (
    jetstream_ops,  # noqa: F401  (registers the JetStream performers)
    lifecycle,
)
from natslab.lab.jetstream_watch import JetStreamWatch
from natslab.lab.operations import Done, Operation, PaletteEntry
from natslab.lab.operator import Operator
from natslab.lab.polling import PollPacer
from natslab.lab.recorder import EventRecorder
from natslab.lab.run_session import RunSession
from natslab.lab.settings import RunSettings
from natslab.state import ActionTaken


class LabSession(RunSession):
    """A run whose servers are this lab's own processes: the supervisor, the fleet of
    clients, and the operator that acts on them; `run` drives a coroutine and always stops
    every client and server. It is the `Lab` that lessons see (state, logs, settings,
    perform, emit), and nothing more is asked of it."""

    operator: Operator

    def __init__(
        self, binary: ServerBinary, run: RunDir, settings: RunSettings | None = None
    ) -> None:
        bus = EventBus()
        super().__init__(bus, run, EventRecorder(run.path))
        self.binary = binary
        self.settings = settings or RunSettings()
        self.bus.subscribe(JetStreamWatch(self.state, self.bus))  # after LabState: it reads it
        self.bus.subscribe(self.recorder)
        self.supervisor = Supervisor(binary, run, self.bus)
        self.fleet = Fleet(self.bus)
        self.operator = Operator(self.supervisor, self.fleet, self.settings)
        self._poller: asyncio.Task[None] | None = None
        self.pacer: PollPacer | None = None

    @classmethod
    def open(
        cls,
        nats_server: str | None = None,
        runs_base: Path | None = None,
        settings: RunSettings | None = None,
    ) -> LabSession:
        """Find the binary first, so a missing one fails before any folder is made."""
        binary = find(nats_server)
        leftovers = find_leftovers(runs_base)
        session = cls(binary, RunDir.create(runs_base), settings)
        session.leftovers = leftovers
        return session

    def start_polling(self, interval: float = 0.5, idle_interval: float | None = None) -> None:
        """Poll the monitoring endpoints in the background until the session closes; with
        `idle_interval`, that slowly while nothing changes (see PollPacer)."""
        if self._poller is None:
            self.pacer = PollPacer(self.state, self.supervisor.poll, interval, idle_interval,
                                   report=self.bus.emit)  # fmt: skip
            self.bus.subscribe(self.pacer)
            self._poller = asyncio.create_task(self.pacer.run(), name="monitor polling")

    def _abandon(self) -> None:
        """Last resort: SIGKILL every server before leaving; the run directory stays."""
        self.supervisor.kill_all_now()
        self.run_dir.finish()  # may fail (the run directory was deleted): leave regardless

    def client_url(self, server: str, host: str | None = None) -> str:
        """A client URL for a lab server; host='localhost' gives the walkthrough's spelling."""
        return self.operator.client_url(server, host)

    # --- what a lesson sees (lessons.port.Lab) ------------------------------------------

    async def perform(self, op: Operation) -> Done:
        """Run one operation of the shared vocabulary (palette and lessons alike)."""
        return await self.operator.perform(op)

    def by_hand(self, op: Operation) -> str:
        return self.operator.by_hand(op)

    async def take(self, entry: PaletteEntry) -> Done:
        """Run what the user chose (a palette entry, or the lab's own start-up) and record it,
        done or refused, for the timeline and the report."""
        try:
            done = await self.operator.perform(entry.operation)
        except NatslabError as exc:
            self.emit(ActionTaken(title=entry.title, ok=False, detail=str(exc)))
            raise
        self.emit(ActionTaken(title=entry.title, ok=True, detail=done.detail, command=done.command))
        return done

    def palette(self) -> list[PaletteEntry]:
        """What the command palette offers right now, from what LabState knows."""
        return self.operator.palette(self.state)

    def as_lab(self) -> LabSession:
        """The lab a lesson acts on: this session (a watch has none)."""
        return self

    def ports(self, server: str) -> ServerPorts:
        """A server's ports: as started, else where this run's offset puts them."""
        spec = self.supervisor.specs.get(server)
        return spec.ports if spec else ports_for(server, self.settings.offset)

    def expected_version(self, binary: Literal["default", "upgrade"]) -> str:
        """The version of the starting binary, or of the upgrade binary (the same when no
        upgrade binary was given)."""
        upgrade = self.settings.upgrade_binary
        if binary == "upgrade" and upgrade is not None:
            return self.supervisor.binary_at(upgrade).version
        return self.binary.version

    async def stop_everything(self) -> None:
        """Every client, then every server: what a failed or interrupted lesson leaves."""
        await self.fleet.stop()
        await self.supervisor.stop_all()

    async def close(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        try:
            await self.fleet.aclose()
            await self.supervisor.aclose()
        finally:
            self.supervisor.kill_all_now()
            self.finish()

    def run(
        self,
        main: Callable[[LabSession], Coroutine[Any, Any, int]],
        stop: Callable[[int], None] | None = None,
    ) -> int:
        """Run main until it returns or a signal arrives, and always stop every client and
        server (lab/lifecycle.py); on SIGHUP the servers are interrupted at once, and a run
        that cannot clean up SIGKILLs them and leaves its run directory."""
        return lifecycle.run(
            lambda: main(self), self.close, stop,
            hangup=self.supervisor.interrupt_all_now, last_resort=self._abandon,
        )  # fmt: skip
