"""The screen at 120x40 and 200x50, drawn from a recorded cluster (no live servers)."""

from pathlib import Path

import pytest
from textual.widgets import DataTable

from natslab.cluster import events as sev
from natslab.cluster.snapshot import RoutePeer, ServerStatus
from natslab.lab.local import LabSession, open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons import catalog
from natslab.lessons import events as lev
from natslab.present.renderings import CountHistory
from natslab.tui.app import NatsLabApp
from tests.tui.pilot import first_block_text, server_log, wait_for

DATA = Path(__file__).parent.parent / "data"
# 80x24 is left to test_snapshots.py's first frame: with logs flowing, the single pane's
# follow-scroll settled one row apart run to run (see the closing note of issue 14).
SIZES = [(120, 40), (200, 50)]
PORTS = {"A": 14222, "B": 14333, "C": 14444}


def recorded_cluster(session: LabSession) -> None:
    """Three routed servers, as the upgrade lesson has them at step 4."""
    state = session.state
    for i, (name, client) in enumerate(PORTS.items()):
        state.apply(
            sev.ServerStarted(
                server=name, at=100.0 + i, pid=3063 + i, argv=(), binary=Path("/venv/bin/x"),
                version="2.15.1", client_port=client, cluster_port=client + 2000,
                monitor_port=client + 4000,
            )
        )  # fmt: skip
        state.apply(sev.ServerReady(server=name, at=100.5 + i, level="INF", text="ready"))
    for name in PORTS:
        peers = tuple(RoutePeer(p, f"id{p}", 4) for p in PORTS if p != name)
        status = ServerStatus(
            server=name, up=True, at=103.0, version="2.15.1", healthy=True, route_peers=peers
        )
        state.apply(sev.ServerPolled(server=name, at=103.0, status=status))
    # No clients: a DataTable widens its columns a moment after its rows arrive, so a
    # snapshot with rows would catch it before or after that, run to run.


async def feed_logs(pilot) -> None:
    app = pilot.app
    for name in PORTS:
        lines = (DATA / f"nats-server-2.15.1-{name}.log").read_text().splitlines()
        app.session.bus.emit(sev.LogLines(server=name, at=105.0, lines=tuple(lines)))
    await settle(pilot, lambda: all(len(server_log(app, n).lines) > 5 for n in PORTS))


async def settle(pilot, ready) -> None:
    """Until `ready` holds and nothing that scrolls has moved for three looks in a row."""
    app = pilot.app
    seen: list[tuple[object, ...]] = []

    def settled() -> bool:
        scrollers = [w for w in app.screen.query("*") if w.is_scrollable]
        # A DataTable sizes its columns to their cells a moment after the rows arrive.
        widths = [
            (
                table.virtual_size,
                tuple(column.get_render_width(table) for column in table.columns.values()),
            )
            for table in app.screen.query(DataTable)
        ]
        seen.append(
            (tuple((w.id, w.scroll_y, w.max_scroll_y, w.size) for w in scrollers), tuple(widths))
        )
        logs = app.screen.query("FoldedLog")
        at_end = all(not log.size.height or log.scroll_y == log.max_scroll_y for log in logs)
        return bool(ready()) and at_end and seen[-3:] == [seen[-1]] * 3

    await wait_for(pilot, settled, 5, "the screen to settle")


@pytest.fixture
def recorded(offset, monkeypatch):
    # The clients-per-server chart samples once a wall-clock second: take one sample only,
    # so the picture does not depend on how long the test took to reach the snapshot.
    monkeypatch.setattr(CountHistory.__init__, "__defaults__", (120, 10**9))
    session = open_lab(settings=RunSettings(offset=offset))
    recorded_cluster(session)
    yield session
    session.source.supervisor.kill_all_now()
    session.run_dir.finish()


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_lab(snap_compare, recorded, size):
    app = NatsLabApp(recorded, list(PORTS))
    assert snap_compare(app, run_before=feed_logs, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_tutorial_step_4(snap_compare, recorded, size):
    lesson = catalog.load("upgrade")
    app = NatsLabApp(recorded, lesson.servers, lesson)
    step, following = lesson.steps[3], lesson.steps[4]
    question = step.predict.question
    answers = tuple(a.text for a in step.predict.answers)

    async def step_four(pilot) -> None:
        await feed_logs(pilot)
        for event in [
            lev.StepPreviewed(
                at=105.0, index=3, title=step.title, preview=step.preview,
                commands=tuple(step.commands), question=question, answers=answers,
            ),
            lev.PredictionLocked(at=105.5, index=3, answer=0),
            lev.StepStarted(
                at=106.0, index=3, title=step.title, narrative=step.narrative,
                commands=tuple(step.commands),
            ),
            lev.ActionDone(
                at=106.1, index=3, action="start_server", ok=True,
                detail="started C (pid 3065, nats-server 2.15.1)",
                command="nats-server -D -p 4444 -cluster nats://localhost:6444",
            ),
            lev.ActionDone(
                at=106.2, index=3, action="start_clients", ok=True,
                detail="started 20 subscribers (crowd-1..crowd-20)",
            ),
            lev.CheckResult(
                at=106.3, index=3, position=0, ok=True, final=True,
                description="A, B and C are all routed to each other",
                observation="A peers: B C; B peers: A C; C peers: A B",
            ),
            lev.CheckResult(
                at=106.4, index=3, position=1, ok=True, final=True,
                description="sub-1 knows A, B and C",
                observation="1 client: learned C 1039 ms after it started",
            ),
            lev.PredictionJudged(
                at=107.3, index=3, question=question, answers=answers, answer=0,
                measured="1.0 s after C started", right=(0,), matched=True,
            ),
            lev.StepFinished(at=107.4, index=3, ok=True, duration=1.4),
            lev.StepPreviewed(
                at=107.5, index=4, title=following.title, preview=following.preview,
                commands=tuple(following.commands), question=following.predict.question,
                answers=tuple(a.text for a in following.predict.answers),
                hands_on="stop server A as Ctrl+C would (SIGINT)",
            ),
        ]:  # fmt: skip
            pilot.app.runner._emit(event)
        narrative = pilot.app.query_one("#narrative")
        await settle(
            pilot,
            lambda: (
                "Step 4 of 9 passed" in str(pilot.app.query_one("#lesson-status").render())
                and "Predict (step 5)" in str(pilot.app.query_one("#prompt").render())
                and first_block_text(narrative) == step.title
            ),
        )

    assert snap_compare(app, run_before=step_four, terminal_size=size)
