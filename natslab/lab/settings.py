"""Choices made on the command line, not in a lesson file: where ports are, what to upgrade to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunSettings:
    """The run's port offset, whether servers bind every interface, and the upgrade binary."""

    offset: int = 0
    expose: bool = False
    upgrade_binary: Path | None = None
