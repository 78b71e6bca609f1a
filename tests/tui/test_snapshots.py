"""Layout regressions: SVG snapshots of stable screens (the help, a lesson panel with fixed data).

Snapshots are tied to the Textual version that drew them; with another version they are
skipped, not failed, and `pytest tests/tui/test_snapshots.py --snapshot-update` redraws them.
"""

from importlib.metadata import version
from pathlib import Path

import pytest

from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons import catalog
from natslab.lessons import events as ev
from natslab.tui.app import NatsLabApp
from tests.tui.pilot import first_block_text, wait_for

SNAPSHOT_OFFSET = 12000
PINNED = (Path(__file__).parent / "snapshot-textual-version.txt").read_text().strip()
pytestmark = pytest.mark.skipif(
    version("textual") != PINNED,
    reason=f"snapshots were drawn with textual {PINNED}, this is {version('textual')}",
)


@pytest.fixture
def quiet_app():
    """The tutorial app with no server running: nothing on screen depends on time. Its
    offset is fixed, since the screen shows this run's ports and nothing binds them."""
    session = open_lab(settings=RunSettings(offset=SNAPSHOT_OFFSET))
    lesson = catalog.load("upgrade")
    app = NatsLabApp(session, lesson.servers, lesson)
    yield app
    # No server ever started; the app's loop is gone, so only the bookkeeping is left.
    session.source.supervisor.kill_all_now()
    session.run_dir.finish()


def test_help_screen(snap_compare, quiet_app):
    assert snap_compare(quiet_app, press=["question_mark"], terminal_size=(120, 40))


def test_lesson_panel_with_fixed_checks(snap_compare, quiet_app):
    step = quiet_app.lesson.steps[2]
    fixed = [
        ev.StepStarted(
            index=2, title=step.title, narrative=step.narrative, commands=tuple(step.commands)
        ),
        ev.ActionDone(
            index=2,
            action="start_clients",
            ok=True,
            detail="started 1 subscriber (sub-1)",
            command='nats sub -s nats://localhost:4222 ">"',
        ),
        ev.CheckResult(
            index=2,
            position=0,
            description="A's log matches /Client connection created/",
            ok=True,
            observation="[DBG] 127.0.0.1:50000 - cid:5 - Client connection created",
            final=True,
        ),
        ev.CheckResult(
            index=2,
            position=1,
            description="sub-1 on A",
            ok=True,
            observation="1 client: 1 on A",
            final=True,
        ),
        ev.CheckResult(
            index=2,
            position=2,
            description="sub-1 know A, B",
            ok=False,
            observation="sub-1 knows only A",
            final=False,
        ),
    ]

    async def feed(pilot):
        # As the runner would: into its record, then out on the bus to the screen.
        for event in fixed:
            pilot.app.runner._emit(event)
        narrative = pilot.app.query_one("#narrative")
        await wait_for(
            pilot,
            lambda: (
                "knows only A" in str(pilot.app.query_one("#checks").render())
                and first_block_text(narrative) == step.title
            ),
            5,
            "the panel to show step 3",
        )

    assert snap_compare(quiet_app, run_before=feed, terminal_size=(120, 40))


def test_lesson_layout_at_80_by_24(snap_compare, quiet_app):
    assert snap_compare(quiet_app, terminal_size=(80, 24))
