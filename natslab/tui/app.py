"""NatsLabApp: server log panes, the client panel, the timeline and, in a tutorial, the lesson."""

from __future__ import annotations

import time
from collections.abc import Sequence

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message

from natslab.bus import InternalError
from natslab.cluster.events import LogLines
from natslab.errors import NatslabError
from natslab.lab.operations import Done, PaletteEntry, StartClients, StartServer
from natslab.lab.session import LabSession
from natslab.lessons.checks import describe as describe_check
from natslab.lessons.events import LessonEvent
from natslab.lessons.model import Lesson
from natslab.lessons.runner import LessonRunner
from natslab.present.views import recent_move
from natslab.room.reveal import help_request, reveal_text
from natslab.room.uplink import Uplink
from natslab.tui.commands import LabCommands
from natslab.tui.screens import ConfirmQuit, HelpScreen, SearchScreen
from natslab.tui.widgets.action_line import ActionLine
from natslab.tui.widgets.client_panel import ClientPanel
from natslab.tui.widgets.footer import SteadyFooter
from natslab.tui.widgets.lesson_panel import LessonPanel
from natslab.tui.widgets.pane_grid import PaneGrid
from natslab.tui.widgets.timeline import TimelineView
from natslab.watch.source import WatchSource

REFRESH_SECONDS = 0.1
# Polls slow to this while nothing changes in the lab; any event speeds them up again.
IDLE_POLL_SECONDS = 2.0
_LESSON_ACTIONS = frozenset({"next_step", "retry", "skip", "previous_notes", "answer"})


class LessonChanged(Message):
    """The runner recorded something new: the lesson panel redraws from its record."""


class InternalErrorSeen(Message):
    """natslab's own code failed somewhere and went on: say so, do not hide it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class NatsLabApp(App[int]):
    """A thin skin: everything drawn comes from LabState, the log store and the runner."""

    CSS_PATH = "app.tcss"
    TITLE = "natslab"
    COMMANDS = App.COMMANDS | {LabCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-medium"), (160, "-wide")]
    BINDINGS = [
        Binding("n", "next_step", "Next step"),
        Binding("r", "retry", "Retry"),
        Binding("s", "skip", "Skip"),
        Binding("p", "previous_notes", "Prev notes"),
        *(Binding(str(n), f"answer({n - 1})", f"Answer {n}", show=False) for n in range(1, 5)),
        Binding("left_square_bracket", "cycle_pane(-1)", "Prev log", show=False),
        Binding("right_square_bracket", "cycle_pane(1)", "Next log", show=False),
        Binding("t", "toggle_timeline", "Clients/timeline", show=False),
        Binding("m", "toggle_maximize", "Maximise"),
        Binding("slash", "search", "Search log"),
        Binding("question_mark", "help", "Help"),
        Binding("h", "ask_help", "Ask for help"),
        Binding("q", "quit_lab", "Quit"),
        Binding("ctrl+c", "quit_lab", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        session: LabSession | WatchSource,
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
        self.read_only = isinstance(session, WatchSource)  # natslab watch: nothing may act
        if self.read_only:
            self.title = "natslab watch (read-only)"
            self.use_command_palette = False  # it would offer nothing: a watch only reads
        self.runner = (
            LessonRunner(lesson, session, interactive=not auto, answers=answers)
            if lesson and isinstance(session, LabSession)
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
        if self.room is not None:
            self.room.on_reveal = self._on_reveal
            self.room.on_control = self._on_control
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
            self.runner.preview()
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
        if self.room is not None:
            held = self.room.control.holds.get(self.lesson.id) if self.lesson else None
            hold = f" · held at step {held + 1}" if held is not None else ""
            self.action_line.room(self.room.status() + hold)
        self.panes.flush()
        state, now = self.session.state, time.time()
        self.client_panel.sample(state, now)
        if self._dirty:  # any event: the pane titles carry CPU and memory from each poll
            self._dirty = False
            self.panes.show(state)
            if self.panes.empty and isinstance(self.session, WatchSource):
                self.panes.waiting(self.session.waiting())
        # The rest only when a fold changed something, or while a move is highlighted (so
        # the highlight also goes away): an idle lab then costs next to nothing.
        if state.revision != self._drawn_revision or recent_move(state, now):
            self._drawn_revision = state.revision
            self.client_panel.show(state)
            self.timeline.show(state)

    def on_lesson_changed(self, _message: LessonChanged) -> None:
        if self.runner is None:
            return
        record = self.runner.record
        self.query_one(LessonPanel).show(record)
        if record.current is not None:  # mark in each pane what this step's checks quoted
            for server in self.servers:
                step = record.steps[record.current]
                self.panes.pane(server).log_view.cite(step.cited(server))

    # --- lesson keys: the runner decides, the app only asks and tells -----------------

    def _lesson_key(self, request: str) -> None:
        if self.runner is None:
            self.notify("No lesson here: use ctrl+p for free-form actions.")
            return
        refusal = self.runner.refusal(request)
        if refusal is None and request in ("next", "auto"):
            refusal = self._held()
        if refusal is not None:
            failed = self.runner.progress.failed and request == "next"
            self.notify(refusal, severity="warning" if failed else "information")
        elif request == "skip":
            self.notify(self.runner.skip() or "")
        else:
            self._lesson_step(request)

    def action_next_step(self) -> None:
        self._lesson_key("next")

    def action_retry(self) -> None:
        self._lesson_key("retry")

    def action_skip(self) -> None:
        self._lesson_key("skip")

    def action_answer(self, choice: int) -> None:
        """1-4: lock the answer to the next step's question; at the keys, the step then runs."""
        if self.runner is None:
            return
        refusal = self.runner.answer(choice)
        if refusal is not None:
            self.notify(refusal)
        elif not self.auto and (held := self._held()) is not None:
            self.notify(f"Answer locked. {held}")  # the step runs on `n` once released
        elif not self.auto:
            self._lesson_step("next")

    def action_previous_notes(self) -> None:
        if self.lesson is not None:
            self.query_one(LessonPanel).previous_notes()

    @work(exclusive=True, group="lesson", exit_on_error=False)
    async def _lesson_step(self, request: str) -> None:
        assert self.runner is not None
        if request == "auto":
            await self.runner.run_all(self.auto_pause)
        elif request == "retry":
            await self.runner.retry()
        else:
            await self.runner.next()

    # --- free-form ---------------------------------------------------------------------

    @work(exclusive=False, group="servers", exit_on_error=False)
    async def _start_lab_servers(self) -> None:
        if not isinstance(self.session, LabSession):
            return
        try:
            for name in self.servers:
                start_one = PaletteEntry(f"Start server {name}", StartServer(server=name))
                await self.session.take(start_one)
            if self.subscribers and self.servers:
                seeds = (self.servers[0],)  # by name, as `nats sub` on the walkthrough's URL
                start = StartClients(count=self.subscribers, seeds=seeds, host="localhost")
                title = f"Start {self.subscribers} subscribers on {seeds[0]} (--subscribers)"
                await self.session.take(PaletteEntry(title, start))
        except NatslabError as exc:
            self.notify(str(exc), severity="error", timeout=15)

    def palette(self) -> list[PaletteEntry]:
        """What the command palette offers right now (nothing, when watching)."""
        if not isinstance(self.session, LabSession):
            return []
        return self.session.operator.palette()

    def by_hand(self, entry: PaletteEntry) -> str:
        if not isinstance(self.session, LabSession):
            return ""
        return self.session.operator.by_hand(entry.operation)

    @work(exclusive=False, group="controls", exit_on_error=False)
    async def perform(self, entry: PaletteEntry) -> None:
        """Run a palette entry in the background and say what it did and how."""
        if not isinstance(self.session, LabSession):
            return
        self.action_line.running(entry.title)
        try:
            done = await self.session.take(entry)
        except NatslabError as exc:
            # A refusal is a sentence to read whole: the line shows its start, a toast all.
            self.action_line.failed(entry.title, str(exc))
            self.notify(str(exc), title=entry.title, severity="error", timeout=10)
            return
        self.action_line.done(entry.title, done)

    # --- panes, help, quit -------------------------------------------------------------

    def action_toggle_maximize(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
        elif self.focused is not None:
            self.screen.maximize(self.focused)

    def action_search(self) -> None:
        pane = self.panes.holding(self.focused)
        if pane is None:
            self.notify("Focus a server's log first (tab), then press /.")
            return
        lines = self.session.logs.lines(pane.server)
        self.push_screen(SearchScreen(pane.server, lines), callback=pane.mark)

    def action_help(self) -> None:
        room = self.room is not None and self.lesson is not None
        self.push_screen(HelpScreen(lesson=self.lesson is not None, room=room))

    def action_cycle_pane(self, step: int) -> None:
        """On a narrow screen one log pane shows at a time: show the next or previous one."""
        self.panes.cycle(step)

    def action_toggle_timeline(self) -> None:
        """On a narrow screen the client panel and the timeline share one place: swap them."""
        self.query_one("#bottom").toggle_class("timeline")

    def action_ask_help(self) -> None:
        """Ask the instructor for help: the step, its checks, the versions and the cluster
        go with the request, so they can look before they walk over."""
        if self.room is None or self.runner is None:
            return
        self.room.send(help_request(self.runner.record, self.session.state))
        self.action_line.done(
            "Help asked",
            Done("the instructor's board lists you first, with this step's checks"),
        )

    def _held(self) -> str | None:
        """The instructor's hold on the next step, in a sentence, or None."""
        if self.room is None or self.runner is None:
            return None
        index = self.runner.progress.next_index
        return self.room.control.held_text(self.runner.lesson.id, index) or None

    def _on_control(self, new_message: bool) -> None:
        """The instructor's message, shown once when it is new."""
        if self.room is not None and new_message and self.room.control.message:
            text = f"The instructor: {self.room.control.message}"
            self.notify(self.room.control.message, title="The instructor", timeout=15)
            if self.lesson is not None:
                self.query_one(LessonPanel).show_room(text)

    def _on_reveal(self, aggregate: dict[str, object]) -> None:
        if self.runner is None or self.lesson is None or aggregate.get("lesson") != self.lesson.id:
            return
        self.query_one(LessonPanel).show_room(reveal_text(aggregate, self.runner.record))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "ask_help":
            return self.room is not None and self.lesson is not None
        if action in ("search", "toggle_maximize") and self.panes.empty:
            return False  # no log to search or to enlarge yet (a watch still waiting)
        # Without a lesson the lesson's keys mean nothing: keep them out of the footer.
        return self.lesson is not None or action not in _LESSON_ACTIONS

    def action_quit_lab(self) -> None:
        running = [name for name, view in self.session.state.servers.items() if view.up]
        if not running or self.read_only:  # a watch started nothing, so stops nothing
            self.exit(0)
            return

        def answered(stop: bool | None) -> None:
            if stop:
                self.exit(0)

        self.push_screen(ConfirmQuit(running), answered)
