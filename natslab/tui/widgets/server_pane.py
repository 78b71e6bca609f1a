"""One server's log, with its state, version, pid, ports, peers and CPU/RSS in the title."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical

from natslab.cluster.jetstream import JetStreamView
from natslab.present.renderings import server_title, unstarted_title
from natslab.state import ServerView
from natslab.tui.widgets.folded_log import FoldedLog
from natslab.tui.widgets.steady import SteadyStatic

PANE_LINES = 3000


def fitting(choices: list[str], width: int) -> str:
    """The first (fullest) wording that fits the width, else the shortest one."""
    return next((words for words in choices if len(words) <= width), choices[-1])


class ServerPane(Vertical):
    """A bounded, folded log; a stopped server's pane stays, dimmed, with its last lines."""

    ALLOW_MAXIMIZE = True
    BINDINGS = [  # f and v are the app's (app.py): the footer keeps them, lit on a log
        # Only while a search is on (check_action); otherwise n is the lesson's next step.
        Binding("n", "match(1)", "Next match", show=False),
        Binding("N", "match(-1)", "Previous match", show=False),
        Binding("escape", "leave_search", "Leave search", show=False),
    ]

    DEFAULT_CSS = """
    ServerPane { border: round $primary-darken-2; height: 1fr; min-height: 5; }
    ServerPane:focus-within { border: round $accent; }
    ServerPane.stopped { opacity: 60%; }
    ServerPane.crashed { border: round $error; }
    ServerPane > .title { height: 1; padding: 0 1; background: $boost; }
    ServerPane > FoldedLog { height: 1fr; }
    """

    def __init__(self, server: str, place: int) -> None:
        super().__init__(id=f"pane-{place}", classes="server-pane")
        self.server = server
        # A pane mounted mid-run gets lines before its children exist; keep them until then.
        self._backlog: deque[str] = deque(maxlen=PANE_LINES)
        self._view: ServerView | None = None
        self._js: JetStreamView | None = None
        self._hidden_shown: tuple[tuple[str, int], ...] = ()
        # Held, not queried: a pane mounted mid-run is fed before its children are mounted.
        self._title = SteadyStatic(unstarted_title(server), classes="title")
        self._log = FoldedLog(PANE_LINES, id=f"log-{place}")

    def compose(self) -> ComposeResult:
        yield self._title
        yield self._log

    @property
    def _ready(self) -> bool:
        return self._log.is_mounted and self._title.is_mounted

    def on_mount(self) -> None:
        self.call_after_refresh(self._catch_up)

    def _catch_up(self) -> None:
        if self._backlog and self._ready:
            lines = list(self._backlog)
            self._backlog.clear()
            self.append(lines)
        if self._view is not None:
            self.show(self._view, self._js)

    @property
    def unstarted(self) -> bool:
        return self._view is None

    @property
    def log_view(self) -> FoldedLog:
        return self._log

    def append(self, lines: Iterable[str]) -> None:
        if not self._ready:
            self._backlog.extend(lines)
            return
        if self._backlog:  # what came before the log was mounted goes first
            backlog = list(self._backlog)
            self._backlog.clear()
            self.append(backlog)
        log = self.log_view
        log.add(lines)
        hidden = tuple(log.folder.hidden.items())
        if hidden != self._hidden_shown or log.pattern is not None:  # the match count too
            self._hidden_shown = hidden
            self._describe_folding()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("match", "leave_search"):
            return self.log_view.pattern is not None
        return True

    def action_match(self, step: int) -> None:
        self.log_view.step_match(step)
        self._describe_folding()

    def action_leave_search(self) -> None:
        self.mark(None)

    def _describe_folding(self) -> None:
        self.border_subtitle = fitting(self._folding_words(), self.size.width - 6)

    def _folding_words(self) -> list[str]:
        """What the pane's bottom line may say, longest first: the first that fits is shown."""
        log = self.log_view
        if log.pattern is not None:
            at, total = log.match_position()
            found = f"match {at} of {total}" if total else "no match"
            return [
                f"{found} · n/N: next/previous · esc: leave search",
                f"{found} · n/N · esc: leave",
                found,
            ]
        if log.show_raw:
            return ["raw lines · v: compact", "raw · v"]
        if not log.folder.fold:
            return ["every line · f: fold", "all · f"]
        hidden = log.folder.hidden
        if not hidden:
            return [""]
        counts = ", ".join(f"{n} {label}" for label, n in hidden.items())
        total = sum(hidden.values())
        return [f"hidden: {counts} · f: all", f"{total} lines hidden · f: all", f"{total} hidden"]

    def on_resize(self) -> None:
        if self._ready:
            self._describe_folding()
            if self._view is not None:  # the title fits the new width
                self.show(self._view, self._js)

    def action_toggle_fold(self) -> None:
        log = self.log_view
        log.refold(fold=not log.folder.fold)
        self._describe_folding()

    def action_toggle_raw(self) -> None:
        log = self.log_view
        log.refold(raw=not log.show_raw)
        self._describe_folding()

    def mark(self, pattern: re.Pattern[str] | None) -> None:
        """Mark a search pattern in the log (None clears it) and scroll to its latest match."""
        self.log_view.mark(pattern)
        self._describe_folding()

    def show(self, view: ServerView, js: JetStreamView | None = None) -> None:
        self._view, self._js = view, js
        if not self._ready:
            return
        width = self._title.content_size.width or None  # none before the first layout
        self._title.update(server_title(view, js, width), layout=False)
        self.set_class(view.state.value == "stopped", "stopped")
        self.set_class(view.state.value == "crashed", "crashed")
