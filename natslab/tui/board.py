"""`natslab class board`: the instructor's screen: who is where, who is stuck, what the room
predicted (sealed until revealed)."""

from __future__ import annotations

import time

from rich.markup import escape
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from natslab.room.feed import RoomFeed
from natslab.room.roster import ParticipantView, QuestionView, RoomState, pairs
from natslab.words import counted

REFRESH_SECONDS = 0.5
STATUS_SECONDS = 5.0  # stuck and offline follow the clock: redrawn this often regardless
ROSTER_COLUMNS = ("Participant", "Lesson", "Step", "In step", "Checks ✓/✗", "Retries", "Status")
QUESTION_COLUMNS = ("Lesson", "Step", "Question", "Answered", "Split", "Measured")


def split_text(question: QuestionView) -> str:
    """Sealed until revealed; then each answer's count, and how many were right."""
    if not question.revealed:
        return "sealed (r reveals)"
    split = question.split()
    counts = " · ".join(f"{k + 1}: {n}" for k, n in sorted(split.items()))
    right = sum(n for k, n in split.items() if k in question.right)
    return f"{counts} — {right} of {sum(split.values())} right"


def measured_text(question: QuestionView) -> str:
    if not question.revealed:
        return "sealed"
    values = sorted(set(question.measured.values()))
    return " | ".join(values[:3]) + (" …" if len(values) > 3 else "")


class BoardApp(App[int]):
    """Redrawn twice a second from the room's fold; `r` reveals the selected question."""

    CSS = """
    #summary { height: 1; padding: 0 1; background: $boost; }
    #roster { height: 2fr; border: round $primary-darken-2; }
    #questions { height: 1fr; border: round $secondary; }
    #pairs { height: auto; padding: 0 1; color: $warning; }
    """
    BINDINGS = [
        Binding("r", "reveal", "Reveal the question"),
        Binding("enter", "detail", "Participant's detail", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, feed: RoomFeed) -> None:
        super().__init__()
        self.feed = feed
        self.title = f"natslab class board: {feed.room}"
        self._drawn = -1
        self._drawn_at = 0.0
        self._question_keys: list[tuple[str, int]] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="summary")
        roster: DataTable[str] = DataTable(id="roster", cursor_type="row", zebra_stripes=True)
        roster.add_columns(*ROSTER_COLUMNS)
        roster.border_title = "participants (stuck first)"
        yield roster
        questions: DataTable[str] = DataTable(id="questions", cursor_type="row")
        questions.add_columns(*QUESTION_COLUMNS)
        questions.border_title = "predictions"
        yield questions
        yield Static("", id="pairs")
        yield Footer()

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self.redraw)
        self.redraw()

    def redraw(self, force: bool = False) -> None:
        due = time.monotonic() - self._drawn_at >= STATUS_SECONDS
        if self.feed.revision == self._drawn and not force and not due:
            return
        self._drawn, self._drawn_at = self.feed.revision, time.monotonic()
        state, now = self.feed.state, time.time()
        self._draw_roster(state, now)
        self._draw_questions(state)
        self._show_pairs(self.query_one("#questions", DataTable).cursor_row)
        stuck = sum(1 for who in state.participants.values() if state.status(who, now) == "stuck")
        ignored = f" · {state.ignored} foreign messages ignored" if state.ignored else ""
        self.query_one("#summary", Static).update(
            f"{counted(len(state.participants), 'participant')} · {stuck} stuck · "
            f"{counted(state.events, 'event')}{ignored}"
        )

    def _draw_roster(self, state: RoomState, now: float) -> None:
        table = self.query_one("#roster", DataTable)
        table.clear()
        for who in state.queue(now):
            step = f"{who.step + 1}. {who.step_title}" if who.step is not None else "-"
            since = f"{now - who.step_since:.0f} s" if who.step is not None else "-"
            status = state.status(who, now)
            why = state.stuck_because(who, now)
            table.add_row(
                who.name, who.lesson or "-", step, since, f"{who.passed}/{who.failed}",
                str(who.retries), f"{status}: {why}" if why else status, key=who.name,
            )  # fmt: skip

    def _draw_questions(self, state: RoomState) -> None:
        table = self.query_one("#questions", DataTable)
        table.clear()
        self._question_keys = sorted(state.questions)
        for lesson, step in self._question_keys:
            question = state.questions[(lesson, step)]
            asked = len({*question.locked, *question.measured})
            table.add_row(
                lesson, str(step + 1), question.text or "(not judged yet)",
                f"{len(question.locked)} of {asked}", split_text(question),
                measured_text(question),
            )  # fmt: skip

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "questions":
            self._show_pairs(event.cursor_row)

    def _show_pairs(self, row: int) -> None:
        text = ""
        if 0 <= row < len(self._question_keys):
            question = self.feed.state.questions[self._question_keys[row]]
            matched = pairs(question)
            if matched and not question.revealed:
                names = ", ".join(f"{a}–{b}" for a, b in matched)
                text = f"The room is split on this one: before revealing, pair up {names}."
        self.query_one("#pairs", Static).update(text)

    def action_detail(self) -> None:
        table = self.query_one("#roster", DataTable)
        if self.focused is not table or table.row_count == 0:
            return
        name = str(table.get_row_at(table.cursor_row)[0])
        who = self.feed.state.participants.get(name)
        if who is not None:
            self.push_screen(ParticipantDetail(who))

    def action_reveal(self) -> None:
        table = self.query_one("#questions", DataTable)
        if not self._question_keys:
            self.notify("No question has been answered in this room yet.")
            return
        lesson, step = self._question_keys[min(table.cursor_row, len(self._question_keys) - 1)]
        self._reveal(lesson, step)

    @work(exclusive=True, group="reveal")
    async def _reveal(self, lesson: str, step: int) -> None:
        aggregate = await self.feed.reveal(lesson, step)
        self.redraw(force=True)
        self.notify(
            f"Revealed to the room: {aggregate['right']} of {aggregate['answered']} right.",
            title=f"{lesson}, step {step + 1}",
        )


class ParticipantDetail(ModalScreen[None]):
    """One participant: their open help request (with its diagnostics) and latest checks."""

    BINDINGS = [Binding("escape", "dismiss", "Back"), Binding("q", "dismiss", "Back")]
    DEFAULT_CSS = """
    ParticipantDetail { align: center middle; }
    ParticipantDetail > Static { width: 90%; height: auto; max-height: 90%; padding: 1 2;
                                 border: round $accent; background: $surface; }
    """

    def __init__(self, who: ParticipantView) -> None:
        super().__init__()
        self.who = who

    def compose(self) -> ComposeResult:
        yield Static(detail_text(self.who), id="detail")


def detail_text(who: ParticipantView) -> str:
    """Markup for the detail; whatever a participant sent is escaped, never markup."""
    lines = [f"[b]{escape(who.name)}[/b], {escape(who.lesson or 'no lesson yet')}"]
    if who.step is not None:
        lines.append(f"step {who.step + 1}: {escape(who.step_title)} (retries {who.retries})")
    if who.help is not None:
        lines.append("")
        lines.append(f"[b]Asks for help[/b] at step {int(who.help.get('index', 0)) + 1}:")
        for key in ("versions", "servers", "clients"):
            if who.help.get(key):
                lines.append(f"  {key}: {escape(str(who.help[key]))}")
    if who.checks:
        lines.append("")
        lines.append("[b]Latest checks[/b]")
        for index, description, ok, observation in who.checks[-10:]:
            mark = "[green]✓[/]" if ok else "[red]✗[/]"
            said = escape(f"{description} — {observation}")
            lines.append(f"  {mark} step {index + 1}: {said}")
    lines.append("")
    lines.append("[dim]escape: back[/]")
    return "\n".join(lines)
