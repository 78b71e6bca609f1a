"""The class room in the lab's screen: its status line, the instructor's hold and message,
the reveal of a question, and `h` to ask for help."""

from __future__ import annotations

from natslab.lab.operations import Done
from natslab.room.reveal import help_request, reveal_text
from natslab.state import LabState
from natslab.tui.lesson_keys import LessonKeys
from natslab.tui.widgets.action_line import ActionLine
from natslab.tui.widgets.lesson_panel import LessonPanel


class RoomKeys(LessonKeys):
    """An app that may report to a class room (`natslab class join`)."""

    action_line: ActionLine

    def _listen_to_room(self) -> None:
        if self.room is not None:
            self.room.on_reveal = self._on_reveal
            self.room.on_control = self._on_control

    def _show_room_status(self) -> None:
        if self.room is not None:
            held = self.room.control.holds.get(self.lesson.id) if self.lesson else None
            hold = f" · held at step {held + 1}" if held is not None else ""
            self.action_line.room(self.room.status() + hold)

    def _ask_help(self, state: LabState) -> None:
        """Ask the instructor for help: the step, its checks, the versions and the cluster
        go with the request, so they can look before they walk over."""
        if self.room is None or self.runner is None:
            return
        self.room.send(help_request(self.runner.record, state))
        self.action_line.done(
            "Help asked",
            Done("the instructor's board lists you first, with this step's checks"),
        )

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
