"""What actions and checks work with: the session, the run's settings, and recent log lines."""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

from natslab.cluster.events import LogLines
from natslab.cluster.ports import ServerPorts, ports_for
from natslab.lessons.model import PORT_PLACEHOLDER
from natslab.session import LabSession

LOG_WINDOW = 20_000


@dataclass(frozen=True)
class RunSettings:
    """Choices made on the command line, not in the lesson file."""

    offset: int = 0
    expose: bool = False
    upgrade_binary: Path | None = None


class LogWatch:
    """The last lines of every server with the time natslab read them, for log checks."""

    def __init__(self, window: int = LOG_WINDOW) -> None:
        self.lines: dict[str, deque[tuple[float, str]]] = {}
        self._window = window

    def __call__(self, event: object) -> None:
        if isinstance(event, LogLines):
            lines = self.lines.setdefault(event.server, deque(maxlen=self._window))
            lines.extend((event.at, line) for line in event.lines)

    def matches(
        self, server: str, pattern: re.Pattern[str], since: float
    ) -> list[tuple[float, str]]:
        return [
            (at, line)
            for at, line in self.lines.get(server, ())
            if at >= since and pattern.search(line)
        ]


@dataclass
class LessonContext:
    session: LabSession
    settings: RunSettings
    logs: LogWatch = field(default_factory=LogWatch)
    step_started_at: float = 0.0

    def ports(self, server: str) -> ServerPorts:
        spec = self.session.supervisor.specs.get(server)
        return spec.ports if spec else ports_for(server, self.settings.offset)

    def compile(self, pattern: str) -> re.Pattern[str]:
        """A lesson regex with {client:B}-style placeholders replaced by this run's ports."""

        def port(match: re.Match[str]) -> str:
            return str(getattr(self.ports(match.group(2)), match.group(1)))

        return re.compile(PORT_PLACEHOLDER.sub(port, pattern))

    def client_url(self, server: str, host: str = "127.0.0.1") -> str:
        return f"nats://{host}:{self.ports(server).client}"
