"""NatsLabApp: server log panes, the client panel, the timeline and, in a tutorial, the lesson."""

from __future__ import annotations

import gc
import time
from collections.abc import Sequence

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message

from natslab.bus import InternalError
from natslab.cluster.events import LogLines
from natslab.lessons.checks import describe as describe_check
from natslab.lessons.events import LessonEvent
from natslab.lessons.model import Lesson
from natslab.lessons.runner import LessonRunner
from natslab.present.renderings import recent_move
from natslab.room.uplink import Uplink
from natslab.tui.commands import LabCommands
from natslab.tui.lesson_keys import LESSON_ACTIONS, LessonChanged
from natslab.tui.pane_keys import PaneKeys
from natslab.tui.run_protocol import ScreenSession
from natslab.tui.screens import ConfirmQuit, HelpScreen
from natslab.tui.widgets.action_line import ActionLine
from natslab.tui.widgets.client_panel import ClientPanel
from natslab.tui.widgets.footer import SteadyFooter
from natslab.tui.widgets.lesson_panel import LessonPanel
from natslab.tui.widgets.pane_grid import PaneGrid
from natslab.tui.widgets.timeline import TimelineView

REFRESH_SECONDS = 0.1
# Polls slow to this while nothing changes in the lab; any event speeds them up again.
IDLE_POLL_SECONDS = 2.0


class InternalErrorSeen(Message):
    """natslab's own code failed somewhere and went on: say so, do not hide it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class NatsLabApp(PaneKeys):
    """A thin skin: everything drawn comes from LabState, the log store and the runner."""

    CSS_PATH = "app.tcss"
    TITLE = "natslab"
    COMMANDS = App.COMMANDS | {LabCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-medium"), (160, "-wide")]
    BINDINGS = [
        Binding("question_mark", "help", "Help"),
        Binding("h", "ask_help", "Ask for help"),
        Binding("q", "quit_lab", "Quit"),
        # The focused log's keys (PaneKeys.action_in_pane), here so that they stay in the
        # footer, last, dimmed while no log has the focus: keys that come and go would
        # rebuild the footer at every tab.
        Binding("f", "in_pane('toggle_fold')", "All lines"),
        Binding("v", "in_pane('toggle_raw')", "Raw lines"),
        Binding("ctrl+c", "quit_lab", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        session: ScreenSession,
        servers: list[str],
        lesson: Lesson | None = None,
        start_servers: bool = False,
        auto: bool = False,
        auto_pause: float = 3.0,
        answers: Sequence[int | None] = (),
        subscribers: int = 0,
        room: Uplink | None = None,
    ) -> None:
        super().__init__()
        self.room = room  # the class room this natslab reports to, if it joined one
        self.subscribers = subscribers  # started on the first server once the lab's are up
        self.session = session
        self.servers = servers
        self.lesson = lesson
        self.start_servers_on_mount = start_servers
        self.auto = auto
        self.auto_pause = auto_pause
        # At the keys a learner answers and acts; on a projector (--auto) nobody does.
        self.read_only = session.operator is None  # natslab watch: nothing may act
        if self.read_only:
            self.title = "natslab watch (read-only)"
            self.use_command_palette = False  # it would offer nothing: a watch only reads
        lab = session.source.as_lab()
        self.runner = (
            LessonRunner(lesson, lab, interactive=not auto, answers=answers)
            if lesson and lab is not None
            else None
        )
        self._dirty = True
        self._drawn_revision = -1
        self.panes = PaneGrid(servers, stacked=lesson is not None)
        # Held, not queried: the redraw timer may fire while the screen mounts or tears down.
        self.client_panel = ClientPanel(id="client-panel")
        self.timeline = TimelineView()
        # In the lab it says from the start what the palette is for; in a lesson it shows up
        # with the first palette action.
        self.action_line = ActionLine(hint=lesson is None or room is not None)

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            if self.lesson is not None:
                runner = self.runner
                claim = (lambda c: describe_check(c, runner.ctx)) if runner else None
                yield LessonPanel(self.lesson, claim)
            with Vertical(id="right"):
                yield self.panes
                with Horizontal(id="bottom"):
                    yield self.client_panel
                    yield self.timeline
        if not self.read_only:
            yield self.action_line
        yield SteadyFooter(show_command_palette=not self.read_only)

    def on_mount(self) -> None:
        # Once the screen stands, what was made to build it (modules, widgets, styles) lives
        # as long as the app: out of the collector's sight, a full collection under a log
        # flood takes a fraction of the ~100 ms it took while it walked them all each time.
        self.call_after_refresh(gc.freeze)
        self._listen_to_room()
        self.session.bus.subscribe(self._on_bus_event)
        self.session.start_polling(interval=0.5, idle_interval=IDLE_POLL_SECONDS)
        self.set_interval(REFRESH_SECONDS, self._refresh)
        for leftover in self.session.leftovers:
            self.notify(
                f"Left over from an earlier run: {leftover.describe()}. "
                "`natslab doctor --cleanup` stops it.",
                severity="warning",
                timeout=15,
            )
        if self.start_servers_on_mount:
            self._start_lab_servers()
        if self.runner is not None:
            self.runner.start()  # recorded as every way of taking a lesson records it
        if self.auto and self.runner is not None:
            self._lesson_step("auto")

    # --- bus -> screen -----------------------------------------------------------------

    def _on_bus_event(self, event: object) -> None:
        """Called for every event; keeps the cost here tiny, drawing happens on the timer."""
        if isinstance(event, LogLines):
            self.panes.queue(event.server, event.lines)
        elif isinstance(event, LessonEvent):
            self.post_message(LessonChanged())
        elif isinstance(event, InternalError):
            self.post_message(InternalErrorSeen(event.sentence()))
        else:
            self._dirty = True

    def on_internal_error_seen(self, message: InternalErrorSeen) -> None:
        self.notify(message.text, title="A bug in natslab", severity="error", timeout=30)

    def _refresh(self) -> None:
        self._show_room_status()
        state, now = self.session.state, time.time()
        self.panes.flush(now)
        self.client_panel.sample(state, now)
        if self._dirty:  # any event: the pane titles carry CPU and memory from each poll
            self._dirty = False
            self.panes.show(state)
            if self.panes.empty and (waiting := self.session.waiting()):
                self.panes.waiting(waiting)
        # The rest only when a fold changed something, or while a move is highlighted (so
        # the highlight also goes away): an idle lab then costs next to nothing.
        if state.revision != self._drawn_revision or recent_move(state, now):
            self._drawn_revision = state.revision
            self.client_panel.show(state)
            self.timeline.show(state)

    # --- panes, help, quit -------------------------------------------------------------

    def action_help(self) -> None:
        room = self.room is not None and self.lesson is not None
        self.push_screen(HelpScreen(lesson=self.lesson is not None, room=room))

    def action_ask_help(self) -> None:
        self._ask_help(self.session.state)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "ask_help":
            return self.room is not None and self.lesson is not None
        if action in LESSON_ACTIONS:  # without a lesson they mean nothing: out of the footer
            return self.lesson is not None
        return super().check_action(action, parameters)

    def action_quit_lab(self) -> None:
        running = [name for name, view in self.session.state.servers.items() if view.up]
        if not running or self.read_only:  # a watch started nothing, so stops nothing
            self.exit(0)
            return

        def answered(stop: bool | None) -> None:
            if stop:
                self.exit(0)

        self.push_screen(ConfirmQuit(running), answered)
