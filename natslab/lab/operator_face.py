"""What the by-hand commands and the palette read of the operator: its run's servers,
clients and settings, and a few of its answers (a Protocol, so neither imports the
operator that imports them)."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from natslab.clients.fleet import Fleet
from natslab.cluster.spec import ServerSpec
from natslab.cluster.supervisor import Supervisor
from natslab.lab.operations import ClientSettings, DamageStore, StartServer
from natslab.lab.settings import RunSettings


class OperatorFace(Protocol):
    """The operator as by_hand.py and palette.py see it (lab/operator.py's Operator)."""

    supervisor: Supervisor
    fleet: Fleet
    settings: RunSettings
    palette_clients: ClientSettings

    def client_url(self, server: str, host: str | None = None) -> str: ...

    def monitor_url(self, server: str) -> str: ...

    def pid_text(self, server: str) -> str: ...

    def spec_for(self, op: StartServer) -> ServerSpec: ...

    def backup_dir(self, stream: str) -> Path: ...

    def damage_target(self, op: DamageStore) -> tuple[Path | None, int]: ...
