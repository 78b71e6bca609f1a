"""Modal screens: help, quit confirmation, and log search."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Log, Markdown

from natslab.present.renderings import LogSearch, MatchHighlighter
from natslab.words import both

LESSON_KEYS = """\
| `n` | run the next step of the lesson |
| `r` | retry the current step (re-checks it if its actions already ran) |
| `1`-`4` | answer the next step's question: the answer locks and the step runs |
| `s` | skip to the next step without running this one; on your turn, natslab does it |
| `p` | show the previous step's notes again |
| `↑` `↓` / `pgup` `pgdn` | scroll the lesson (it has the keyboard when the lesson starts) |
"""
ROOM_KEYS = """\
| `h` | ask the instructor for help; your step's checks, versions and cluster go along |
"""
HELP = """\
# natslab

Real `nats-server` processes, one log pane each, and a live view of where every client is.

| key | does |
|---|---|
{lesson_keys}| `tab` / `shift+tab` | move between panes |
| `m` | maximise the focused pane or the lesson (again to restore) |
| `/` | search the focused log: `enter` marks matches and holds the place, `n`/`N`, `escape` ends |
| `f` / `v` | in a log: every line (noise unfolded) / the raw lines as the server wrote them |
| `[` / `]` | on a narrow screen, show the previous / next server's log |
| `t` | on a narrow screen, swap the client panel and the timeline |
| `ctrl+p` | command palette: start, stop, kill, lame duck, restart, upgrade, add clients |
| `?` | this help |
| `q` | quit: stops every server natslab started |

A log pane folds repeats into one line with a counter (`×6`) and hides the noise (route dials,
ping timers, route handshake details) behind the counts under the pane; the complete log stays
in the run directory.

In the client panel, **On** flashes `A→C` when a client has just moved. In **Knows**, `*`
marks a server learned by gossip, `×2` one that sits in the pool under two addresses, and
a struck-through name a server that is down (nats-py never forgets a discovered server).
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "dismiss", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90%; max-width: 100; height: auto; max-height: 90%;
                                  border: round $accent; background: $surface; }
    """

    def __init__(self, lesson: bool = True, room: bool = False) -> None:
        super().__init__()
        self.lesson = lesson
        self.room = room  # in a class room, `h` asks for help

    def compose(self) -> ComposeResult:
        # In a focused scroll: on a small screen the help is longer than the box, and
        # PageDown, Down and End must reach its last lines.
        with VerticalScroll(id="help-scroll"):
            keys = (LESSON_KEYS if self.lesson else "") + (ROOM_KEYS if self.room else "")
            yield Markdown(HELP.format(lesson_keys=keys), id="help")

    def on_mount(self) -> None:
        self.query_one("#help-scroll", VerticalScroll).focus()


class ConfirmQuit(ModalScreen[bool]):
    """Asks before stopping running servers; `y` accepts, `n` or escape cancels."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes, stop them and quit"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    DEFAULT_CSS = """
    ConfirmQuit { align: center middle; }
    ConfirmQuit > Vertical { width: auto; height: auto; padding: 1 2;
                             border: thick $warning; background: $surface; }
    """

    def __init__(self, running: Iterable[str]) -> None:
        super().__init__()
        self.running = list(running)

    def compose(self) -> ComposeResult:
        with Vertical():
            one = len(self.running) == 1
            servers = f"{'Server' if one else 'Servers'} {both(self.running)}"
            yield Label(Text(f"{servers} {'is' if one else 'are'} running."))
            yield Label("Stop every server and quit? [b]y[/b]/[b]n[/b]")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class SearchScreen(ModalScreen[re.Pattern[str] | None]):
    """Type a pattern; the matching lines of one server's recent log are listed, marked.

    Enter closes it and marks the pattern in the pane itself, at the latest match.
    """

    BINDINGS = [Binding("escape", "dismiss_empty", "Close")]
    DEFAULT_CSS = """
    SearchScreen { align: center middle; }
    SearchScreen > Vertical { width: 90%; height: 80%; border: round $accent;
                              background: $surface; }
    SearchScreen Log { height: 1fr; }
    SearchScreen #summary { height: 1; padding: 0 1; color: $text-muted; }
    """

    def __init__(self, server: str, lines: list[str]) -> None:
        super().__init__()
        self.server = server
        self.lines = lines
        self.found = LogSearch.run(lines, "")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(
                placeholder=f"search {self.server}'s log: a regular expression; "
                "enter marks it in the pane, escape closes"
            )
            yield Log(id="matches", highlight=True)
            yield Label(f"{len(self.lines)} lines to search", id="summary")

    def on_input_changed(self, event: Input.Changed) -> None:
        found = LogSearch.run(self.lines, event.value)
        log = self.query_one("#matches", Log)
        log.clear()
        log.highlighter = MatchHighlighter(found.pattern)
        log.write_lines(found.matches)
        self.query_one("#summary", Label).update(Text(found.summary()))
        self.found = found

    def on_input_submitted(self) -> None:
        self.dismiss(self.found.pattern)

    def action_dismiss_empty(self) -> None:
        self.dismiss(None)
