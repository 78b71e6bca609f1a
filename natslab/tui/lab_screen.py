"""LabScreen: the main view of a lab, a lesson or a watch, and every key it answers: the
lesson's (n, r, s, p, 1-4), the log panes' (m, /, f, v, [, ], t), the class room's (h) and
the palette's actions. The runner, the session and the room decide; the screen asks and
tells."""

from __future__ import annotations

import gc
import time

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen

from natslab.bus import InternalError
from natslab.cluster.events import LogLines
from natslab.errors import NatslabError
from natslab.lab.operations import Done, PaletteEntry
from natslab.lab.operator import start_plan
from natslab.lessons.checks import describe as describe_check
from natslab.lessons.events import LessonEvent
from natslab.present.renderings import recent_move
from natslab.room.participant.reveal import help_request, reveal_text
from natslab.tui.run_protocol import ShownRun
from natslab.tui.screens import ConfirmQuit, HelpScreen, SearchScreen
from natslab.tui.widgets.action_line import ActionLine
from natslab.tui.widgets.client_panel import ClientPanel
from natslab.tui.widgets.footer import SteadyFooter
from natslab.tui.widgets.lesson_panel import LessonPanel
from natslab.tui.widgets.pane_grid import PaneGrid
from natslab.tui.widgets.timeline import TimelineView

REFRESH_SECONDS = 0.1
# Polls slow to this while nothing changes in the lab; any event speeds them up again.
IDLE_POLL_SECONDS = 2.0
LESSON_ACTIONS = frozenset({"next_step", "retry", "skip", "previous_notes", "answer"})


class LessonChanged(Message):
    """The runner recorded something new: the lesson panel redraws from its record."""


class InternalErrorSeen(Message):
    """natslab's own code failed somewhere and went on: say so, do not hide it."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class LabScreen(Screen[None]):
    """A thin skin: everything drawn comes from LabState, the log store and the runner."""

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
        Binding("slash", "search", "Search"),
        Binding("question_mark", "help", "Help"),
        Binding("h", "ask_help", "Ask for help"),
        Binding("q", "quit_lab", "Quit"),
        # The focused log's keys (action_in_pane), here so that they stay in the footer,
        # last, dimmed while no log has the focus: keys that come and go would rebuild the
        # footer at every tab.
        Binding("f", "in_pane('toggle_fold')", "All lines"),
        Binding("v", "in_pane('toggle_raw')", "Raw lines"),
        Binding("ctrl+c", "quit_lab", "Quit", show=False, priority=True),
    ]

    def __init__(self, run: ShownRun) -> None:
        super().__init__()
        self.run = run  # what is shown: the session, the lesson and its runner, the room
        self._dirty = True
        self._drawn_revision = -1
        self.panes = PaneGrid(run.servers, stacked=run.lesson is not None)
        # Held, not queried: the redraw timer may fire while the screen mounts or tears down.
        self.client_panel = ClientPanel(id="client-panel")
        self.timeline = TimelineView()
        # In the lab it says from the start what the palette is for; in a lesson it shows up
        # with the first palette action.
        self.action_line = ActionLine(hint=run.lesson is None or run.room is not None)

    def main_view(self) -> ComposeResult:
        """The screen's widgets; the app composes them into its default screen, this one."""
        run = self.run
        with Horizontal(id="main"):
            if run.lesson is not None:
                runner = run.runner
                claim = (lambda c: describe_check(c, runner.ctx)) if runner else None
                yield LessonPanel(run.lesson, claim)
            with Vertical(id="right"):
                yield self.panes
                with Horizontal(id="bottom"):
                    yield self.client_panel
                    yield self.timeline
        if not run.read_only:
            yield self.action_line
        yield SteadyFooter(show_command_palette=not run.read_only)

    def start(self) -> None:
        """From the app's mount, before it counts as ready: listen, poll, redraw, begin."""
        run = self.run
        # Once the screen stands, what was made to build it (modules, widgets, styles) lives
        # as long as the app: out of the collector's sight, a full collection under a log
        # flood takes a fraction of the ~100 ms it took while it walked them all each time.
        self.app.call_after_refresh(gc.freeze)
        if run.room is not None:
            run.room.on_reveal = self._on_reveal
            run.room.on_control = self._on_control
        run.session.bus.subscribe(self._on_bus_event)
        run.session.start_polling(interval=0.5, idle_interval=IDLE_POLL_SECONDS)
        self.app.set_interval(REFRESH_SECONDS, self._refresh)  # also under a dialog
        for leftover in run.session.leftovers:
            self.notify(
                f"Left over from an earlier run: {leftover.describe()}. "
                "`natslab doctor --cleanup` stops it.",
                severity="warning",
                timeout=15,
            )
        if run.start_servers_on_mount:
            self._start_lab_servers()
        if run.runner is not None:
            run.runner.start()  # recorded as every way of taking a lesson records it
        if run.auto and run.runner is not None:
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
        state, now = self.run.session.state, time.time()
        self.panes.flush(now)
        self.client_panel.sample(state, now)
        if self._dirty:  # any event: the pane titles carry CPU and memory from each poll
            self._dirty = False
            self.panes.show(state)
            if self.panes.empty and (waiting := self.run.session.waiting()):
                self.panes.waiting(waiting)
        # The rest only when a fold changed something, or while a move is highlighted (so
        # the highlight also goes away): an idle lab then costs next to nothing.
        if state.revision != self._drawn_revision or recent_move(state, now):
            self._drawn_revision = state.revision
            self.client_panel.show(state)
            self.timeline.show(state)

    # --- which keys mean something here ------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        run = self.run
        if action == "ask_help":
            return run.room is not None and run.lesson is not None
        if action in LESSON_ACTIONS:  # without a lesson they mean nothing: out of the footer
            return run.lesson is not None
        if action == "in_pane":
            return None if self.panes.holding(self.focused) is None else True  # None: dimmed
        # No log to search or to enlarge yet (a watch still waiting).
        return not (action in ("search", "toggle_maximize") and self.panes.empty)

    # --- the lesson's keys: the runner decides, the screen only asks and tells ---------

    def _lesson_key(self, request: str) -> None:
        runner = self.run.runner
        if runner is None:
            self.notify("No lesson here: use ctrl+p for free-form actions.")
            return
        refusal = runner.refusal(request)
        if refusal is None and request in ("next", "auto"):
            refusal = self._held()
        if refusal is not None:
            failed = runner.progress.failed and request == "next"
            self.notify(refusal, severity="warning" if failed else "information")
        elif request == "skip":
            self.notify(runner.skip() or "")
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
        runner, auto = self.run.runner, self.run.auto
        if runner is None:
            return
        refusal = runner.answer(choice)
        if refusal is not None:
            self.notify(refusal)
        elif not auto and (held := self._held()) is not None:
            self.notify(f"Answer locked. {held}")  # the step runs on `n` once released
        elif not auto:
            self._lesson_step("next")

    def action_previous_notes(self) -> None:
        if self.run.lesson is not None:
            self.query_one(LessonPanel).previous_notes()

    @work(exclusive=True, group="lesson", exit_on_error=False)
    async def _lesson_step(self, request: str) -> None:
        runner = self.run.runner
        assert runner is not None
        if request == "auto":
            await runner.run_all(self.run.auto_pause)
        elif request == "retry":
            await runner.retry()
        else:
            await runner.next()

    def on_lesson_changed(self, _message: LessonChanged) -> None:
        if self.run.runner is None:
            return
        record = self.run.runner.record
        self.query_one(LessonPanel).show(record)
        if record.current is not None:  # mark in each pane what this step's checks quoted
            for server in self.run.servers:
                step = record.steps[record.current]
                self.panes.pane(server).log_view.cite(step.cited(server))

    def _held(self) -> str | None:
        """The instructor's hold on the next step, in a sentence, or None."""
        room, runner = self.run.room, self.run.runner
        if room is None or runner is None:
            return None
        return room.control.held_text(runner.lesson.id, runner.progress.next_index) or None

    # --- the class room: its status, the instructor's words, asking for help -----------

    def _show_room_status(self) -> None:
        room, lesson = self.run.room, self.run.lesson
        if room is not None:
            held = room.control.holds.get(lesson.id) if lesson else None
            hold = f" · held at step {held + 1}" if held is not None else ""
            self.action_line.room(room.status() + hold)

    def action_ask_help(self) -> None:
        """Ask the instructor for help: the step, its checks, the versions and the cluster
        go with the request, so they can look before they walk over."""
        room, runner = self.run.room, self.run.runner
        if room is None or runner is None:
            return
        room.send(help_request(runner.record, self.run.session.state))
        self.action_line.done(
            "Help asked",
            Done("the instructor's board lists you first, with this step's checks"),
        )

    def _on_control(self, new_message: bool) -> None:
        """The instructor's message, shown once when it is new."""
        room = self.run.room
        if room is not None and new_message and room.control.message:
            self.notify(room.control.message, title="The instructor", timeout=15)
            if self.run.lesson is not None:
                self.query_one(LessonPanel).show_room(f"The instructor: {room.control.message}")

    def _on_reveal(self, aggregate: dict[str, object]) -> None:
        runner, lesson = self.run.runner, self.run.lesson
        if runner is None or lesson is None or aggregate.get("lesson") != lesson.id:
            return
        self.query_one(LessonPanel).show_room(reveal_text(aggregate, runner.record))

    # --- free-form: the lab's own start-up and the palette's entries -------------------

    @work(exclusive=False, group="servers", exit_on_error=False)
    async def _start_lab_servers(self) -> None:
        try:
            for entry in start_plan(self.run.servers, self.run.subscribers):
                await self.run.session.take(entry)
        except NatslabError as exc:
            self.notify(str(exc), severity="error", timeout=15)

    def palette(self) -> list[PaletteEntry]:
        """What the command palette offers right now (nothing, when watching)."""
        return self.run.session.palette()

    def by_hand(self, entry: PaletteEntry) -> str:
        return self.run.session.by_hand(entry.operation)

    @work(exclusive=False, group="controls", exit_on_error=False)
    async def perform(self, entry: PaletteEntry) -> None:
        """Run a palette entry in the background and say what it did and how."""
        self.action_line.running(entry.title)
        try:
            done = await self.run.session.take(entry)
        except NatslabError as exc:
            # A refusal is a sentence to read whole: the line shows its start, a toast all.
            self.action_line.failed(entry.title, str(exc))
            self.notify(str(exc), title=entry.title, severity="error", timeout=10)
            return
        self.action_line.done(entry.title, done)

    # --- the log panes' keys -----------------------------------------------------------

    def action_toggle_maximize(self) -> None:
        if self.maximized is not None:
            self.minimize()
        elif self.focused is not None:
            self.maximize(self.focused)

    def action_in_pane(self, action: str) -> None:
        """f and v: the focused log's own actions (the screen's bindings keep them shown)."""
        pane = self.panes.holding(self.focused)
        if pane is not None:
            getattr(pane, f"action_{action}")()

    def action_search(self) -> None:
        pane = self.panes.holding(self.focused)
        if pane is None:
            self.notify("Focus a server's log first (tab), then press /.")
            return
        lines = self.run.session.logs.lines(pane.server)
        self.app.push_screen(SearchScreen(pane.server, lines), callback=pane.mark)

    def action_cycle_pane(self, step: int) -> None:
        """On a narrow screen one log pane shows at a time: show the next or previous one."""
        self.panes.cycle(step)

    def action_toggle_timeline(self) -> None:
        """On a narrow screen the client panel and the timeline share one place: swap them."""
        self.query_one("#bottom").toggle_class("timeline")

    # --- help and quitting -------------------------------------------------------------

    def action_help(self) -> None:
        run = self.run
        room = run.room is not None and run.lesson is not None
        self.app.push_screen(HelpScreen(lesson=run.lesson is not None, room=room))

    def action_quit_lab(self) -> None:
        running = [name for name, view in self.run.session.state.servers.items() if view.up]
        if not running or self.run.read_only:  # a watch started nothing, so stops nothing
            self.app.exit(0)
            return

        def answered(stop: bool | None) -> None:
            if stop:
                self.app.exit(0)

        self.app.push_screen(ConfirmQuit(running), answered)
