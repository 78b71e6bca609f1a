"""Folding polls into changes, on made-up rounds: what a restart between two polls, a
version change and a closed client port each become, and in which order."""

from __future__ import annotations

import dataclasses

from natslab.cluster import events as ev
from natslab.cluster.snapshot import ServerStatus
from natslab.watch.fold import WatchView, fold
from natslab.watch.poller import Unreachable, Watched

URL = "http://127.0.0.1:18222"
SERVING = Watched(
    url=URL, health="ok", total_connections=0,
    status=ServerStatus(server="n1", up=True, at=100.0, server_id="NID1", version="2.14.2",
                        healthy=True),
)  # fmt: skip


def answer(health: str = "ok", **status: object) -> Watched:
    """SERVING, answering again with some of its status changed."""
    changed = dataclasses.replace(SERVING.status, **status)  # type: ignore[arg-type]
    return dataclasses.replace(SERVING, status=changed, health=health)


def kinds(events: list[object]) -> list[str]:
    return [type(e).__name__ for e in events]


def test_back_on_a_new_version_says_back_first_then_the_version():
    view = WatchView()
    fold(view, [SERVING], 100.0)
    fold(view, [Unreachable(url=URL, at=101.0, error="refused")], 101.0)
    back = answer(at=104.0, server_id="NID2", version="2.15.1")
    events = fold(view, [back], 104.0)
    assert kinds(events) == ["WatchedServerUp", "WatchedVersionChanged", "WatchedHealthChanged"]
    assert [e.describe() for e in events] == [  # type: ignore[attr-defined]
        "n1 is back after 3.0 s (nats-server 2.15.1)",
        "n1 now runs nats-server 2.15.1 (was 2.14.2)",
        "n1 /healthz: 200 ok",  # healthy at once: said, as the README's sample shows it
    ]
    # Seen for the first time when the watch starts: up, nothing more to say of its health.
    assert kinds(fold(WatchView(), [SERVING], 100.0)) == ["WatchedServerUp"]


def test_a_restart_between_polls_is_a_restart_not_a_lame_duck():
    """A new process whose client listener is not up yet (a JetStream server starting) answers
    /varz with /healthz failing, as lame duck does; its new server id tells them apart."""
    view = WatchView()
    fold(view, [SERVING], 100.0)
    not_ready = "error: failed to be ready for connections after 1s"
    starting = answer(not_ready, at=100.5, server_id="NID2", healthy=False)
    events = fold(view, [starting], 100.5)
    assert kinds(events) == ["WatchedServerUp"]
    assert events[0].down_for == 0.5  # type: ignore[attr-defined]

    # Negative control: the same process, serving before, with its listener now closed.
    view = WatchView()
    fold(view, [SERVING], 100.0)
    closing = answer(not_ready, at=100.5, server_id="NID1", healthy=False)
    (health,) = fold(view, [closing], 100.5)
    assert isinstance(health, ev.WatchedHealthChanged) and health.listener_closed
