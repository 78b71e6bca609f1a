"""Pilot drives the upgrade lesson through its questions and its hands-on step, against
real servers."""

import re

import pytest

from natslab.lessons import catalog
from natslab.tui.app import NatsLabApp
from tests.tui.pilot import client_cell, lesson_story, pane_text, pane_title, wait_for

STEP_TIMEOUT = 60


async def run_step(pilot, app, number: int, answer: str = "") -> None:
    """n, or the answer when the step asks a question; s when it waits for the learner."""
    progress = app.runner.progress
    await pilot.press(answer or "n")
    if app.lesson.steps[number - 1].hands_on:
        await wait_for(pilot, lambda: app.runner.waiting_for_learner, 30, "the learner's turn")
        await pilot.press("s")
    await wait_for(
        pilot,
        lambda: not progress.running and (progress.next_index == number or progress.failed),
        STEP_TIMEOUT,
        f"step {number} to finish",
    )
    checks = app.query_one("#checks").render()
    assert progress.next_index == number, f"step {number} failed:\n{checks}"


@pytest.mark.slow
async def test_upgrade_lesson_through_its_questions_on_screen(session, offset):
    lesson = catalog.load("upgrade")
    app = NatsLabApp(session, lesson.servers, lesson)
    async with app.run_test(size=(120, 40)) as pilot:
        # Before step 1: the walkthrough's command, labelled so, and the one this run uses.
        a = session.source.ports("A")
        story = lesson_story(app)
        assert "walkthrough: `nats-server -D -p 4222 " in story
        assert f"this run: `nats-server -D -p {a.client} " in story
        # Whole, to type as shown: with what natslab adds (the name, the bound address).
        assert f" -n A -a 127.0.0.1 -m {a.monitor}`" in story, story
        for number in (1, 2):
            await run_step(pilot, app, number)
        await wait_for(
            pilot,
            lambda: "Route connection created" in pane_text(app, "A"),
            5,
            "A's pane to show the route",
        )
        await run_step(pilot, app, 3)
        # The narrative names the URL this run used, and which walkthrough URL it stands for.
        assert f"`nats://localhost:{a.client}` (the walkthrough's" in (
            app.query_one("#narrative").source
        )
        await wait_for(pilot, lambda: client_cell(app, "sub-1", 1) == "A", 5, "sub-1 on A")
        assert "Client connection created" in pane_text(app, "A")
        await run_step(pilot, app, 4, answer="2")
        await run_step(pilot, app, 5, answer="2")
        await wait_for(
            pilot,
            lambda: client_cell(app, "sub-1", 1)[-1:] in {"B", "C"},
            5,
            "sub-1 shown on B or C",
        )
        assert "A ● stopped (0)" in pane_title(app, "A")
        await run_step(pilot, app, 6, answer="1")
        # Steps 7-9 repeat what steps 5 and 6 did for B and C; the headless runs and the
        # terminal run in tmux take the lesson to its end.
        await wait_for(
            pilot,
            lambda: "Step 6 of 9 passed" in str(app.query_one("#lesson-status").render()),
            5,
            "the status to say step 6 passed",
        )
        # The gossip question is judged by the run: sub-1 learned C while it stayed on A
        # (the check's figure), so "yes" is right and the 2 pressed ("never") is not.
        record = app.runner.record
        gossip = record.steps[3].prediction
        knows = next(c for c in record.steps[3].checks if c.description == "sub-1 knows A, B and C")
        assert re.search(r"learned C \d+ ms", knows.observation), knows.observation
        assert gossip is not None and gossip.right == (0,) and gossip.matched is False
        # Quit asks first, because servers are running; y stops them.
        await pilot.press("q")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "ConfirmQuit", 5, "confirm")
        # Said as a person would: "Servers A, B and C are running."
        assert str(app.screen.query("Label").first().render()) == "Servers A, B and C are running."
        await pilot.press("y")
    assert app.return_code == 0
