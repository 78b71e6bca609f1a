"""natslab's own failures surface: a listener that raises becomes an InternalError event,
recorded in the run, shown in the terminal UI and on a headless run's standard error; the
producer goes on."""

import json

import pytest

from natslab.bus import EventBus, InternalError
from natslab.state import ActionTaken
from tests.tui.pilot import wait_for

pytestmark = pytest.mark.internal_errors_expected


def broken(event: object) -> None:
    if isinstance(event, ActionTaken):
        raise ValueError("a fold that breaks")


def test_a_listener_that_raises_is_an_event_and_the_producer_goes_on():
    bus = EventBus()
    seen: list[object] = []
    bus.subscribe(broken)
    bus.subscribe(seen.append)
    bus.emit(ActionTaken(title="Stop A", ok=True, detail="", at=1.0))
    kinds = [type(e).__name__ for e in seen]
    assert kinds == ["InternalError", "ActionTaken"]  # said at once, and the event still went
    error = seen[0]
    assert isinstance(error, InternalError)
    assert (
        error.where == "broken, on ActionTaken" and error.error == "ValueError: a fold that breaks"
    )

    def worse(event: object) -> None:
        raise RuntimeError("and so does this one")

    bus.subscribe(worse)  # it fails on the InternalError too: said once, no loop
    bus.emit(ActionTaken(title="Stop B", ok=True, detail="", at=2.0))
    assert sum(isinstance(e, InternalError) for e in seen) == 3


async def test_the_run_records_it_and_the_screen_says_it(session):
    from natslab.tui.app import NatsLabApp

    session.bus.subscribe(broken)
    app = NatsLabApp(session, ["A"])
    async with app.run_test(size=(120, 40)) as pilot:
        session.bus.emit(ActionTaken(title="Stop A", ok=True, detail="", at=1.0))
        await wait_for(pilot, lambda: any(str(n.title) == "A bug in natslab"
                       for n in app._notifications), 5, "the notice")  # fmt: skip
        (shown,) = [n for n in app._notifications if n.title == "A bug in natslab"]
        assert "ValueError: a fold that breaks" in str(shown.message)
    recorded = [json.loads(line) for line in session.recorder.path.read_text().splitlines()]
    assert any(r["type"] == "InternalError" and "a fold that breaks" in r["error"]
               for r in recorded)  # fmt: skip
