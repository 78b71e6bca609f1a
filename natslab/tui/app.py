"""NatsLabApp: a run on screen. It holds what is shown (the session, the lesson and its
runner, the class room) and opens LabScreen, which draws it and answers every key."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import App, ComposeResult
from textual.screen import Screen

from natslab.lab.operations import PaletteEntry
from natslab.lessons.model import Lesson
from natslab.lessons.runner import LessonRunner
from natslab.room.participant.uplink import Uplink
from natslab.tui.commands import LabCommands
from natslab.tui.lab_screen import LabScreen
from natslab.tui.plain import PlainNotify
from natslab.tui.run_protocol import ScreenSession
from natslab.tui.widgets.action_line import ActionLine
from natslab.tui.widgets.client_panel import ClientPanel
from natslab.tui.widgets.pane_grid import PaneGrid


class NatsLabApp(PlainNotify):
    """The lab's app: the run it shows, and the one screen that shows it."""

    CSS_PATH = "app.tcss"
    TITLE = "natslab"
    COMMANDS = App.COMMANDS | {LabCommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-medium"), (160, "-wide")]

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
        self.lab_screen = LabScreen(self)

    def get_default_screen(self) -> Screen[None]:
        return self.lab_screen

    def on_mount(self) -> None:
        self.lab_screen.start()

    def compose(self) -> ComposeResult:
        # Textual mounts the app's widgets into its default screen before the app counts as
        # ready, so a key pressed (or a pilot's query) at once finds the view in place.
        yield from self.lab_screen.main_view()

    # What the palette (LabCommands) and the tests ask of the app: the screen's.

    def palette(self) -> list[PaletteEntry]:
        return self.lab_screen.palette()

    def by_hand(self, entry: PaletteEntry) -> str:
        return self.lab_screen.by_hand(entry)

    def perform(self, entry: PaletteEntry) -> object:
        return self.lab_screen.perform(entry)

    @property
    def panes(self) -> PaneGrid:
        return self.lab_screen.panes

    @property
    def client_panel(self) -> ClientPanel:
        return self.lab_screen.client_panel

    @property
    def action_line(self) -> ActionLine:
        return self.lab_screen.action_line
