"""Keys a learner presses (r, s, p, m, tab, --auto) and the palette's actions, through Pilot."""

from pathlib import Path

from natslab.lab.session import LabSession
from natslab.lab.settings import RunSettings
from natslab.lessons.model import Lesson
from natslab.tui.app import NatsLabApp
from tests.tui.pilot import highlighted_command, wait_for

TWO_STEPS = {
    "id": "two",
    "title": "Two steps",
    "servers": ["A", "B"],
    "steps": [
        {
            "title": "A and one subscriber, expected on B",
            "narrative": "First notes.",
            "actions": [
                {"type": "start_server", "server": "A", "routes": []},
                {"type": "start_clients", "seeds": ["A"]},
            ],
            "checks": [{"type": "client_on", "servers": ["B"], "timeout": 1}],
        },
        {
            "title": "B on its own",
            "narrative": "Second notes.",
            "actions": [{"type": "start_server", "server": "B", "routes": []}],
            "checks": [{"type": "server_ready", "server": "B"}],
        },
    ],
}


def status(app) -> str:
    return str(app.query_one("#lesson-status").render())


def narrative(app) -> str:
    return app.query_one("#narrative").source


async def test_retry_skip_previous_notes_maximise_and_tab(session):
    lesson = Lesson.model_validate(TWO_STEPS)
    app = NatsLabApp(session, lesson.servers, lesson)
    runner = app.runner
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: "failed" in status(app), 20, "step 1 to fail")
        first_run = runner.record.steps[0]

        await pilot.press("r")  # its actions ran: only the checks run again
        await wait_for(
            pilot,
            lambda: runner.record.steps[0] is not first_run and not runner.progress.running,
            20,
            "the retry to finish",
        )
        assert runner.progress.failed and len(session.fleet.clients) == 1

        await pilot.press("s")
        await wait_for(pilot, lambda: runner.progress.next_index == 1, 5, "the skip")
        await pilot.press("n")
        await wait_for(pilot, lambda: "Lesson complete" in status(app), 20, "step 2 to pass")
        assert narrative(app).startswith("## B on its own")

        await pilot.press("p")
        await wait_for(
            pilot, lambda: narrative(app).startswith("## Step 2: B on its own"), 5, "p once"
        )
        await pilot.press("p")
        await wait_for(pilot, lambda: "First notes." in narrative(app), 5, "p twice")

        await pilot.press("tab")
        await wait_for(pilot, lambda: app._focused_pane() is not None, 5, "a pane focused")
        first = app._focused_pane()
        await pilot.press("tab")
        await wait_for(
            pilot, lambda: app._focused_pane() not in (None, first), 5, "the next pane focused"
        )
        await pilot.press("m")
        await wait_for(pilot, lambda: app.screen.maximized is not None, 5, "maximised")
        await pilot.press("m")
        await wait_for(pilot, lambda: app.screen.maximized is None, 5, "restored")


async def test_auto_runs_every_step_without_a_key(session):
    lesson = Lesson.model_validate(
        {
            **TWO_STEPS,
            "steps": [
                {
                    "title": "A",
                    "actions": [{"type": "start_server", "server": "A", "routes": []}],
                    "checks": [{"type": "server_ready", "server": "A"}],
                },
                TWO_STEPS["steps"][1],
            ],
        }
    )
    app = NatsLabApp(session, lesson.servers, lesson, auto=True, auto_pause=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "Lesson complete" in status(app), 30, "the lesson to finish")
        assert [s.ok for s in app.runner.record.steps.values()] == [True, True]


async def palette_run(pilot, title: str) -> None:
    await pilot.press("ctrl+p")
    await wait_for(pilot, lambda: type(pilot.app.screen).__name__ == "CommandPalette", 5, "palette")
    await pilot.press(*title)
    await wait_for(
        pilot, lambda: highlighted_command(pilot.app).startswith(title), 5, f"{title!r} highlighted"
    )
    await pilot.press("enter")


async def test_palette_actions_do_what_they_say_and_show_their_command(offset, binary, tmp_path):
    upgrade = tmp_path / "new" / "nats-server"
    upgrade.parent.mkdir()
    upgrade.write_bytes(Path(binary.path).read_bytes())
    upgrade.chmod(0o755)
    session = LabSession.open(settings=RunSettings(offset=offset, upgrade_binary=upgrade))
    app = NatsLabApp(session, ["A", "B"], start_servers=True)
    notes: list[tuple[str, str]] = []  # every notification, as (title, message)
    app.notify = lambda message, title="", **_: notes.append((title, message))  # type: ignore[method-assign]
    state = session.state

    def said(title: str) -> str:
        return next((m for t, m in notes if t == title), "")

    async def run(title: str, done) -> str:
        await palette_run(pilot, title)
        await wait_for(pilot, lambda: said(title) != "" and done(), 20, title)
        return said(title)

    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: state.is_full_mesh("AB"), 20, "the mesh A-B")
            pid_b = state.servers["B"].pid

            shown = await run("Kill server B", lambda: not state.servers["B"].up)
            assert f"$ kill -KILL {pid_b}" in shown and "killed B" in shown
            shown = await run("Start server B as a seed (no routes)", lambda: state.servers["B"].up)
            assert "$ nats-server -D -p" in shown and "-routes" not in shown
            shown = await run("Start a publisher on A", lambda: bool(session.fleet.publishers()))
            assert "publishing 100 msg/s" in shown and "$ nats pub -s nats://127.0.0.1:" in shown
            shown = await run(
                "Toggle dont_randomize for new clients (now off)",
                lambda: session.operator.palette_clients.dont_randomize,
            )
            assert "dont_randomize is on" in shown and "$ nats-py: connect(dont_randomize" in shown
            before = state.servers["A"].pid
            shown = await run("Restart server A", lambda: state.servers["A"].pid != before)
            assert "restarted A with nats-server" in shown
            shown = await run(
                "Upgrade server A",
                lambda: state.servers["A"].binary == upgrade.resolve(),
            )
            assert f"({upgrade.resolve()})" in shown or str(upgrade.resolve()) in shown
            pid_b = state.servers["B"].pid
            shown = await run("Lame duck server B", lambda: not state.servers["B"].up)
            assert f"$ nats-server --signal ldm={pid_b}" in shown
    finally:
        await session.close()
