"""messages_lost at the edge of its limit: a loss that really happened, judged at exactly its
figure (passes) and one below it (fails), and a claim about subscribers that do not exist.

Found by mutation testing (issue 34): no test read the whole sentence that gives the loss
("lost N of M": a wrong M passed, and so did no sentence at all), and a claim about a pattern
that matched no subscriber passed. The controls lesson judges a real loss only far from its
limit; here it is judged at the limit too.
"""

import pytest

from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons import checks
from natslab.lessons import model as m
from natslab.lessons.model import Lesson

# nats-py sleeps reconnect_wait before redialling a server it dialled less than that long ago,
# a connect that worked included (client.py, _select_next_server and _connect_to_server); with
# dont_randomize the lost server is dialled first. So a subscriber whose server is killed
# within RECONNECT_WAIT of its connect hears nothing for RECONNECT_WAIT, while B publishes on.
RECONNECT_WAIT = 5

LESSON = Lesson.model_validate(
    {
        "id": "loss-control",
        "title": "A loss counted and over the limit",
        "servers": ["A", "B"],
        "steps": [
            {
                "title": "A and B, routed; a publisher on B",
                "actions": [
                    {"type": "start_server", "server": "A", "cluster_name": "lab"},
                    {"type": "start_server", "server": "B", "cluster_name": "lab"},
                    {"type": "start_publisher", "seeds": ["B"], "rate": 100},
                ],
                "checks": [{"type": "route_mesh", "servers": ["A", "B"], "timeout": 30}],
            },
            {
                "title": "A subscriber joins A, and A is killed at once",
                "actions": [
                    {
                        "type": "start_clients",
                        "prefix": "loss",
                        "seeds": ["A"],
                        "options": {"dont_randomize": True, "reconnect_wait": RECONNECT_WAIT},
                        "until_receiving": True,
                    },
                    {"type": "kill_server", "server": "A"},
                ],
                # True, once final: it had a message on B since it reconnected.
                "checks": [
                    {
                        "type": "messages_lost",
                        "clients": "loss-*",
                        "at_most": 10**6,
                        "timeout": 4 * RECONNECT_WAIT,
                    },
                    {"type": "client_on", "clients": "loss-*", "servers": ["B"]},
                ],
            },
            {"title": "The count stops growing", "actions": [{"type": "stop_publisher"}]},
        ],
    }
)


def lost_at_most(n: int, clients: str = "loss-*") -> m.MessagesLost:
    return m.MessagesLost(type="messages_lost", clients=clients, at_most=n)


@pytest.mark.slow
async def test_a_loss_over_the_limit_fails_and_one_at_the_limit_passes(offset):
    from natslab.lessons.runner import LessonRunner

    session = open_lab(settings=RunSettings(offset=offset))
    session.start_polling(0.1)
    runner = LessonRunner(LESSON, session.source)
    try:
        for index, step in enumerate(LESSON.steps):
            result = await runner.run_step(index)
            assert result.ok, f"{step.title}: {[c.observation for c in result.checks]}"
        (view,) = checks.select(runner.ctx.state, "loss-*", "subscriber")
        lost, received = view.lost, view.received
        assert lost > 0, "the control needs a real loss: the subscriber lost nothing"
        now = runner.clock.now()
        at_limit = checks.evaluate(lost_at_most(lost), runner.ctx, now)
        over = checks.evaluate(lost_at_most(lost - 1), runner.ctx, now)
        nobody = checks.evaluate(lost_at_most(10**6, "nobody-*"), runner.ctx, now)
    finally:
        await session.close()
    said = f"loss-1 lost {lost} of {received + lost}"
    assert (at_limit.ok, at_limit.observation, at_limit.figure) == (True, said, lost)
    # Running but wrong: final (the subscriber has had messages since), and one too many.
    assert (over.ok, over.observation, over.figure) == (False, said, lost)
    # No subscriber matches: nothing was measured, so nothing is claimed.
    assert (nobody.ok, nobody.observation) == (False, "no open lab subscriber matches 'nobody-*'")
