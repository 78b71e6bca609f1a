"""Headless runs say natslab's own failures as they happen, on standard error."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape

from natslab.bus import InternalError


class InternalErrors:
    """A bus listener: each InternalError as one red sentence."""

    def __init__(self) -> None:
        self.console = Console(stderr=True, highlight=False, soft_wrap=True)

    def __call__(self, event: object) -> None:
        if isinstance(event, InternalError):
            self.console.print(f"[red]{escape(event.sentence())}[/]")
