"""The lesson's keys (n, r, s, p, 1-4): the runner decides, the app only asks and tells."""

from __future__ import annotations

from textual import work
from textual.binding import Binding
from textual.message import Message

from natslab.lessons.model import Lesson
from natslab.lessons.runner import LessonRunner
from natslab.room.uplink import Uplink
from natslab.tui.plain import PlainNotify
from natslab.tui.widgets.lesson_panel import LessonPanel
from natslab.tui.widgets.pane_grid import PaneGrid

LESSON_ACTIONS = frozenset({"next_step", "retry", "skip", "previous_notes", "answer"})


class LessonChanged(Message):
    """The runner recorded something new: the lesson panel redraws from its record."""


class LessonKeys(PlainNotify):
    """An app that may hold a lesson: its keys, the step worker, the panel's redraw."""

    BINDINGS = [
        Binding("n", "next_step", "Next step"),
        Binding("r", "retry", "Retry"),
        Binding("s", "skip", "Skip"),
        Binding("p", "previous_notes", "Prev notes"),
        *(Binding(str(n), f"answer({n - 1})", f"Answer {n}", show=False) for n in range(1, 5)),
    ]

    lesson: Lesson | None
    runner: LessonRunner | None
    room: Uplink | None
    panes: PaneGrid
    servers: list[str]
    auto: bool
    auto_pause: float

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

    def on_lesson_changed(self, _message: LessonChanged) -> None:
        if self.runner is None:
            return
        record = self.runner.record
        self.query_one(LessonPanel).show(record)
        if record.current is not None:  # mark in each pane what this step's checks quoted
            for server in self.servers:
                step = record.steps[record.current]
                self.panes.pane(server).log_view.cite(step.cited(server))

    def _held(self) -> str | None:
        """The instructor's hold on the next step, in a sentence, or None."""
        if self.room is None or self.runner is None:
            return None
        index = self.runner.progress.next_index
        return self.room.control.held_text(self.runner.lesson.id, index) or None
