"""The headless lesson's lines for what the lesson did not ask for."""

import io

from rich.console import Console

from natslab.cluster import events as sev
from natslab.present.lesson_printer import LessonPrinter


def printed(*events) -> str:
    out = io.StringIO()
    printer = LessonPrinter(Console(file=out, width=200, highlight=False))
    for event in events:
        printer(event)
    return out.getvalue()


def test_a_server_that_dies_unasked_gets_a_line_and_a_stop_gets_none():
    crash = sev.ServerExited(server="A", at=1.0, returncode=2, expected=False,
                             last_lines=("panic: runtime error\x1b[2J",))  # fmt: skip
    assert printed(crash) == (
        "  ! A exited without natslab stopping it (exit code 2): panic: runtime error?[2J\n"
    )
    assert printed(sev.ServerExited(server="A", at=1.0, returncode=0, expected=True)) == ""
