"""The lab's own servers as a run's source: the binary, the supervisor, the fleet of clients,
the operator that acts on them and the pacer that polls them. It is also the `Lab` a lesson
sees (state, logs, settings, perform, emit), and nothing more is asked of it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Literal, TypeAlias

from natslab.clients.fleet import Fleet
from natslab.cluster.binary import ServerBinary
from natslab.cluster.leftovers import find_leftovers
from natslab.cluster.link import LinkSet
from natslab.cluster.ports import ServerPorts, ports_for
from natslab.cluster.rundir import RunDir
from natslab.cluster.supervisor import Supervisor
from natslab.cluster.versions import find
from natslab.lab import (
    backup_ops,  # noqa: F401  (registers backup, delete and restore)
    config_ops,  # noqa: F401  (registers the config performers)
    jetstream_admin,  # noqa: F401  (registers the membership performers)
    jetstream_ops,  # noqa: F401  (registers the JetStream performers)
    jetstream_probe,  # noqa: F401  (registers the probe)
    link_ops,  # noqa: F401  (registers the link performers)
    request_ops,  # noqa: F401  (registers the responders and requests)
)
from natslab.lab.jetstream_watch import JetStreamWatch
from natslab.lab.operations import Done, Operation
from natslab.lab.operator import Operator
from natslab.lab.polling import PollPacer
from natslab.lab.session import RunCore, Session
from natslab.lab.settings import RunSettings


class LocalServers:
    """Servers and clients this lab starts; closing it always stops every one of them."""

    def __init__(self, core: RunCore, binary: ServerBinary, settings: RunSettings) -> None:
        self.bus, self.state, self.logs = core.bus, core.state, core.logs
        self.binary, self.settings = binary, settings
        self.bus.subscribe(JetStreamWatch(self.state, self.bus))  # after LabState: it reads it
        links = LinkSet(settings.offset) if settings.links else None
        self.supervisor = Supervisor(binary, core.run_dir, self.bus, links=links)
        self.fleet = Fleet(self.bus)
        self.operator = Operator(self.supervisor, self.fleet, settings)
        self._poller: asyncio.Task[None] | None = None
        self.pacer: PollPacer | None = None

    # --- the source (lab.session.Source) ------------------------------------------------

    def start(self, interval: float = 0.5, idle_interval: float | None = None) -> None:
        """Poll the monitoring endpoints in the background until the run closes; with
        `idle_interval`, that slowly while nothing changes (see PollPacer)."""
        if self._poller is None:
            self.pacer = PollPacer(self.state, self.supervisor.poll, interval, idle_interval,
                                   report=self.bus.emit)  # fmt: skip
            self.bus.subscribe(self.pacer)
            self._poller = asyncio.create_task(self.pacer.run(), name="monitor polling")

    def waiting(self) -> str:
        return ""  # the lab's panes stand from the start: its servers are about to be

    def as_lab(self) -> LocalServers:
        return self

    def interrupt_now(self) -> None:
        self.supervisor.interrupt_all_now()

    def abandon_now(self) -> None:
        self.supervisor.kill_all_now()

    async def aclose(self) -> None:
        if self._poller is not None:
            self._poller.cancel()
            await asyncio.gather(self._poller, return_exceptions=True)
            self._poller = None
        try:
            await self.fleet.aclose()
            await self.supervisor.aclose()
        finally:
            self.supervisor.kill_all_now()

    # --- what a lesson sees (lessons.lab_protocol.Lab) ------------------------------------------

    async def perform(self, op: Operation) -> Done:
        """Run one operation of the shared vocabulary (palette and lessons alike)."""
        return await self.operator.perform(op)

    def by_hand(self, op: Operation, whole: bool = False) -> str:
        return self.operator.by_hand(op, whole)

    def emit(self, event: object) -> None:
        self.bus.emit(event)

    def client_url(self, server: str, host: str | None = None) -> str:
        """A client URL for a lab server; host='localhost' gives the walkthrough's spelling."""
        return self.operator.client_url(server, host)

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


LabSession: TypeAlias = Session[LocalServers]


def open_lab(
    nats_server: str | None = None,
    runs_base: Path | None = None,
    settings: RunSettings | None = None,
) -> LabSession:
    """A run of this lab's own servers. The binary is found first, so a missing one fails
    before any folder is made."""
    binary = find(nats_server)
    leftovers = find_leftovers(runs_base)
    session = Session(
        RunDir.create(runs_base),
        lambda core: LocalServers(core, binary, settings or RunSettings()),
    )
    session.leftovers = leftovers
    return session
