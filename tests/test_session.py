"""A LabSession stops every server it started, however its main coroutine ends."""

import psutil
import pytest

from natslab.cluster.spec import walkthrough_spec
from natslab.session import LabSession


def test_unhandled_exception_still_stops_every_server(offset, state_dir):
    session = LabSession.open()
    pids = []

    async def main(s: LabSession) -> int:
        for name in "AB":
            proc = await s.supervisor.start(walkthrough_spec(name, offset))
            pids.append(proc.pid)
        raise RuntimeError("a bug in a lesson")

    with pytest.raises(RuntimeError, match="a bug in a lesson"):
        session.run(main)
    assert len(pids) == 2
    assert not any(psutil.pid_exists(pid) for pid in pids)
    assert session.run_dir.state.ended
    assert session.run_dir.state.servers == {}
