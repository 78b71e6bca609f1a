"""Notifications as plain text: what they say often came from outside natslab (a lesson's
words, an instructor's message, a server's name), and a toast must never read it as markup."""

from __future__ import annotations

from textual.app import App
from textual.notifications import SeverityLevel


class PlainNotify(App[int]):
    """An app whose `notify` takes its message and title as they are, never as markup."""

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)
