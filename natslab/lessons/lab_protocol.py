"""What a lesson sees of the lab (its protocol): state, logs, settings, the shared operations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal, Protocol

from natslab.cluster.ports import PORT_PLACEHOLDER, ServerPorts
from natslab.lab.logs import LogStore
from natslab.lab.operations import Done, Operation
from natslab.lab.settings import RunSettings
from natslab.state import LabState


class Lab(Protocol):
    """What the runner, checks and actions may touch; the lab's own servers (lab.local)
    are one, a test fake another."""

    @property
    def state(self) -> LabState: ...

    @property
    def logs(self) -> LogStore: ...

    @property
    def settings(self) -> RunSettings: ...

    def ports(self, server: str) -> ServerPorts: ...

    def expected_version(self, binary: Literal["default", "upgrade"]) -> str:
        """The version of the binary a server starts with, or of the upgrade binary."""
        ...

    async def perform(self, op: Operation) -> Done: ...

    def by_hand(self, op: Operation, whole: bool = False) -> str:
        """The command a learner would type to do the same (`whole`: with what natslab
        adds to a server's command, to type as shown)."""
        ...

    def emit(self, event: object) -> None: ...

    async def stop_everything(self) -> None: ...


@dataclass
class CheckContext:
    """What a check reads: the lab, and when the current step began (for log checks)."""

    lab: Lab
    step_starts: list[tuple[int, float]] = field(default_factory=list)  # (step number, when)

    @property
    def step_started_at(self) -> float:
        """When the current step began (log checks look from then on)."""
        return self.step_starts[-1][1] if self.step_starts else 0.0

    @property
    def state(self) -> LabState:
        return self.lab.state

    def compile(self, pattern: str) -> re.Pattern[str]:
        """A lesson regex with {client:B}-style placeholders replaced by this run's ports."""

        def port(match: re.Match[str]) -> str:
            return str(getattr(self.lab.ports(match.group(2)), match.group(1)))

        return re.compile(PORT_PLACEHOLDER.sub(port, pattern))
