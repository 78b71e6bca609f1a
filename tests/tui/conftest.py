"""A real LabSession under each TUI test; servers and clients are real, on free ports."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from natslab.lab.local import LabSession, open_lab
from natslab.lab.settings import RunSettings


@pytest.fixture
async def session(offset: int) -> AsyncIterator[LabSession]:
    lab = open_lab(settings=RunSettings(offset=offset))
    try:
        yield lab
    finally:
        await lab.close()
