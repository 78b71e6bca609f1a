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


def _narrative_with_emphasis() -> str:
    """The upgrade lesson's first narrative, as the lesson file writes it (with **…**)."""
    from natslab.lessons import catalog

    narrative = catalog.load("upgrade").steps[0].narrative
    assert "**A's own cluster port**" in narrative
    return narrative


def test_lesson_emphasis_is_styled_in_the_terminal_not_printed_as_stars():
    from natslab.lessons import events as lev

    narrative = _narrative_with_emphasis() + "\n\nA name like `[/]` or [bold]x stays as it is."
    events = (
        lev.StepStarted(at=0.0, index=0, title="t", narrative=narrative, commands=()),
        lev.StepFinished(at=1.0, index=0, ok=True, duration=1.0),
    )
    plain = printed(*events)
    assert "names A's own cluster port as well" in plain and "**" not in plain, plain
    assert "A name like [/] or [bold]x stays as it is." in plain
    out = io.StringIO()
    printer = LessonPrinter(
        Console(file=out, width=200, force_terminal=True, color_system="standard")
    )
    for event in events:
        printer(event)
    assert "\x1b[1;3mA's own cluster port" in out.getvalue()  # bold, within the italic prose


def test_lesson_emphasis_is_html_in_the_report_and_text_is_escaped():
    from natslab.present.report import paragraphs

    page = str(paragraphs(_narrative_with_emphasis() + "\n\n<script>x</script> *a* `<b>`"))
    assert "<strong>A's own cluster port</strong>" in page and "**" not in page
    assert "&lt;script&gt;x&lt;/script&gt; <em>a</em> <code>&lt;b&gt;</code>" in page


def test_an_interruption_names_the_step_it_came_in_or_before():
    """Stopped while step 2 waited for its `--pace`, it said "in step 1" (a newcomer's run)."""
    from natslab.lessons import events as lev
    from natslab.lessons.record import LessonRecord
    from natslab.present.lesson_printer import interrupted

    record = LessonRecord()
    record.apply(lev.LessonStarted(lesson_id="x", title="X", steps=9))
    assert "before its first step, 0 of 9" in interrupted(record, 9).plain
    record.apply(lev.StepStarted(index=0, title="one", narrative="", commands=()))
    assert "in step 1 of 9, 0 of 9" in interrupted(record, 9).plain
    record.apply(lev.StepFinished(index=0, ok=True, duration=1.0))
    assert "after step 1 of 9, 1 of 9" in interrupted(record, 9).plain
    record.apply(lev.StepPreviewed(index=1, title="two", preview="", commands=()))
    assert "before step 2 of 9, 1 of 9" in interrupted(record, 9).plain
    record.apply(lev.StepStarted(index=1, title="two", narrative="", commands=()))
    assert "in step 2 of 9, 1 of 9" in interrupted(record, 9).plain
