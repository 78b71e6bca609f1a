"""One server's log, with its state, version, pid, ports, peers and CPU/RSS in the title."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Log

from natslab.cluster.logformat import short_line
from natslab.present.views import MatchHighlighter, server_title, unstarted_title
from natslab.state import ServerView
from natslab.tui.widgets.steady import SteadyStatic

PANE_LINES = 5000


class ServerPane(Vertical):
    """A bounded, highlighted log; a stopped server's pane stays, dimmed, with its last lines."""

    ALLOW_MAXIMIZE = True

    DEFAULT_CSS = """
    ServerPane { border: round $primary-darken-2; height: 1fr; min-height: 5; }
    ServerPane:focus-within { border: round $accent; }
    ServerPane.stopped { opacity: 60%; }
    ServerPane.crashed { border: round $error; }
    ServerPane > .title { height: 1; padding: 0 1; background: $boost; }
    ServerPane > Log { height: 1fr; }
    """

    def __init__(self, server: str) -> None:
        super().__init__(id=f"pane-{server}", classes="server-pane")
        self.server = server
        # A pane mounted mid-run gets lines before its children exist; keep them until then.
        self._backlog: deque[str] = deque(maxlen=PANE_LINES)
        self._view: ServerView | None = None
        self._ready = False

    def compose(self) -> ComposeResult:
        yield SteadyStatic(unstarted_title(self.server), classes="title")
        log = Log(highlight=True, max_lines=PANE_LINES, id=f"log-{self.server}")
        log.highlighter = MatchHighlighter(None)
        yield log

    def on_mount(self) -> None:
        self._ready = True
        if self._backlog:
            self.log_view.write_lines(self._backlog)
            self._backlog.clear()
        if self._view is not None:
            self.show(self._view)

    @property
    def log_view(self) -> Log:
        return self.query_one(Log)

    def append(self, lines: Iterable[str]) -> None:
        short = (short_line(line) for line in lines)
        if self._ready:
            self.log_view.write_lines(short)
        else:
            self._backlog.extend(short)

    def mark(self, pattern: re.Pattern[str] | None) -> None:
        """Mark a search pattern in the log (None clears it) and scroll to its latest match."""
        log = self.log_view
        log.highlighter = MatchHighlighter(pattern)
        log.notify_style_update()  # drops the lines already drawn without the marks
        log.refresh()
        if pattern is None:
            return
        for y in range(len(log.lines) - 1, -1, -1):
            if pattern.search(log.lines[y]):
                log.scroll_to(y=max(0, y - log.size.height // 2), animate=False)
                break

    def show(self, view: ServerView) -> None:
        self._view = view
        if not self._ready:
            return
        self.query_one(".title", SteadyStatic).update(server_title(view), layout=False)
        self.set_class(view.state.value == "stopped", "stopped")
        self.set_class(view.state.value == "crashed", "crashed")
