"""One event bus, and the base every event type derives from: its name is its `type`."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

log = logging.getLogger(__name__)
Listener = Callable[[Any], None]


class Event:
    """Base of every event natslab emits. A subclass's name is its `type` in events.jsonl, so
    two event classes with one name are refused the moment the second is defined."""

    __slots__ = ()
    kinds: ClassVar[dict[str, type[Event]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        known = Event.kinds.get(cls.__name__)
        # @dataclass(slots=True) makes a second class of the same name and module: a rebuild.
        if known is not None and known.__module__ != cls.__module__:
            raise TypeError(
                f"Event type {cls.__name__} is defined twice ({known.__module__}, {cls.__module__})"
            )
        Event.kinds[cls.__name__] = cls


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
            except Exception as exc:
                # Producers include log readers: if they stopped, a server would block on its
                # pipe. So the producer goes on, and the failure becomes an event: recorded in
                # the run and shown, never only a log line nobody reads.
                log.exception("event listener %r failed on %r", listener, event)
                if not isinstance(event, InternalError):
                    name = getattr(listener, "__qualname__", type(listener).__qualname__)
                    self.emit(InternalError(where=f"{name}, on {type(event).__name__}",
                                            error=f"{type(exc).__name__}: {exc}"))  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class InternalError(Event):
    """natslab's own code failed (an event listener, the poll loop) and went on: a bug that
    must show, not hide behind a check that timed out."""

    where: str
    error: str
    at: float = field(default_factory=time.time)

    def sentence(self) -> str:
        return (f"natslab hit a bug in {self.where}: {self.error}. It went on; the run's "
                "events.jsonl has it, for a bug report.")  # fmt: skip
