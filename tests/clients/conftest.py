"""A whole lab per test: real servers, real nats-py clients, one LabState fed by both."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from natslab.cluster.spec import walkthrough_spec
from natslab.lab.session import LabSession


@pytest.fixture
async def session(capfd) -> AsyncIterator[LabSession]:
    lab = LabSession.open()
    lab.start_polling(interval=0.1)
    try:
        yield lab
    finally:
        await lab.close()
    # Every nats-py error must have become an event: nothing may reach the terminal.
    assert capfd.readouterr().err == ""


@pytest.fixture
def start_servers(session, offset):
    async def start(names: str, **options) -> None:
        for name in names:
            if session.supervisor.is_running(name):
                continue
            await session.supervisor.start(walkthrough_spec(name, offset, **options))
        await session.supervisor.wait_for_mesh(names, timeout=15)

    return start
