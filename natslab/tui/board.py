"""`natslab class board`: the instructor's screen: who is where, who is stuck, what the room
predicted (sealed until revealed)."""

from __future__ import annotations

import time

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Static

from natslab.errors import NatslabError
from natslab.room.instructor.board_rows import (
    FEW,
    FEWEST,
    FIGURE_COLUMNS,
    QUESTION_COLUMNS,
    ROSTER_COLUMNS,
    STEP_COLUMNS,
    ReadOnlyBoard,
    figure_rows,
    question_rows,
    roster_rows,
    step_rows,
)
from natslab.room.instructor.feed import RoomFeed
from natslab.room.instructor.replay import ReplayFeed
from natslab.room.instructor.track import TrackFeed
from natslab.room.roster import ParticipantView, QuestionView, RoomState, pairs
from natslab.tui.plain import PlainNotify
from natslab.words import counted

REFRESH_SECONDS = 0.2  # looks this often; redraws only when the room moved (or STATUS_SECONDS)
STATUS_SECONDS = 5.0  # stuck and offline follow the clock: redrawn this often regardless


def refill(table: DataTable[Text], rows: list[tuple[str, list[str]]]) -> None:
    """Redraw a table's rows, the cursor staying on the same row (by key, as rows re-sort)
    and the view where it was: `clear()` alone would send the instructor back to the top."""
    chosen = None
    if table.row_count:
        chosen = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
    scrolled = table.scroll_y
    table.clear()
    for key, cells in rows:
        # Text, not str: a DataTable reads a str cell as markup, and these came from outside
        table.add_row(*(Text(cell) for cell in cells), key=key)
    keys = [key for key, _ in rows]
    if chosen in keys:
        table.move_cursor(row=keys.index(chosen), animate=False, scroll=False)
    table.scroll_to(y=scrolled, animate=False, immediate=True)


class BoardApp(PlainNotify):
    """Redrawn twice a second from the room's fold; `r` reveals the selected question."""

    CSS = """
    #summary { height: 1; padding: 0 1; background: $boost; }
    #roster { height: 2fr; border: round $primary-darken-2; }
    #questions { height: 1fr; border: round $secondary; }
    #figures { height: 1fr; border: round $secondary; }
    #pairs { height: auto; padding: 0 1; color: $warning; }
    """
    BINDINGS = [
        Binding("r", "reveal", "Reveal the question"),
        Binding("w", "hold", "Wait for me"),
        Binding("u", "release", "Release"),
        Binding("x", "resolve", "Help given"),
        Binding("p", "projector", "Projector on/off"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, feed: RoomFeed | ReplayFeed | TrackFeed, projector: bool = False) -> None:
        super().__init__()
        self.feed = feed
        self.projector = projector  # no names, no aggregate over fewer than five
        # Started for the projector: it stays one, whatever key a passer-by presses.
        self.projector_only = projector
        self.title = f"natslab class board: {feed.room}"
        self._drawn = -1
        self._drawn_at = 0.0
        self._question_keys: list[tuple[str, int]] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="summary")
        yield DataTable(id="roster", cursor_type="row", zebra_stripes=True)
        questions: DataTable[Text] = DataTable(id="questions", cursor_type="row")
        questions.add_columns(*QUESTION_COLUMNS)
        questions.border_title = "predictions"
        yield questions
        yield Static("", id="pairs")
        figures: DataTable[Text] = DataTable(id="figures", cursor_type="row")
        figures.add_columns(*FIGURE_COLUMNS)
        figures.border_title = "figures across the room (outliers: beyond Tukey's fences)"
        yield figures
        yield Footer()

    def on_mount(self) -> None:
        self._set_mode()
        self.set_interval(REFRESH_SECONDS, self.redraw)

    def _set_mode(self) -> None:
        """The roster's columns, titles and subtitle for the instructor or the projector."""
        roster = self.query_one("#roster", DataTable)
        roster.clear(columns=True)
        roster.add_columns(*(STEP_COLUMNS if self.projector else ROSTER_COLUMNS))
        roster.border_title = (
            "the room by step (no names)" if self.projector else "participants (stuck first)"
        )
        self.sub_title = "projector: no names, nothing over fewer than 5" if self.projector else ""
        self.redraw(force=True)

    def action_projector(self) -> None:
        if self.projector_only:
            self.notify("This board was started for the projector: it never shows names. "
                        "The instructor's board is `natslab class board ROOM`.")  # fmt: skip
            return
        self.projector = not self.projector
        self._set_mode()

    def redraw(self, force: bool = False) -> None:
        due = time.monotonic() - self._drawn_at >= STATUS_SECONDS
        if self.feed.revision == self._drawn and not force and not due:
            return
        self._drawn, self._drawn_at = self.feed.revision, time.monotonic()
        state, now = self.feed.state, self.feed.now()
        self._draw_roster(state, now)
        self._draw_questions(state)
        self._draw_figures(state)
        self._show_pairs(self.query_one("#questions", DataTable).cursor_row)
        stuck = sum(1 for who in state.participants.values() if state.status(who, now) == "stuck")
        refused = state.refused_text()
        ignored = f" · {refused}" if refused else ""
        people = counted(len(state.participants), "participant")
        if self.projector and len(state.participants) < FEWEST:
            people, stuck_text = f"{FEW} participants", ""
        else:
            stuck_text = f" · {stuck} stuck"
        summary = Text(f"{people}{stuck_text} · {counted(state.events, 'event')}{ignored}")
        if courses := state.courses_text():  # the instructor's words: Text, never markup
            summary.append(f" · {courses}")
        if away := self.feed.unreachable():
            summary.append(f" · {away} (it comes back by itself)", style="bold red")
        for lesson, step in sorted(state.control.holds.items()):
            summary.append(" · ")
            summary.append("held", style="bold")
            summary.append(f": {lesson} at step {step + 1}")
        self.query_one("#summary", Static).update(summary)

    def _draw_roster(self, state: RoomState, now: float) -> None:
        rows = step_rows(state, now) if self.projector else roster_rows(state, now)
        refill(self.query_one("#roster", DataTable), rows)

    def _draw_questions(self, state: RoomState) -> None:
        self._question_keys = sorted(state.questions)
        refill(self.query_one("#questions", DataTable), question_rows(state, self.projector))

    def _draw_figures(self, state: RoomState) -> None:
        refill(self.query_one("#figures", DataTable), figure_rows(state, self.projector))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "questions":
            self._show_pairs(event.cursor_row)

    def _show_pairs(self, row: int) -> None:
        text = ""
        if 0 <= row < len(self._question_keys):
            question = self.feed.state.questions[self._question_keys[row]]
            matched = pairs(question)
            if matched and not question.revealed and not self.projector:
                names = ", ".join(f"{a}–{b}" for a, b in matched)
                text = f"The room is split on this one: before revealing, pair up {names}."
        for line in self.query("#pairs").results(Static):  # none once the board is closing
            line.update(Text(text))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter (or a click) on a row: that participant's detail, or that question's
        answers."""
        table, row = event.data_table, event.cursor_row
        if self.projector:
            return  # a detail names participants: not on the projector
        if table.id == "questions" and row < len(self._question_keys):
            question = self.feed.state.questions[self._question_keys[row]]
            self.push_screen(Detail(question_detail(question)))
        elif table.id == "roster":
            who = self.feed.state.participants.get(str(table.get_row_at(row)[0]))
            if who is not None:
                self.push_screen(Detail(detail_text(who)))

    def _selected_participant(self) -> ParticipantView | None:
        table = self.query_one("#roster", DataTable)
        if self.projector or table.row_count == 0:
            return None
        name = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)
        return self.feed.state.participants.get(name)

    def action_hold(self) -> None:
        """Wait for me: nobody in the selected participant's lesson starts the step after
        theirs until released (select the one furthest ahead)."""
        if self.feed.read_only:
            self.notify(self.feed.read_only)
            return
        who = self._selected_participant()
        if who is None or not who.lesson:
            self.notify("Select a participant in a lesson: the room is held after their step.")
            return
        if who.finished is not None:
            self.notify(f"{who.name} has finished {who.lesson}: there is no step after theirs "
                        "to hold the room at. Select one still in the lesson.")  # fmt: skip
            return
        step = (who.step if who.step is not None else -1) + 1
        self._control("Held", f"Held at step {step + 1} of {who.lesson}.",
                      lesson=who.lesson, step=step)  # fmt: skip

    def action_resolve(self) -> None:
        """The selected participant's help request is answered: off the top of the queue."""
        if self.feed.read_only:
            self.notify(self.feed.read_only)
            return
        who = self._selected_participant()
        if who is None or who.help is None:
            self.notify("Select a participant asking for help: x marks their request answered.")
            return
        self._control("HelpResolved", f"{who.name}'s request is marked answered.", who=who.name)

    def action_release(self) -> None:
        who = self._selected_participant()
        held = self.feed.state.control.holds
        lesson = who.lesson if who is not None and who.lesson in held else next(iter(held), "")
        if not lesson:
            self.notify("Nothing is held.")
            return
        self._control("Released", f"{lesson} released.", lesson=lesson)

    @work(group="control")
    async def _control(self, kind: str, said: str, **fields: object) -> None:
        try:
            await self.feed.control(kind, **fields)
        except (ReadOnlyBoard, NatslabError) as exc:  # read-only, or the room refused it
            said = str(exc)
        self.notify(said, markup=False)

    def action_reveal(self) -> None:
        table = self.query_one("#questions", DataTable)
        if not self._question_keys:
            self.notify("No question has been answered in this room yet.")
            return
        lesson, step = self._question_keys[min(table.cursor_row, len(self._question_keys) - 1)]
        self._reveal(lesson, step)

    @work(exclusive=True, group="reveal")
    async def _reveal(self, lesson: str, step: int) -> None:
        try:
            aggregate = await self.feed.reveal(lesson, step)
        except (ReadOnlyBoard, NatslabError) as exc:
            self.notify(str(exc), markup=False)
            return
        self.redraw(force=True)
        self.notify(
            f"Revealed to the room: {aggregate['right']} of {aggregate['answered']} right.",
            title=f"{lesson}, step {step + 1}",
            markup=False,
        )


class Detail(ModalScreen[None]):
    """A participant (their help request, with its diagnostics, and latest checks) or a
    question (who answered what beside what their own run measured)."""

    BINDINGS = [Binding("escape", "dismiss", "Back"), Binding("q", "dismiss", "Back")]
    DEFAULT_CSS = """
    Detail { align: center middle; }
    Detail > VerticalScroll { width: 90%; height: auto; max-height: 90%; padding: 1 2;
                              border: round $accent; background: $surface; }
    Detail Static { height: auto; }
    """

    def __init__(self, text: Text) -> None:
        super().__init__()
        self.text = text

    def compose(self) -> ComposeResult:
        with VerticalScroll():
            yield Static(self.text, id="detail")


def question_detail(question: QuestionView) -> Text:
    """Sealed: only who has answered. Revealed: each answer beside that run's own figure."""
    out = Text()
    out.append(f"{question.lesson}, step {question.step + 1}", style="bold")
    out.append(f": {question.text or '(not judged yet)'}\n")
    names = sorted({*question.locked, *question.measured})
    if not question.revealed:
        answered = sorted(question.locked)
        out.append(f"\nSealed: {len(answered)} of {len(names)} answered "
                   f"({', '.join(answered) or 'nobody yet'}). r reveals.\n")  # fmt: skip
    else:
        out.append("\n")
        for name in names:
            answer = question.locked.get(name)
            out.append(f"  {name}: ")
            if answer is None:
                out.append("no answer")
            else:
                text = question.answers[answer] if answer < len(question.answers) else ""
                ok = question.matched.get(name)
                out.append(f"answered {answer + 1}. {text} (")
                if ok is None:
                    out.append("not judged")
                else:
                    out.append("right" if ok else "wrong", style="green" if ok else "red")
                out.append(")")
            out.append(f" — their run: {question.measured.get(name, 'not measured')}\n")
    out.append("\nescape: back", style="dim")
    return out


def detail_text(who: ParticipantView) -> Text:
    """A participant's detail; whatever they sent is plain text here, never markup."""
    out = Text()
    out.append(who.name, style="bold")
    out.append(f", {who.lesson or 'no lesson yet'}\n")
    if who.step is not None:
        out.append(f"step {who.step + 1}: {who.step_title} (retries {who.retries})\n")
    if who.help is not None:
        out.append("\n")
        out.append("Asks for help", style="bold")
        out.append(f" at step {who.help.index + 1}:\n")
        for key, value in (("versions", who.help.versions), ("servers", who.help.servers),
                           ("clients", who.help.clients)):  # fmt: skip
            if value:
                out.append(f"  {key}: {value}\n")
    if who.versions:
        out.append(f"runs {who.versions}\n")
    if who.checks:
        out.append("\n")
        out.append("Latest checks\n", style="bold")
        for index, description, ok, observation in who.checks[-10:]:
            out.append("  ")
            out.append("✓" if ok else "✗", style="green" if ok else "red")
            out.append(f" step {index + 1}: {description} — {observation}\n")
    out.append("\nescape: back", style="dim")
    return out
