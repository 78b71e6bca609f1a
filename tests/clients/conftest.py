"""A whole lab per test: real servers, real nats-py clients, one LabState fed by both."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from natslab.cluster.spec import walkthrough_spec
from natslab.lab.local import LabSession, open_lab


@pytest.fixture
async def session(capfd) -> AsyncIterator[LabSession]:
    lab = open_lab()
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
            if session.source.supervisor.is_running(name):
                continue
            await session.source.supervisor.start(walkthrough_spec(name, offset, **options))
        await session.source.supervisor.wait_for_mesh(names, timeout=15)

    return start
