"""The one vocabulary of what can be done to a lab: typed operations and what they did.

A lesson file's actions are validated straight into these classes, and the command palette
builds the same ones; `lab/operator.py` performs them and says how to do each by hand.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, field_validator, model_validator
from pydantic.dataclasses import dataclass as validated

from natslab.cluster.ports import SERVER_NAMES
from natslab.cluster.spec import WALKTHROUGH_ROUTE_TARGETS


def _server_name(value: str) -> str:
    if len(value) != 1 or value not in SERVER_NAMES:
        raise ValueError(
            f"{value!r} is not a server name; use one letter from A to {SERVER_NAMES[-1]}"
        )
    return value


ServerName = Annotated[str, AfterValidator(_server_name)]


def _two_servers(pair: tuple[str, str]) -> tuple[str, str]:
    if pair[0] == pair[1]:
        raise ValueError(f"a link joins two servers, not {pair[0]} to itself")
    return pair


# The two ends of a link; an operation on it acts on both directions.
ServerPair = Annotated[tuple[ServerName, ServerName], AfterValidator(_two_servers)]
# Flags an operation may pass to nats-server: logging only, never files or auth.
ALLOWED_LOG_FLAGS = frozenset({"-D", "-V", "-DV", "-VV", "-DVV"})
ClientSwitch = Literal["dont_randomize", "honor_lame_duck", "avoid_lost_server"]
# What each switch is in nats-py terms, for the learner who wants to do it by hand.
CLIENT_SWITCHES: dict[ClientSwitch, str] = {
    "dont_randomize": "nats-py: connect(dont_randomize=...)",
    "honor_lame_duck": "nats-py: connect(lame_duck_mode_cb=...) calling force_reconnect()",
    "avoid_lost_server": "nats-py: a reconnect_to_server_handler that skips the lost server",
}
_STRICT = ConfigDict(extra="forbid")


# --- the operations ----------------------------------------------------------------------


@validated(frozen=True, kw_only=True, config=_STRICT)
class ClientSettings:
    """How new lab clients reconnect; the names are nats-py's own options, one for one."""

    dont_randomize: bool = False
    reconnect_wait: float = Field(default=2.0, ge=0, le=60)
    max_reconnect_attempts: int = Field(default=-1, ge=-1)
    honor_lame_duck: bool = False
    avoid_lost_server: bool = False
    user: str | None = None
    password: str | None = None


@validated(frozen=True, kw_only=True, config=_STRICT)
class StartServer:
    """Start a server with the walkthrough's flags; routes name the servers it solicits."""

    type: Literal["start_server"] = "start_server"
    server: ServerName
    routes: tuple[ServerName, ...] = WALKTHROUGH_ROUTE_TARGETS
    log_flags: tuple[str, ...] = ("-D",)
    cluster_name: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]+$")
    config: str | None = None
    binary: Literal["default", "upgrade"] = "default"
    timeout: float = Field(default=15, gt=0, le=120)
    # JetStream with its store in the run directory; a clustered one needs a cluster name.
    jetstream: bool = False

    @model_validator(mode="after")
    def _clustered_jetstream_is_named(self) -> StartServer:
        if self.jetstream and self.routes and not self.cluster_name:
            raise ValueError("a JetStream server with routes needs a cluster_name")
        return self

    @field_validator("log_flags")
    @classmethod
    def _known_flags(cls, flags: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [f for f in flags if f not in ALLOWED_LOG_FLAGS]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not one of {sorted(ALLOWED_LOG_FLAGS)}")
        return flags


@validated(frozen=True, kw_only=True, config=_STRICT)
class StopServer:
    """Ctrl+C: SIGINT, escalating to SIGKILL after the timeout."""

    type: Literal["stop_server"] = "stop_server"
    server: ServerName
    timeout: float = Field(default=5, gt=0, le=120)


@validated(frozen=True, kw_only=True, config=_STRICT)
class KillServer:
    """SIGKILL: the server gets no chance to say goodbye to its clients or routes."""

    type: Literal["kill_server"] = "kill_server"
    server: ServerName


@validated(frozen=True, kw_only=True, config=_STRICT)
class LameDuck:
    """Lame duck mode: no new clients, the present ones closed over the configured duration."""

    type: Literal["lame_duck"] = "lame_duck"
    server: ServerName


@validated(frozen=True, kw_only=True, config=_STRICT)
class RestartServer:
    """Stop (if running) and start again; binary "upgrade" uses the configured new binary."""

    type: Literal["restart_server"] = "restart_server"
    server: ServerName
    binary: Literal["same", "upgrade"] = "same"
    timeout: float = Field(default=15, gt=0, le=120)


@validated(frozen=True, kw_only=True, config=_STRICT)
class StartClients:
    """Start `count` subscribers named prefix-1..n, seeded with these servers' client URLs."""

    type: Literal["start_clients"] = "start_clients"
    count: int = Field(default=1, ge=1, le=500)
    prefix: str = Field(default="sub", pattern=r"^[a-z][a-z0-9]*$")
    seeds: tuple[ServerName, ...] = Field(min_length=1)
    host: Literal["localhost", "127.0.0.1"] = "127.0.0.1"
    subject: str = ">"
    options: ClientSettings = Field(default_factory=ClientSettings)
    # Wait until each has had a message: a loss is counted from a subscriber's first message,
    # so one stopped before its first would show none (a publisher must be running).
    until_receiving: bool = False


# A subject a request can be sent to: tokens of letters, digits, - and _, no wildcards.
Subject = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", max_length=64)]


@validated(frozen=True, kw_only=True, config=_STRICT)
class StartResponders:
    """Start `count` responders named prefix-1..n in queue group `queue` on `subject`, each
    answering a request with its own name (`nats reply`)."""

    type: Literal["start_responders"] = "start_responders"
    count: int = Field(default=1, ge=1, le=50)
    prefix: str = Field(default="svc", pattern=r"^[a-z][a-z0-9]*$")
    seeds: tuple[ServerName, ...] = Field(min_length=1)
    subject: Subject = "natslab.svc"
    queue: str = Field(default="natslab", pattern=r"^[A-Za-z0-9_-]+$", max_length=32)
    options: ClientSettings = Field(default_factory=ClientSettings)


@validated(frozen=True, kw_only=True, config=_STRICT)
class SendRequests:
    """Send `count` requests to `subject` through `server`, one after another, each waiting
    up to `timeout` s; which responder answered each one is recorded. With `until_answered`,
    a new round follows every half second until one has every request answered, for up to
    `within` s (a service coming back)."""

    type: Literal["send_requests"] = "send_requests"
    server: ServerName
    subject: Subject = "natslab.svc"
    count: int = Field(default=20, ge=1, le=1000)
    timeout: float = Field(default=1.0, gt=0, le=10)
    until_answered: bool = False
    within: float = Field(default=30, gt=0, le=120)


@validated(frozen=True, kw_only=True, config=_STRICT)
class StopClients:
    """Close the lab clients whose names start with `prefix-` (all of them without one)."""

    type: Literal["stop_clients"] = "stop_clients"
    prefix: str | None = None


@validated(frozen=True, kw_only=True, config=_STRICT)
class StartPublisher:
    """Publish numbered messages at `rate` per second; without a name the lab picks pub-N."""

    type: Literal["start_publisher"] = "start_publisher"
    name: str | None = Field(default="pub", pattern=r"^[a-z][a-z0-9-]*$")
    seeds: tuple[ServerName, ...] = Field(min_length=1)
    rate: float = Field(default=200, gt=0, le=5000)
    options: ClientSettings = Field(default_factory=ClientSettings)


@validated(frozen=True, kw_only=True, config=_STRICT)
class StopPublisher:
    """Stop publishing (and stay connected) so subscribers can count what they lost."""

    type: Literal["stop_publisher"] = "stop_publisher"
    name: str = "pub"


@validated(frozen=True, kw_only=True, config=_STRICT)
class WaitHealthz:
    """Wait until the server's /healthz answers 200: the official upgrade procedure's gate."""

    type: Literal["wait_healthz"] = "wait_healthz"
    server: ServerName
    timeout: float = Field(default=15, gt=0, le=120)


@validated(frozen=True, kw_only=True, config=_STRICT)
class WaitStopped:
    """Wait until the server's process has exited (after lame duck mode, say)."""

    type: Literal["wait_stopped"] = "wait_stopped"
    server: ServerName
    timeout: float = Field(default=60, gt=0, le=180)


@validated(frozen=True, kw_only=True, config=_STRICT)
class Pause:
    """A pause in the lesson's pace, for a learner to watch: never a way to wait for a state."""

    type: Literal["pause"] = "pause"
    seconds: float = Field(gt=0, le=60)


@validated(frozen=True, kw_only=True, config=_STRICT)
class ToggleClientSwitch:
    """Flip one reconnect switch for the clients the palette starts from now on."""

    type: Literal["toggle_client_switch"] = "toggle_client_switch"
    switch: ClientSwitch


@validated(frozen=True, kw_only=True, config=_STRICT)
class EditConfig:
    """Write a new config file for a server started with one; it takes effect at the next
    reload or restart, as an edit in an editor does."""

    type: Literal["edit_config"] = "edit_config"
    server: ServerName
    config: str = Field(min_length=1)


@validated(frozen=True, kw_only=True, config=_STRICT)
class ValidateConfig:
    """`nats-server -t -c FILE`: does the server's config file parse? `expect` says which
    verdict the lesson wants (a broken file shown refused is a lesson too)."""

    type: Literal["validate_config"] = "validate_config"
    server: ServerName
    expect: Literal["valid", "invalid"] = "valid"


@validated(frozen=True, kw_only=True, config=_STRICT)
class ReloadConfig:
    """SIGHUP (or, `via = "system"`, a request to $SYS.REQ.SERVER.<id>.RELOAD as the system
    account's user): the server rereads its config file and applies what it can; a change it
    cannot apply refuses the whole reload, and the old configuration runs on."""

    type: Literal["reload_config"] = "reload_config"
    server: ServerName
    via: Literal["signal", "system"] = "signal"
    timeout: float = Field(default=10, gt=0, le=60)


STREAM_NAME = re.compile(r"^[A-Z][A-Z0-9_-]{0,31}$")
StreamName = Annotated[str, Field(pattern=STREAM_NAME.pattern)]
DEFAULT_SUBJECTS = ("ledger.>",)


@validated(frozen=True, kw_only=True, config=_STRICT)
class CreateStream:
    """Create a JetStream stream (through `server`), or find it already there."""

    type: Literal["create_stream"] = "create_stream"
    name: StreamName = "LEDGER"
    subjects: tuple[str, ...] = DEFAULT_SUBJECTS
    replicas: int = Field(default=3, ge=1, le=5)
    storage: Literal["file", "memory"] = "file"
    server: ServerName
    # Placement tags: only servers whose `server_tags` have every one may hold it.
    tags: tuple[str, ...] = ()
    # A mirror of this stream: it copies every message, in order and with the origin's
    # sequence numbers, and takes no subjects of its own.
    mirror: StreamName | None = None
    # Streams whose messages this one gathers (each keeps its own subjects); without
    # subjects given, the gathering stream takes none of its own.
    sources: tuple[StreamName, ...] = ()

    @model_validator(mode="after")
    def _a_mirror_has_no_subjects(self) -> CreateStream:
        if self.mirror is not None and self.subjects != DEFAULT_SUBJECTS:
            raise ValueError("a mirror takes no subjects: it copies its origin's messages")
        if self.mirror == self.name:
            raise ValueError("a stream cannot mirror itself")
        if self.name in self.sources:
            raise ValueError("a stream cannot gather itself as a source")
        if self.mirror is not None and self.sources:
            raise ValueError("a stream is a mirror or gathers sources, not both")
        return self

    @property
    def own_subjects(self) -> tuple[str, ...]:
        """The subjects it takes itself: none for a mirror, or for sources without subjects."""
        gathers = self.mirror is not None or (self.sources and self.subjects == DEFAULT_SUBJECTS)
        return () if gathers else self.subjects


@validated(frozen=True, kw_only=True, config=_STRICT)
class EditStream:
    """Change a stream's replicas and/or its placement tags (through `server`): the servers
    move its data to fit, or refuse in their own words (no suitable peers for placement)."""

    type: Literal["edit_stream"] = "edit_stream"
    name: StreamName = "LEDGER"
    server: ServerName
    replicas: int | None = Field(default=None, ge=1, le=5)
    tags: tuple[str, ...] | None = None  # () lifts the placement

    @model_validator(mode="after")
    def _changes_something(self) -> EditStream:
        if self.replicas is None and self.tags is None:
            raise ValueError("edit_stream needs replicas, tags, or both")
        return self


@validated(frozen=True, kw_only=True, config=_STRICT)
class PromoteMirror:
    """Make a mirror a stream of its own (nats-server 2.12 and later): it stops copying,
    keeps what it has, and takes `subjects` if given (no other stream may have them)."""

    type: Literal["promote_mirror"] = "promote_mirror"
    name: StreamName
    server: ServerName
    subjects: tuple[str, ...] = ()


@validated(frozen=True, kw_only=True, config=_STRICT)
class BackupStream:
    """Back up a stream (its messages, state and durable consumers) into the run directory,
    replacing the run's last backup of it."""

    type: Literal["backup_stream"] = "backup_stream"
    name: StreamName = "LEDGER"
    server: ServerName
    timeout: float = Field(default=60, gt=0, le=600)


@validated(frozen=True, kw_only=True, config=_STRICT)
class DeleteStream:
    """Delete a stream and every message in it."""

    type: Literal["delete_stream"] = "delete_stream"
    name: StreamName = "LEDGER"
    server: ServerName


@validated(frozen=True, kw_only=True, config=_STRICT)
class RestoreStream:
    """Restore a stream from the run's last backup of it: as it was when backed up. The
    servers refuse while a stream of that name exists."""

    type: Literal["restore_stream"] = "restore_stream"
    name: StreamName = "LEDGER"
    server: ServerName
    timeout: float = Field(default=60, gt=0, le=600)


@validated(frozen=True, kw_only=True, config=_STRICT)
class StartLedger:
    """A ledger publisher that records every acknowledged message, and its durable reader."""

    type: Literal["start_ledger"] = "start_ledger"
    name: str = Field(default="ledger", pattern=r"^[a-z][a-z0-9-]*$")
    stream: StreamName = "LEDGER"
    subject: str = "ledger.entries"
    seeds: tuple[ServerName, ...] = Field(min_length=1)
    rate: float = Field(default=200, gt=0, le=2000)


@validated(frozen=True, kw_only=True, config=_STRICT)
class VerifyLedger:
    """Read the stream back and hold it against every message the ledger saw acknowledged."""

    type: Literal["verify_ledger"] = "verify_ledger"
    name: str = "ledger"
    stream: StreamName = "LEDGER"


@validated(frozen=True, kw_only=True, config=_STRICT)
class MoveLeader:
    """Ask a stream's leader (or, with no stream, the meta leader) to step down, to `to` if
    given: the server API, through `server` (the meta leader's needs the system account)."""

    type: Literal["move_leader"] = "move_leader"
    stream: StreamName | None = None
    to: ServerName | None = None
    server: ServerName


@validated(frozen=True, kw_only=True, config=_STRICT)
class RemoveServer:
    """Peer-remove `server` from the JetStream meta group (`$JS.API.SERVER.REMOVE`, in the
    system account), asked through `through`: for a server gone for good."""

    type: Literal["remove_server"] = "remove_server"
    server: ServerName
    through: ServerName
    # Only the meta leader answers; just after a server is lost there may be none for a
    # while (a new one is elected within seconds), so it is asked again until `timeout`.
    timeout: float = Field(default=30, gt=0, le=120)


@validated(frozen=True, kw_only=True, config=_STRICT)
class RemoveStreamPeer:
    """Remove `server`'s replica from `stream` (`$JS.API.STREAM.PEER.REMOVE.<stream>`), asked
    through `through`; the meta leader places a new replica where it can."""

    type: Literal["remove_stream_peer"] = "remove_stream_peer"
    stream: StreamName = "LEDGER"
    server: ServerName
    through: ServerName
    # Only the meta leader answers; just after a server is lost there may be none for a
    # while (a new one is elected within seconds), so it is asked again until `timeout`.
    timeout: float = Field(default=30, gt=0, le=120)


@validated(frozen=True, kw_only=True, config=_STRICT)
class WipeStore:
    """Delete a stopped server's JetStream store, as a lost disk or a fresh machine would."""

    type: Literal["wipe_store"] = "wipe_store"
    server: ServerName


@validated(frozen=True, kw_only=True, config=_STRICT)
class DamageStore:
    """Overwrite a stretch in the middle of the newest message block of a stopped server's
    replica of `stream`, as a bad disk or a torn write would."""

    type: Literal["damage_store"] = "damage_store"
    server: ServerName
    stream: StreamName = "LEDGER"
    size: int = Field(default=64, ge=1, le=4096)  # bytes overwritten


@validated(frozen=True, kw_only=True, config=_STRICT)
class PauseServer:
    """SIGSTOP: the process is frozen with every socket open, as a long GC pause or a stuck
    VM looks from outside; `resume_server` (SIGCONT) lets it go on."""

    type: Literal["pause_server"] = "pause_server"
    server: ServerName


@validated(frozen=True, kw_only=True, config=_STRICT)
class ResumeServer:
    """SIGCONT: a paused server runs on from where it stopped."""

    type: Literal["resume_server"] = "resume_server"
    server: ServerName


ProbeAnswer = Literal["ok", "no_response", "timeout"] | Annotated[int, Field(ge=10000, le=99999)]


@validated(frozen=True, kw_only=True, config=_STRICT)
class ProbeJetStream:
    """One JetStream request through `server`, as an application would make it: publish to
    `subject`, create stream `stream` (R`replicas`), or ask for the account's info. With
    `until`, asked again until that is the answer ("ok", "no_response", "timeout", or an API
    error code such as 10008), or `timeout` runs out: a failure, unless `or_give_up`, when
    the last answer stands (a lesson whose right answer is the version's to decide)."""

    type: Literal["probe_jetstream"] = "probe_jetstream"
    server: ServerName
    request: Literal["publish", "create_stream", "account_info"]
    subject: str = "ledger.probe"
    stream: StreamName = "PROBE"
    replicas: int = Field(default=3, ge=1, le=5)
    until: ProbeAnswer | None = None
    timeout: float = Field(default=30, gt=0, le=120)
    or_give_up: bool = False


@validated(frozen=True, kw_only=True, config=_STRICT)
class CutLink:
    """Cut the link between two servers: their route connections close, in both directions,
    and the link refuses new ones until healed."""

    type: Literal["cut_link"] = "cut_link"
    servers: ServerPair


@validated(frozen=True, kw_only=True, config=_STRICT)
class BlackholeLink:
    """Make the link between two servers a black hole: connections stay open and nothing
    crosses, until the servers' pings declare them stale."""

    type: Literal["blackhole_link"] = "blackhole_link"
    servers: ServerPair


@validated(frozen=True, kw_only=True, config=_STRICT)
class DelayLink:
    """Delay everything crossing the link between two servers, each way: `ms`, plus up to
    `jitter_ms` drawn uniformly (order is kept, as TCP keeps it)."""

    type: Literal["delay_link"] = "delay_link"
    servers: ServerPair
    ms: float = Field(gt=0, le=10_000)
    jitter_ms: float = Field(default=0, ge=0, le=10_000)


@validated(frozen=True, kw_only=True, config=_STRICT)
class HealLink:
    """Let the link between two servers pass everything again, at once."""

    type: Literal["heal_link"] = "heal_link"
    servers: ServerPair


LinkOperation = CutLink | BlackholeLink | DelayLink | HealLink

# What a lesson file may ask for; the palette has these and the switches too (and, from
# what the servers report, JetStream's: lab/jetstream_palette.py).
PlainOperation = (
    StartServer
    | StopServer
    | KillServer
    | LameDuck
    | RestartServer
    | StartClients
    | StopClients
    | StartPublisher
    | StopPublisher
    | StartResponders
    | SendRequests
    | WaitHealthz
    | WaitStopped
    | Pause
    | EditConfig
    | ValidateConfig
    | ReloadConfig
    | CreateStream
    | EditStream
    | PromoteMirror
    | BackupStream
    | DeleteStream
    | RestoreStream
    | StartLedger
    | VerifyLedger
    | MoveLeader
    | ProbeJetStream
    | RemoveServer
    | RemoveStreamPeer
    | WipeStore
    | DamageStore
    | PauseServer
    | ResumeServer
    | CutLink
    | BlackholeLink
    | DelayLink
    | HealLink
)


def _pattern(text: str) -> str:
    try:
        re.compile(text)
    except re.error as exc:
        raise ValueError(f"not a regular expression ({exc})") from None
    return text


@validated(frozen=True, kw_only=True, config=_STRICT)
class ExpectRefusal:
    """Do `action` and expect it refused, in words matching `says` (a regular expression):
    how a lesson shows a refusal (a typo's placement, a restore over a live stream) and goes
    on. Done instead, or refused in other words, it fails the step."""

    type: Literal["expect_refusal"] = "expect_refusal"
    action: Annotated[PlainOperation, Field(discriminator="type")]
    says: Annotated[str, AfterValidator(_pattern)]


LessonOperation = PlainOperation | ExpectRefusal


@validated(frozen=True, kw_only=True, config=_STRICT)
class WaitMesh:
    """Wait until every named server has every other one as a route peer (/routez)."""

    type: Literal["wait_mesh"] = "wait_mesh"
    servers: tuple[ServerName, ...] = Field(min_length=1)
    timeout: float = Field(default=15, gt=0, le=120)


Operation = LessonOperation | ToggleClientSwitch | WaitMesh


@dataclasses.dataclass(frozen=True)
class Done:
    """What an operation did, in words; `command` is what one would type by hand, `added`
    natslab's own flags beside a server's command."""

    detail: str
    command: str = ""
    added: str = ""


@dataclasses.dataclass(frozen=True)
class PaletteEntry:
    """One line of the command palette: a title and the operation it runs."""

    title: str
    operation: Operation
