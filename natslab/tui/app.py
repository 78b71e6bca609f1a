"""NatsLabApp: server log panes, the client panel, the timeline and, in a tutorial, the lesson."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.message import Message

from natslab.cluster.events import LogLines
from natslab.cluster.spec import walkthrough_spec
from natslab.controls import LabControls, Operation
from natslab.errors import NatslabError
from natslab.lessons import events as lev
from natslab.lessons.context import RunSettings
from natslab.lessons.model import Lesson
from natslab.lessons.runner import LessonRunner
from natslab.session import LabSession
from natslab.tui.commands import LabCommands
from natslab.tui.screens import ConfirmQuit, HelpScreen, SearchScreen
from natslab.tui.widgets.client_panel import ClientPanel
from natslab.tui.widgets.footer import SteadyFooter
from natslab.tui.widgets.lesson_panel import LessonPanel
from natslab.tui.widgets.server_pane import PANE_LINES, ServerPane
from natslab.tui.widgets.timeline import TimelineView
from natslab.views import MOVE_HIGHLIGHT_SECONDS

REFRESH_SECONDS = 0.1


class LessonUpdate(Message):
    """A lesson event, carried from the bus to the lesson panel."""

    def __init__(self, event: lev.LessonEvent) -> None:
        super().__init__()
        self.event = event


@dataclass
class LessonProgress:
    """Where the learner is: the next step to run, and whether the last run failed."""

    next_index: int = 0
    failed: bool = False
    running: bool = False


class NatsLabApp(App[int]):
    """A thin skin: everything drawn comes from LabState and the runner's events."""

    CSS_PATH = "app.tcss"
    TITLE = "natslab"
    COMMANDS = App.COMMANDS | {LabCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]
    BINDINGS = [
        Binding("n", "next_step", "Next step"),
        Binding("r", "retry", "Retry"),
        Binding("s", "skip", "Skip"),
        Binding("p", "previous_notes", "Prev notes"),
        Binding("m", "toggle_maximize", "Maximise"),
        Binding("slash", "search", "Search log"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit_lab", "Quit"),
        Binding("ctrl+c", "quit_lab", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        session: LabSession,
        servers: list[str],
        settings: RunSettings,
        lesson: Lesson | None = None,
        start_servers: bool = False,
        auto: bool = False,
        auto_pause: float = 3.0,
    ) -> None:
        super().__init__()
        self.session = session
        self.servers = servers
        self.settings = settings
        self.lesson = lesson
        self.start_servers_on_mount = start_servers
        self.auto = auto
        self.auto_pause = auto_pause
        self.controls = LabControls(
            session, settings.offset, settings.expose, settings.upgrade_binary
        )
        self.runner = LessonRunner(lesson, session, settings) if lesson else None
        self.progress = LessonProgress()
        self._pending: dict[str, deque[str]] = defaultdict(lambda: deque(maxlen=PANE_LINES))
        self._dirty = True
        self._notes_index = 0
        self._panes: dict[str, ServerPane] = {}

    # --- layout ------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="main"):
            if self.lesson is not None:
                yield LessonPanel(self.lesson)
            with Vertical(id="right"):
                with Grid(id="panes"):
                    for name in self.servers:
                        yield ServerPane(name)
                with Horizontal(id="bottom"):
                    yield ClientPanel(id="client-panel")
                    yield TimelineView()
        yield SteadyFooter()

    def on_mount(self) -> None:
        self.session.bus.subscribe(self._on_bus_event)
        self.session.start_polling(interval=0.5)
        self._fit_panes()
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
        if self.auto and self.runner is not None:
            self._run_all()

    def _fit_panes(self) -> None:
        grid = self.query_one("#panes", Grid)
        count = len(self.query(ServerPane))
        # Beside a lesson the panes are narrow, and log lines are long: stack them.
        columns = 1 if self.lesson is not None else max(1, min(count, 3))
        grid.styles.grid_size_columns = columns
        grid.styles.grid_size_rows = max(1, -(-count // columns))

    # --- bus -> screen -----------------------------------------------------------------

    def _on_bus_event(self, event: object) -> None:
        """Called for every event; keeps the cost here tiny, drawing happens on the timer."""
        if isinstance(event, LogLines):
            self._pending[event.server].extend(event.lines)
        elif isinstance(event, lev.LessonEvent):
            self.post_message(LessonUpdate(event))
        else:
            self._dirty = True

    def _refresh(self) -> None:
        for server, lines in self._pending.items():
            if lines:
                self._pane(server).append(list(lines))
                lines.clear()
        # Keep redrawing while a move is highlighted, so the highlight also goes away.
        if self._dirty or self._recent_move():
            self._dirty = False
            state = self.session.state
            for name, view in state.servers.items():
                self._pane(name).show(view)
            self.query_one(ClientPanel).show(state)
            self.query_one(TimelineView).show(state)

    def _recent_move(self) -> bool:
        now = time.time()
        return any(
            c.moved_at is not None and now - c.moved_at < MOVE_HIGHLIGHT_SECONDS + 0.5
            for c in self.session.state.clients.values()
        )

    def _pane(self, server: str) -> ServerPane:
        # Looked up ten times a second per server: a dict, not a DOM query.
        pane = self._panes.get(server)
        if pane is None:
            found = self.query(f"#pane-{server}")
            pane = found.first(ServerPane) if found else None
        if pane is not None:
            self._panes[server] = pane
            return pane
        pane = ServerPane(server)
        self._panes[server] = pane
        self.query_one("#panes", Grid).mount(pane)
        self.call_after_refresh(self._fit_panes)
        return pane

    def on_lesson_update(self, message: LessonUpdate) -> None:
        if self.lesson is None:
            return
        panel = self.query_one(LessonPanel)
        event = message.event
        match event:
            case lev.StepStarted():
                panel.step_started(event)
            case lev.ActionDone():
                panel.action_done(event)
            case lev.CheckResult():
                panel.check_result(event)
            case lev.StepFinished():
                panel.step_finished(event)
                if event.ok and event.index == len(self.lesson.steps) - 1:
                    panel.lesson_complete()

    # --- lesson keys -------------------------------------------------------------------

    def _lesson_ready(self) -> bool:
        if self.runner is None:
            self.notify("No lesson here: use ctrl+p for free-form actions.")
            return False
        if self.progress.running:
            self.notify("A step is still running.")
            return False
        return True

    def action_next_step(self) -> None:
        if not self._lesson_ready():
            return
        assert self.lesson is not None
        if self.progress.failed:
            self.notify("This step failed: r retries it, s skips it.", severity="warning")
            return
        if self.progress.next_index >= len(self.lesson.steps):
            self.notify("The lesson is complete. q quits.")
            return
        self._run_step(self.progress.next_index, retry=False)

    def action_retry(self) -> None:
        if not self._lesson_ready():
            return
        assert self.lesson is not None
        if self.progress.next_index < len(self.lesson.steps):
            self._run_step(self.progress.next_index, retry=True)

    def action_skip(self) -> None:
        if not self._lesson_ready():
            return
        assert self.lesson is not None
        if self.progress.next_index < len(self.lesson.steps):
            skipped = self.lesson.steps[self.progress.next_index].title
            self.progress.next_index += 1
            self.progress.failed = False
            self.notify(f"Skipped: {skipped}")

    def action_previous_notes(self) -> None:
        if self.lesson is not None and self.progress.next_index > 0:
            panel = self.query_one(LessonPanel)
            self._notes_index = max(0, self._notes_index - 1)
            panel.show_notes(self._notes_index)

    @work(exclusive=True, group="lesson", exit_on_error=False)
    async def _run_step(self, index: int, retry: bool) -> None:
        assert self.runner is not None and self.lesson is not None
        self.progress.running = True
        self._notes_index = index + 1
        try:
            run = self.runner.retry_step if retry else self.runner.run_step
            result = await run(index)
        finally:
            self.progress.running = False
        self.progress.failed = not result.ok
        if result.ok:
            self.progress.next_index = index + 1

    @work(exclusive=True, group="lesson", exit_on_error=False)
    async def _run_all(self) -> None:
        """--auto: every step in turn, with a pause to read between them."""
        assert self.runner is not None and self.lesson is not None
        self.progress.running = True
        try:
            for index in range(len(self.lesson.steps)):
                result = await self.runner.run_step(index)
                if not result.ok:
                    self.progress.failed = True
                    self.progress.next_index = index
                    return
                self.progress.next_index = index + 1
                if index + 1 < len(self.lesson.steps):
                    await asyncio.sleep(self.auto_pause)  # reading time on a projector
        finally:
            self.progress.running = False

    # --- free-form ---------------------------------------------------------------------

    @work(exclusive=False, group="servers", exit_on_error=False)
    async def _start_lab_servers(self) -> None:
        for name in self.servers:
            spec = walkthrough_spec(name, self.settings.offset, expose=self.settings.expose)
            try:
                await self.session.supervisor.start(spec)
            except NatslabError as exc:
                self.notify(str(exc), severity="error", timeout=15)
                return

    def perform(self, op: Operation) -> None:
        """Run a palette operation in the background and say what it did and how."""
        self._perform(op)

    @work(exclusive=False, group="controls", exit_on_error=False)
    async def _perform(self, op: Operation) -> None:
        try:
            outcome = await op.run()
        except NatslabError as exc:
            self.notify(str(exc), title=op.title, severity="error", timeout=10)
            return
        self.notify(f"{outcome.message}\n$ {outcome.shell}", title=op.title, timeout=8)

    # --- panes, help, quit -------------------------------------------------------------

    def action_toggle_maximize(self) -> None:
        if self.screen.maximized is not None:
            self.screen.minimize()
        elif self.focused is not None:
            self.screen.maximize(self.focused)

    def action_search(self) -> None:
        pane = self._focused_pane()
        if pane is None:
            self.notify("Focus a server's log first (tab), then press /.")
            return
        proc = self.session.supervisor.processes.get(pane.server)
        lines = list(proc.lines) if proc is not None else list(pane.log_view.lines)
        self.push_screen(SearchScreen(pane.server, lines), callback=pane.mark)

    def _focused_pane(self) -> ServerPane | None:
        node = self.focused
        while node is not None and not isinstance(node, ServerPane):
            node = node.parent  # type: ignore[assignment]
        return node

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_quit_lab(self) -> None:
        running = self.session.supervisor.running()
        if not running:
            self.exit(0)
            return

        def answered(stop: bool | None) -> None:
            if stop:
                self.exit(0)

        self.push_screen(ConfirmQuit(running), answered)
