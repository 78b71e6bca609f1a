"""A real LabSession under each TUI test; servers and clients are real, on free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from natslab.session import LabSession


@pytest.fixture
async def session() -> AsyncIterator[LabSession]:
    lab = LabSession.open()
    try:
        yield lab
    finally:
        await lab.close()
