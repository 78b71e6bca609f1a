"""Choices made for a whole run, on the command line or by a lesson: where ports are, what to
upgrade to, whether routes go through link proxies."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunSettings:
    """The run's port offset, whether servers bind every interface, the upgrade binary, and
    whether every route runs through a link proxy (cluster/link.py), which a whole run must
    agree on: linked servers share one advertised address that unlinked ones would dial."""

    offset: int = 0
    expose: bool = False
    upgrade_binary: Path | None = None
    links: bool = False
    # A free-form lab whose every server runs JetStream, in one cluster named "lab" (the
    # name JetStream needs; the lessons name their own clusters and ask per server).
    jetstream: bool = False
