"""A LabSession stops every server it started, however its main coroutine ends."""

import psutil
import pytest

from natslab.cluster.spec import walkthrough_spec
from natslab.lab.local import LabSession, open_lab


def test_unhandled_exception_still_stops_every_server(offset, state_dir):
    session = open_lab()
    pids = []

    async def main(s: LabSession) -> int:
        for name in "AB":
            proc = await s.source.supervisor.start(walkthrough_spec(name, offset))
            pids.append(proc.pid)
        raise RuntimeError("a bug in a lesson")

    with pytest.raises(RuntimeError, match="a bug in a lesson"):
        session.run(main)
    assert len(pids) == 2
    assert not any(psutil.pid_exists(pid) for pid in pids)
    assert session.run_dir.state.ended
    assert session.run_dir.state.servers == {}


def test_the_run_records_its_events_as_json_lines(offset, state_dir):
    from natslab.lab.recorder import read_events

    session = open_lab()

    async def main(s: LabSession) -> int:
        await s.source.supervisor.start(walkthrough_spec("A", offset, route_to=()))
        await s.source.fleet.start_subscribers(1, [s.source.client_url("A")])
        return 0

    assert session.run(main) == 0
    records = read_events(session.recorder.path)
    kinds = [r["type"] for r in records]
    assert kinds[0] == "ServerStarted" and records[0]["server"] == "A"
    assert {"ServerReady", "ClientStarting", "ClientConnected", "ClientClosed"} <= set(kinds)
    assert kinds[-1] == "ServerExited" and records[-1]["expected"] is True
    assert "LogLines" not in kinds


def test_two_runs_in_the_same_second_get_their_own_folders(state_dir):
    from natslab.cluster.rundir import RunDir

    first, second = RunDir.create(), RunDir.create()
    assert first.path != second.path
    assert first.path.parent == second.path.parent


def test_every_record_of_a_real_run_replays_none_skipped(offset, state_dir):
    import natslab.clients.events
    import natslab.cluster.events  # noqa: F401  (their classes are the replayable types)
    from natslab.lab.recorder import read_events, replay
    from natslab.lab.settings import RunSettings
    from natslab.lessons.model import Lesson
    from natslab.lessons.record import LessonRecord
    from natslab.lessons.runner import LessonRunner
    from natslab.state import LabState

    lesson = Lesson.model_validate(
        {
            "id": "replay",
            "title": "Replay",
            "servers": ["A"],
            "steps": [
                {
                    "title": "A and a subscriber",
                    "actions": [
                        {"type": "start_server", "server": "A", "routes": []},
                        {"type": "start_clients", "seeds": ["A"]},
                    ],
                    "checks": [{"type": "client_on", "servers": ["A"]}],
                }
            ],
        }
    )
    session = open_lab(settings=RunSettings(offset=offset))

    async def main(s: LabSession) -> int:
        s.start_polling(0.1)
        return 0 if await LessonRunner(lesson, s.source).run() else 1

    assert session.run(main) == 0
    records = read_events(session.recorder.path)
    replayed = replay(records)
    assert replayed.skipped == []
    assert len(replayed.events) == len(records)
    kinds = {type(e).__name__ for e in replayed.events}
    assert {"ServerStarted", "ClientConnectionCreated", "ClientConnected", "CheckResult"} <= kinds
    # Replayed, the run tells the same story: the subscriber was on A, the step passed.
    state, record = LabState(), LessonRecord()
    for event in replayed.events:
        state.apply(event)
        record.apply(event)
    assert state.clients["sub-1"].connected_at is not None
    assert record.ok is True and record.steps[0].final_checks()[0].ok
