"""Typed events lab clients emit the moment nats-py tells them something."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from natslab.bus import Event

# The name of natslab's own short-lived connections (a JetStream API call, a probe, a round
# of requests): /connz lists them too, and they are not clients for the panel to show.
OWN_CONNECTION = "natslab (its own request)"


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientEvent(Event):
    """Something that happened to one lab client."""

    client: str
    at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True, kw_only=True)
class PoolEvent(ClientEvent):
    """An event that carries the client's server pool: every address it may try (host:port),
    and those of them it learned by gossip."""

    pool: tuple[str, ...]
    discovered: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientStarting(ClientEvent):
    kind: str
    seeds: tuple[str, ...]
    options: dict[str, object]


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientConnected(PoolEvent):
    """First connection; `server_name` is what the server's INFO calls itself."""

    url: str
    server_name: str
    client_id: int | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientDisconnected(ClientEvent):
    url: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientReconnected(PoolEvent):
    """Back on a server; `gap_ms` runs from the disconnect to this moment."""

    url: str
    server_name: str
    client_id: int | None
    gap_ms: float | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ServersDiscovered(PoolEvent):
    """Gossip added servers to the pool (nats-py never removes them again)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LameDuckNotice(ClientEvent):
    """The server said it is entering lame duck mode; `honored` means we moved away at once."""

    url: str
    server_name: str
    honored: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientClosed(ClientEvent):
    """Closed for good: stopped by the lab, or out of reconnect attempts."""

    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ClientError(ClientEvent):
    """An error nats-py reported through error_cb, as one line."""

    message: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageCounts(ClientEvent):
    """Running totals of a subscriber (received, lost to gaps) or a publisher (published);
    `since_reconnect` counts messages received since the latest reconnect."""

    received: int = 0
    lost: int = 0
    published: int = 0
    since_reconnect: int = 0
    loss_began: float | None = None  # a new loss: when its first missing message was due


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerCounts(ClientEvent):
    """A ledger publisher's totals: messages the stream acknowledged, publishes that failed."""

    acked: int = 0
    failed: int = 0
    last_ack_at: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PublishGap(ClientEvent):
    """A stretch without an acknowledged publish, from `start` to `at`; `failed` publishes
    were refused or timed out within it."""

    start: float
    failed: int


@dataclass(frozen=True, slots=True, kw_only=True)
class LedgerVerified(ClientEvent):
    """The stream read back against the ledger: acknowledged messages it lacks (must be 0),
    duplicates, the longest stretch without an ack, failed publishes, redeliveries."""

    stream: str
    acked: int
    stored: int
    missing: int
    missing_ids: tuple[str, ...]
    duplicates: int
    longest_gap_ms: float
    failed: int
    redeliveries: int


@dataclass(frozen=True, slots=True, kw_only=True)
class JetStreamProbed(Event):
    """One JetStream request through `server` and how it was answered: `answer` is "ok",
    "no_response", "timeout", or the API's error code (e.g. "10008"); `detail` in words."""

    server: str
    request: str
    answer: str
    detail: str
    at: float = field(default_factory=time.time)


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestsAnswered(Event):
    """A round of requests through `server` to `subject`: `answered_by` holds, per request,
    the name the responder replied with ("" when nobody answered in time), in order."""

    server: str
    subject: str
    answered_by: tuple[str, ...]
    at: float = field(default_factory=time.time)
