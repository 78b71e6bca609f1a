"""A reload as a hands-on action: the server's verdict in its log is the effect, whoever
sent the SIGHUP; a verdict from before the learner's turn is not theirs."""

from natslab.cluster import events as sev
from natslab.cluster.logformat import parse_line
from natslab.lab.operations import ReloadConfig
from natslab.lessons import hands_on
from natslab.state import LabState
from tests.test_state import cluster

RELOADED = "[7] 2026/12/06 10:00:00.000000 [INF] Reloaded server configuration (sha256:abc)"
REFUSED = (
    "[7] 2026/12/06 10:00:00.000000 [ERR] Failed to reload server configuration: "
    "config reload not supported for LameDuckDuration: old=2m0s, new=45s"
)


def test_the_servers_verdict_is_the_effect_and_only_one_after_the_turn_began():
    reloaded, refused = parse_line("A", RELOADED), parse_line("A", REFUSED)
    assert isinstance(reloaded, sev.ConfigReloaded) and not reloaded.refused
    assert isinstance(refused, sev.ConfigReloaded) and refused.refused

    state = LabState()
    cluster(state, "AB")
    op = ReloadConfig(server="A")
    earlier = "Reloaded server configuration (sha256:old)"
    state.apply(sev.ConfigReloaded(server="A", at=5.0, level="INF", text=earlier))
    assert hands_on.done(op, state, since=10.0) is None  # an earlier reload is not the learner's
    verdict = sev.ConfigReloaded(server="A", at=12.0, level="ERR", text=refused.text, refused=True)
    state.apply(verdict)
    said = hands_on.done(op, state, since=10.0)
    assert said == f"A read its config file again: [ERR] {refused.text}"
    assert hands_on.done(ReloadConfig(server="B"), state, since=10.0) is None  # B did not

    ways = hands_on.ways(op, "nats-server --signal reload=42", pid=42)
    assert ways == (
        "nats-server --signal reload=42",
        "kill -HUP 42",
        "ctrl+p, then: Reload server A's config (SIGHUP)",
    )
    assert hands_on.instruction(op) == "Your turn: have server A reload its config file (SIGHUP)."


async def test_a_learner_s_own_sighup_is_their_reload_on_real_servers(offset):
    """config-reload's hands-on step, taken interactively: the learner's `kill -HUP` (no
    natslab signal) makes the step go on, and the record says the learner did it."""
    import asyncio
    import os
    import signal

    from natslab.lab.local import open_lab
    from natslab.lab.settings import RunSettings
    from natslab.lessons import catalog
    from natslab.lessons.runner import LessonRunner
    from tests.helpers import async_wait_until

    session = open_lab(settings=RunSettings(offset=offset))
    session.start_polling(0.2)
    lesson = catalog.load("config-reload")
    turn = next(i for i, step in enumerate(lesson.steps) if step.hands_on)
    runner = LessonRunner(lesson, session.source, interactive=True)
    runner.start()
    try:
        for _ in range(turn):
            if lesson.steps[runner.progress.next_index].predict is not None:
                runner.answer(0)
            assert (await runner.next()).ok
        runner.answer(0)
        step = asyncio.ensure_future(runner.next())
        await async_wait_until(lambda: runner.waiting_for_learner, 30, what="the learner's turn")
        os.kill(session.state.servers["A"].pid, signal.SIGHUP)  # as `kill -HUP <pid>` would
        result = await asyncio.wait_for(step, 60)
        assert result.ok, [c.observation for c in result.checks]
        assert result.actions[0].hands_on == "learner"
        assert result.actions[0].detail.startswith("A read its config file again: [INF] Reloaded")
    finally:
        await session.close()
