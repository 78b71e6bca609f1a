"""What the timeline records: one typed note per thing that happened, with the facts a
sentence needs and no sentence (`present/timeline_words.py` words them)."""

from __future__ import annotations

from dataclasses import dataclass

from natslab.clients import events as cev
from natslab.cluster import events as sev


@dataclass(frozen=True, slots=True)
class StartedNote:
    server: str
    pid: int
    version: str


@dataclass(frozen=True, slots=True)
class ReadyNote:
    server: str


@dataclass(frozen=True, slots=True)
class EnteredLameDuckNote:
    server: str


@dataclass(frozen=True, slots=True)
class ExitedNote:
    """`outside`: how a stop natslab did not ask for came ("" when it asked, or a crash)."""

    server: str
    code: int
    expected: bool
    outside: str = ""
    last: str = ""  # why a crashed server said it stopped, from its last lines


@dataclass(frozen=True, slots=True)
class NameConflictNote:
    server: str


@dataclass(frozen=True, slots=True)
class NameTakenNote:
    server: str
    cluster_name: str


@dataclass(frozen=True, slots=True)
class RouteNote:
    pair: tuple[str, ...]
    up: bool


@dataclass(frozen=True, slots=True)
class ConnectedNote:
    client: str
    server: str | None


@dataclass(frozen=True, slots=True)
class DisconnectedNote:
    client: str
    server: str | None


@dataclass(frozen=True, slots=True)
class ReconnectedNote:
    """A move when `previous` differs from `server`."""

    client: str
    server: str | None
    previous: str | None
    gap_ms: float | None


@dataclass(frozen=True, slots=True)
class LearnedByGossipNote:
    client: str
    server: str


@dataclass(frozen=True, slots=True)
class LameDuckNoticeNote:
    client: str
    server: str | None
    honored: bool


@dataclass(frozen=True, slots=True)
class ClosedNote:
    client: str
    reason: str


@dataclass(frozen=True, slots=True)
class ExternalSeenNote:
    client: str
    server: str


@dataclass(frozen=True, slots=True)
class ExternalMovedNote:
    client: str
    previous: str
    server: str


@dataclass(frozen=True, slots=True)
class PublishGapNote:
    client: str
    seconds: float
    failed: int


@dataclass(frozen=True, slots=True)
class VerifiedNote:
    ledger: cev.LedgerVerified


@dataclass(frozen=True, slots=True)
class ActionNote:
    title: str
    ok: bool
    detail: str
    by: str = "you"  # the palette's: the learner's; a lesson's own: "lesson"


@dataclass(frozen=True, slots=True)
class DescribedNote:
    """An event that words itself: JetStream's changes and natslab watch's."""

    event: sev.WatchChange | sev.JetStreamChange


Note = (
    StartedNote | ReadyNote | EnteredLameDuckNote | ExitedNote | NameConflictNote
    | NameTakenNote | RouteNote | ConnectedNote | DisconnectedNote | ReconnectedNote
    | LearnedByGossipNote | LameDuckNoticeNote | ClosedNote | ExternalSeenNote
    | ExternalMovedNote | PublishGapNote | VerifiedNote | ActionNote | DescribedNote
)  # fmt: skip
