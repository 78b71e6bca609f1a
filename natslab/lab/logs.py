"""The bounded per-server log store: what checks search and the TUI's log search reads."""

from __future__ import annotations

import re
from collections import deque

from natslab.cluster.events import LogLines

LOG_WINDOW = 20_000


class LogStore:
    """The last lines of every server with the time natslab read them; a bus listener.
    The complete logs stay in the run directory (`A.log`, …)."""

    def __init__(self, window: int = LOG_WINDOW) -> None:
        self._lines: dict[str, deque[tuple[float, str]]] = {}
        self._window = window

    def __call__(self, event: object) -> None:
        if isinstance(event, LogLines):
            lines = self._lines.setdefault(event.server, deque(maxlen=self._window))
            lines.extend((event.at, line) for line in event.lines)

    def lines(self, server: str) -> list[str]:
        """The kept lines of one server, oldest first."""
        return [line for _, line in self._lines.get(server, ())]

    def matches(
        self, server: str, pattern: re.Pattern[str], since: float
    ) -> list[tuple[float, str]]:
        """(time read, line) for every kept line of `server` read at or after `since`."""
        return [
            (at, line)
            for at, line in self._lines.get(server, ())
            if at >= since and pattern.search(line)
        ]
