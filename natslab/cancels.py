"""A cancel that nats-py swallowed, honoured: some of its awaits catch CancelledError (the
publish path's `Client._flush_pending`, the close path's wait for its reconnection task),
so a loop around nats-py calls asks again after each pass whether it was cancelled."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any


def raise_if_cancelled() -> None:
    """Raise CancelledError when the running task has been asked to stop, even if the
    CancelledError itself was caught somewhere below (Task.cancelling still counts it)."""
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        raise asyncio.CancelledError


async def cancel_and_wait(task: asyncio.Task[Any] | None) -> None:
    """Cancel a background task of ours and wait until it has stopped (its CancelledError
    is the expected end, not an error)."""
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
