"""One event bus: producers emit typed events, listeners are called in order, safely."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)
Listener = Callable[[Any], None]


class EventBus:
    """Synchronous fan-out; a listener that raises is logged and never stops the producer."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def emit(self, event: object) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                # Producers include log readers: if they stopped, a server would block on its pipe.
                log.exception("event listener %r failed on %r", listener, event)
