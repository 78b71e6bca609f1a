"""A learner predicts, then acts: Pilot answers a question and reads the reveal judged from the
real run, stops a server from this test process (not through natslab), and presses s to have
natslab do a hands-on action."""

import os
import signal

from natslab.lessons.model import Lesson
from natslab.state import ServerState
from natslab.tui.app import NatsLabApp
from tests.tui.pilot import lesson_story, wait_for

LESSON = {
    "id": "predict-and-act",
    "title": "Predict, then act",
    "servers": ["A", "B"],
    "steps": [
        {
            "title": "A and B, one subscriber on A",
            "narrative": "The cluster is up.",
            "actions": [
                {"type": "start_server", "server": "A"},
                {"type": "start_server", "server": "B"},
                {"type": "start_clients", "count": 1, "seeds": ["A"]},
            ],
            "checks": [
                {"type": "route_mesh", "servers": ["A", "B"], "timeout": 30},
                {"type": "client_knows", "clients": "sub-1", "servers": ["A", "B"]},
            ],
        },
        {
            "title": "Stop A yourself",
            "preview": "A is about to go away.",
            "narrative": "sub-1 went to the only server left.",
            "hands_on": True,
            "hint_after": 1,
            "predict": {
                "question": "Where does sub-1 go?",
                "judge": {"type": "client_server", "client": "sub-1"},
                "answers": [
                    {"text": "It waits for A", "is": "A"},
                    {"text": "B", "is": "B"},
                    {"text": "Nowhere", "is": "none"},
                ],
            },
            "actions": [{"type": "stop_server", "server": "A"}],
            "checks": [{"type": "client_on", "clients": "sub-1", "servers": ["B"]}],
        },
        {
            "title": "A comes back",
            "actions": [{"type": "restart_server", "server": "A"}],
            "checks": [{"type": "route_mesh", "servers": ["A", "B"], "timeout": 30}],
        },
        {
            "title": "Stop B, or let natslab",
            "hands_on": True,
            "actions": [{"type": "stop_server", "server": "B"}],
            "checks": [{"type": "client_on", "clients": "sub-1", "servers": ["A"]}],
        },
    ],
}


def text(app, selector: str) -> str:
    return str(app.query_one(selector).render())


async def test_predict_then_stop_a_from_outside_then_skip_with_s(session):
    lesson = Lesson.model_validate(LESSON)
    app = NatsLabApp(session, lesson.servers, lesson)
    runner = app.runner
    assert runner is not None
    async with app.run_test(size=(160, 50)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: runner.progress.next_index == 1, 60, "step 1 to pass")

        # Before step 2 runs: its question and preview, never its narrative.
        await wait_for(pilot, lambda: "Where does sub-1 go?" in text(app, "#prompt"), 5, "question")
        assert "1. It waits for A" in text(app, "#prompt")
        assert "you will stop server A" in text(app, "#prompt")
        story = lesson_story(app)
        assert "A is about to go away." in story
        assert "only server left" not in story
        await pilot.press("n")  # a learner who only presses n is asked to predict first
        await pilot.pause(0.2)
        assert not runner.progress.running and runner.progress.next_index == 1

        await pilot.press("1")  # "It waits for A": the run will say otherwise
        await wait_for(pilot, lambda: runner.waiting_for_learner, 10, "the lab to wait")
        assert "Your turn: stop server A" in text(app, "#prompt")
        # The step's check is not run yet: it is listed as its claim, not as its kind.
        assert text(app, "#checks") == "… sub-1 is on B"
        pid = session.state.servers["A"].pid
        assert pid is not None and f"kill -INT {pid}" in text(app, "#prompt")
        await wait_for(pilot, lambda: "Still waiting" in text(app, "#prompt"), 5, "the hint")

        os.kill(pid, signal.SIGINT)  # the learner's own shell, not natslab
        await wait_for(pilot, lambda: runner.progress.next_index == 2, 60, "step 2 to pass")
        step = runner.record.steps[1]
        assert step.actions[0].detail.startswith("You stopped A: it exited on the")
        assert "natslab sent nothing" in step.actions[0].detail
        assert session.state.servers["A"].state == ServerState.STOPPED  # a stop, not a crash

        # The reveal: the answer beside what this run measured, judged by it.
        prediction = step.prediction
        assert prediction is not None and prediction.answer == 0
        assert prediction.measured == "sub-1 is on B, from A"
        assert prediction.right == (1,) and prediction.matched is False
        await wait_for(pilot, lambda: "this run measured" in text(app, "#reveal"), 5, "reveal")
        prompt = text(app, "#reveal")
        assert "you said 1. It waits for A" in prompt
        assert "this run measured sub-1 is on B, from A" in prompt
        assert "the run says 2. B" in prompt
        assert "sub-1 went to the only server left." in app.query_one("#narrative").source

        await pilot.press("n")
        await wait_for(pilot, lambda: runner.progress.next_index == 3, 60, "step 3 to pass")
        await pilot.press("n")
        await wait_for(pilot, lambda: runner.waiting_for_learner, 10, "the lab to wait for B")
        await pilot.press("s")  # natslab does it
        await wait_for(pilot, lambda: runner.finished, 60, "step 4 to pass")
        detail = runner.record.steps[3].actions[0].detail
        assert detail.startswith("natslab did it for you: stopped B with Ctrl+C")
        assert session.state.servers["B"].stopped_from_outside == ""
        assert runner.record.score() == (0, 1, 1)
