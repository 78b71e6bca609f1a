"""Lesson, Step and checks (actions are lab operations): validated on load, errors name
the file, step and field."""

from __future__ import annotations

import contextlib
import functools
import re
import tomllib
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from natslab.cluster.ports import PORT_PLACEHOLDER
from natslab.errors import LessonFileError, UsageError
from natslab.lab import operations as ops
from natslab.lab.operations import ServerName, StreamName
from natslab.resources import bundled_lesson_files
from natslab.words import both


def _valid_regex(pattern: str) -> str:
    try:
        re.compile(PORT_PLACEHOLDER.sub("0", pattern))
    except re.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    return pattern


Regex = Annotated[str, AfterValidator(_valid_regex)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A lesson's actions are the lab's own operations, validated from the file as they are.
Action = Annotated[ops.LessonOperation, Field(discriminator="type")]

# --- checks --------------------------------------------------------------------------


class _Check(_Strict):
    timeout: float = Field(default=10, gt=0, le=180)
    # A claim that something *stays* so: once true, it must hold this long, or the check fails.
    holds_for: float = Field(default=0, ge=0, le=60)


class ServerIsReady(_Check):
    type: Literal["server_ready"]
    server: ServerName


class ServerStopped(_Check):
    type: Literal["server_stopped"]
    server: ServerName


class LogContains(_Check):
    """A regex on one server's log; {client:B}, {cluster:B}, {monitor:B} stand for ports."""

    type: Literal["log_contains"]
    server: ServerName
    pattern: Regex
    since_step: bool = True


class LogAbsent(_Check):
    """The pattern has not appeared in the server's log for the last `quiet_for` seconds."""

    type: Literal["log_absent"]
    server: ServerName
    pattern: Regex
    quiet_for: float = Field(default=3, gt=0, le=60)


class RouteMesh(_Check):
    type: Literal["route_mesh"]
    servers: list[ServerName] = Field(min_length=2)


class LeafConnected(_Check):
    """`server`'s leaf node connections (its /leafz) reach exactly `peers`: servers at the
    other end, hub or spoke; `peers = []` claims it has none."""

    type: Literal["leaf_connected"]
    server: ServerName
    peers: list[ServerName] = Field(default_factory=list)


class GatewayConnected(_Check):
    """`server`'s outbound gateways (its /gatewayz) reach exactly the clusters `clusters`,
    by their gateway names; `clusters = []` claims none."""

    type: Literal["gateway_connected"]
    server: ServerName
    clusters: list[str] = Field(default_factory=list)


class ClusterName(_Check):
    """Every one of `servers` is up and reports one cluster name in /varz: `name`, when given."""

    type: Literal["cluster_name"]
    servers: list[ServerName] = Field(min_length=1)
    name: str | None = None


class RoutePeers(_Check):
    type: Literal["route_peers"]
    server: ServerName
    peers: list[ServerName]


class ClientOn(_Check):
    """Clients (one name, a prefix like "sub-*", or "*") connected to one of these servers."""

    type: Literal["client_on"]
    clients: str = "*"
    servers: list[ServerName] = Field(min_length=1)


class ClientsSpread(_Check):
    type: Literal["clients_spread"]
    clients: str = "*"
    servers: list[ServerName] = Field(min_length=2)
    at_least: int = Field(default=1, ge=1)


class NoClientsOn(_Check):
    type: Literal["no_clients_on"]
    server: ServerName


class ClientKnows(_Check):
    type: Literal["client_knows"]
    clients: str = "*"
    servers: list[ServerName] = Field(min_length=1)


class ServerVersion(_Check):
    """The running process reports (in /varz) the version of the default or upgrade binary."""

    type: Literal["server_version"]
    server: ServerName
    binary: Literal["default", "upgrade"] = "upgrade"


class Healthz(_Check):
    type: Literal["healthz"]
    server: ServerName


class ClientReportedError(_Check):
    """At least `at_least` selected clients reported an error matching `pattern`."""

    type: Literal["client_error"]
    clients: str = "*"
    pattern: Regex
    at_least: int = Field(default=1, ge=1)


class MessagesLost(_Check):
    type: Literal["messages_lost"]
    clients: str = "*"
    at_most: int = Field(ge=0)
    since_step: bool = False  # count only what was lost in this step


class Reconnects(_Check):
    """Each selected client lost its server at most `at_most` times in this step (a client
    closed for good counts; one the lab stopped does not)."""

    type: Literal["reconnects"]
    clients: str = "*"
    at_most: int = Field(default=0, ge=0)


class Drained(_Check):
    """No lab client is left on the server; the drain took at least min_seconds."""

    type: Literal["drained"]
    server: ServerName
    min_seconds: float = Field(default=0, ge=0)


class HealthzError(_Check):
    """`server` is up and its /healthz answers other than 200, saying something like `pattern`."""

    type: Literal["healthz_error"]
    server: ServerName
    pattern: Regex


class MetaPeers(_Check):
    """As `server`'s /jsz tells it: (when given) exactly `offline` of the meta group's peers
    are offline, (when given) its meta leader is `leader`: a server, "none", or "any" (some
    server), and (when given) the group's members, `server` and the peers it lists, are
    exactly `members`. Without a leader, nats-server 2.14 and older list no peers at all."""

    type: Literal["meta_peers"]
    server: ServerName
    offline: list[ServerName] | None = None
    leader: ServerName | Literal["none", "any"] | None = None
    members: list[ServerName] | None = None


class JetStreamAnswer(_Check):
    """The latest `probe_jetstream` of `request` in this step (through `server`, when given)
    was answered `answer`: "ok", "no_response", "timeout", or an API error code."""

    type: Literal["jetstream_answer"]
    request: Literal["publish", "create_stream", "account_info"]
    answer: Literal["ok", "no_response", "timeout"] | Annotated[int, Field(ge=10000, le=99999)]
    server: ServerName | None = None


class AnsweredBy(_Check):
    """Every request of the latest `send_requests` round in this step (through `server`, when
    given) was answered by a client whose name matches `clients` (`svc-*`, `svc-1`)."""

    type: Literal["answered_by"]
    clients: str
    server: ServerName | None = None


class StreamPeers(_Check):
    """`stream`'s replicas, as its leader reports them, are on exactly `peers` (the leader
    included), and with `current` (the default) every one is current."""

    type: Literal["stream_peers"]
    stream: StreamName = "LEDGER"
    peers: list[ServerName] = Field(min_length=1)
    current: bool = True


class MirrorLag(_Check):
    """`stream` is a mirror and at most `at_most` of its origin's messages are not in it yet:
    the origin's last sequence against the mirror's (a mirror keeps its origin's numbers)."""

    type: Literal["mirror_lag"]
    stream: StreamName
    at_most: int = Field(default=0, ge=0)


class SourcesLag(_Check):
    """`stream` gathers sources and at most `at_most` of their messages are not in it yet:
    the sum of the sources' message counts against its own (it takes none of its own)."""

    type: Literal["sources_lag"]
    stream: StreamName
    at_most: int = Field(default=0, ge=0)


class MetaLeader(_Check):
    """The JetStream meta leader is (or, with on = false, is not) `server`."""

    type: Literal["meta_leader"]
    server: ServerName
    on: bool = True


class StreamLeader(_Check):
    """`stream`'s leader is (or, with on = false, is not) `server`."""

    type: Literal["stream_leader"]
    stream: str = "LEDGER"
    server: ServerName
    on: bool = True


class LeadsNothing(_Check):
    """`server` leads no JetStream Raft group: not the meta group, no stream, no consumer."""

    type: Literal["leads_nothing"]
    server: ServerName


class ReplicasCurrent(_Check):
    """`stream` has a leader, and its leader reports every other replica current."""

    type: Literal["replicas_current"]
    stream: str = "LEDGER"
    replicas: int = Field(default=3, ge=1, le=5)


class AckedLost(_Check):
    """The ledger's latest verification (this step) found at most `at_most` acknowledged
    messages missing from the stream."""

    type: Literal["acked_lost"]
    client: str = "ledger"
    at_most: int = Field(default=0, ge=0)


class PublishGapAtMost(_Check):
    """The ledger's longest stretch without an acknowledged publish, within this step, was at
    most `at_most` seconds (a stretch still going counts)."""

    type: Literal["publish_gap"]
    client: str = "ledger"
    at_most: float = Field(gt=0, le=120)


class Report(_Check):
    """Not a test: shows what was measured (loss, gaps, spread) as an observation."""

    type: Literal["report"]
    what: Literal["loss", "gaps", "spread", "ledger"]
    clients: str = "*"


Check = Annotated[
    ServerIsReady
    | ServerStopped
    | LogContains
    | LogAbsent
    | RouteMesh
    | RoutePeers
    | ClusterName
    | LeafConnected
    | GatewayConnected
    | ClientOn
    | ClientsSpread
    | NoClientsOn
    | ClientKnows
    | Healthz
    | ServerVersion
    | ClientReportedError
    | MessagesLost
    | Reconnects
    | Drained
    | HealthzError
    | MetaPeers
    | JetStreamAnswer
    | AnsweredBy
    | StreamPeers
    | MirrorLag
    | SourcesLag
    | MetaLeader
    | StreamLeader
    | LeadsNothing
    | ReplicasCurrent
    | AckedLost
    | PublishGapAtMost
    | Report,
    Field(discriminator="type"),
]

# --- predictions: what a learner expects, judged by what the run measures -------------


class _Judge(_Strict):
    pass


class JudgeClientServer(_Judge):
    """Which server one client is on once the step's checks are done ("none" if none)."""

    type: Literal["client_server"]
    client: str = Field(min_length=1)


class JudgeClientsOn(_Judge):
    """How many of `clients` are on `server` once every one of them is connected."""

    type: Literal["clients_on"]
    clients: str = "*"
    server: ServerName


class JudgeGossipDelay(_Judge):
    """Seconds from `server`'s start until the slowest of `clients` had it in its pool;
    "never" if one still lacks it when the judgement's time runs out."""

    type: Literal["gossip_delay"]
    clients: str = "*"
    server: ServerName


class JudgeMostLost(_Judge):
    """The most messages any one subscriber among `clients` has lost, once all are settled."""

    type: Literal["most_lost"]
    clients: str = "*"


class JudgeLongestGap(_Judge):
    """Seconds of the longest reconnect gap among `clients`' last moves in this step."""

    type: Literal["longest_gap"]
    clients: str = "*"


class JudgeDrainTime(_Judge):
    """Seconds from `server` entering lame duck mode until no client was left on it."""

    type: Literal["drain_time"]
    server: ServerName


class JudgeDropped(_Judge):
    """How many of `clients` lost their server in this step (one closed for good counts),
    once none of them is still reconnecting."""

    type: Literal["dropped"]
    clients: str = "*"


class JudgeJetStreamAnswer(_Judge):
    """How the latest `probe_jetstream` of `request` in this step was answered: "ok",
    "no_response", "timeout", or an API error code such as "10008"."""

    type: Literal["jetstream_answer"]
    request: Literal["publish", "create_stream", "account_info"]


class JudgeAnsweredBy(_Judge):
    """How many requests of the latest `send_requests` round in this step (through `server`,
    when given) a client matching `clients` answered."""

    type: Literal["answered_by"]
    clients: str
    server: ServerName | None = None


class JudgeStreamPeers(_Judge):
    """Where `stream`'s replicas are, as its leader reports them: the servers in order,
    joined by commas ("A,B,C")."""

    type: Literal["stream_peers"]
    stream: StreamName = "LEDGER"


class JudgeMetaMembers(_Judge):
    """The JetStream meta group's members as `server` counts them (itself and the peers its
    /jsz lists): the servers in order, joined by commas ("A,B,D")."""

    type: Literal["meta_members"]
    server: ServerName


class JudgeAckedLost(_Judge):
    """How many of the ledger's acknowledged messages its latest verification in this step
    found missing from the stream it read."""

    type: Literal["acked_lost"]
    client: str = "ledger"


class JudgePublishGap(_Judge):
    """Seconds of the ledger's longest stretch without an acknowledged publish in this step,
    once publishing has resumed."""

    type: Literal["publish_gap"]
    client: str = "ledger"


Judgement = Annotated[
    JudgeClientServer
    | JudgeClientsOn
    | JudgeGossipDelay
    | JudgeMostLost
    | JudgeLongestGap
    | JudgeDrainTime
    | JudgeDropped
    | JudgeJetStreamAnswer
    | JudgeAnsweredBy
    | JudgeStreamPeers
    | JudgeMetaMembers
    | JudgeAckedLost
    | JudgePublishGap,
    Field(discriminator="type"),
]
NUMERIC_JUDGEMENTS = (
    JudgeClientsOn,
    JudgeGossipDelay,
    JudgeMostLost,
    JudgeLongestGap,
    JudgeDrainTime,
    JudgeDropped,
    JudgePublishGap,
    JudgeAnsweredBy,
    JudgeAckedLost,
)
NO_SERVER = "none"  # what client_server measures for a client that is on no server
NEVER = "never"  # the one word a numeric judgement may measure instead of a number


class Answer(_Strict):
    """One choice; it is right when the measured value is `is`, or in [at_least, below)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    text: str = Field(min_length=1)
    equals: str | None = Field(default=None, alias="is")
    at_least: float | None = None
    below: float | None = None

    @model_validator(mode="after")
    def _one_kind_of_match(self) -> Answer:
        ranged = self.at_least is not None or self.below is not None
        if ranged == (self.equals is not None):
            raise ValueError("give an answer either `is` or a range (`at_least`, `below`)")
        if self.at_least is not None and self.below is not None and self.at_least >= self.below:
            raise ValueError(f"at_least {self.at_least:g} is not below {self.below:g}")
        return self

    def matches(self, value: float | str) -> bool:
        if isinstance(value, str):
            return self.equals == value
        low = self.at_least if self.at_least is not None else float("-inf")
        high = self.below if self.below is not None else float("inf")
        return self.equals is None and low <= value < high


class Prediction(_Strict):
    """A question asked before a step runs, answered with 1-4, judged from the run."""

    question: str = Field(min_length=1)
    answers: list[Answer] = Field(min_length=2, max_length=4)
    judge: Judgement
    timeout: float = Field(default=30, gt=0, le=180)  # for the measurement to become final

    @model_validator(mode="after")
    def _answers_fit_the_judgement(self) -> Prediction:
        numeric = isinstance(self.judge, NUMERIC_JUDGEMENTS)
        for position, answer in enumerate(self.answers):
            if numeric and answer.equals not in (None, NEVER):
                raise ValueError(
                    f"@answers.{position}: a {self.judge.type} judgement measures a number: "
                    f"give a range, or is = {NEVER!r}"
                )
            if not numeric and answer.equals is None:
                raise ValueError(
                    f"@answers.{position}: a {self.judge.type} judgement measures "
                    + (
                        'an answer: give is = "ok", "no_response", "timeout" or an error code'
                        if isinstance(self.judge, JudgeJetStreamAnswer)
                        else 'servers: give is = "A,B,C" (in order, comma-separated)'
                        if isinstance(self.judge, JudgeStreamPeers | JudgeMetaMembers)
                        else 'a server: give is = "A" (or "none")'
                    )
                )
        said = [a.equals for a in self.answers if a.equals is not None]
        for position, answer in enumerate(self.answers):
            if answer.equals is not None and said.count(answer.equals) > 1:
                raise ValueError(
                    f"@answers.{position}: another answer is also {answer.equals!r}, so two "
                    "answers could both be right"
                )
        ranges = sorted(
            (a.at_least if a.at_least is not None else float("-inf"), i)
            for i, a in enumerate(self.answers)
            if a.equals is None
        )
        for (_, first), (low, second) in pairwise(ranges):
            high = self.answers[first].below
            if high is None or high > low:
                raise ValueError(
                    f"@answers.{second}: its range overlaps answer {first + 1}'s, so two "
                    "answers could both be right"
                )
        return self


# --- lessons -------------------------------------------------------------------------

HANDS_ON_ACTIONS = ("stop_server", "kill_server", "lame_duck", "reload_config")


class Step(_Strict):
    title: str = Field(min_length=1)
    narrative: str = ""  # shown once the step has run: it may explain the outcome
    preview: str = ""  # shown before it runs: what is about to be done, never the outcome
    commands: list[str] = []
    predict: Prediction | None = None
    hands_on: bool = False  # the learner does the first action (natslab waits for its effect)
    hint_after: float = Field(default=20, gt=0, le=600)
    actions: list[Action] = []
    checks: list[Check] = []

    @model_validator(mode="after")
    def _hands_on_has_an_action(self) -> Step:
        if self.hands_on and (not self.actions or self.actions[0].type not in HANDS_ON_ACTIONS):
            raise ValueError(
                "@hands_on: the step's first action must be one a learner can do: "
                + ", ".join(HANDS_ON_ACTIONS)
            )
        return self


def _bundled_lesson(lesson_id: str) -> str:
    known = bundled_lesson_files()
    if lesson_id not in known:
        raise ValueError(
            f"{lesson_id!r} is not a bundled lesson (natslab has {both(sorted(known))})"
        )
    return lesson_id


LessonId = Annotated[str, AfterValidator(_bundled_lesson)]


class Lesson(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str = Field(min_length=1)
    summary: str = ""
    needs: list[LessonId] = []  # the bundled lessons to take first
    servers: list[ServerName] = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)
    # Every route of the run through natslab's link proxies, which link actions act on.
    links: bool = False

    @model_validator(mode="after")
    def _link_actions_have_links(self) -> Lesson:
        problems = [
            f"@steps.{index}.actions.{position}.type: {action.type} acts on a link proxy, "
            "and this lesson's routes go through none; add `links = true` at its top"
            for index, step in enumerate(self.steps)
            for position, action in enumerate(step.actions)
            if isinstance(action, ops.LinkOperation) and not self.links
        ]
        if problems:
            raise ValueError("\n".join(problems))
        return self

    @model_validator(mode="after")
    def _needs_lead_nowhere_back(self) -> Lesson:
        """A lesson that needs itself, through any chain of needs, could never be taken."""
        circle = needs_circle(self.id, self.needs)
        if len(circle) == 2:
            raise ValueError(f"@needs: {self.id} needs itself, and no lesson comes before itself")
        if circle:
            chain = ", which needs ".join(circle[1:])
            few = "neither" if len(circle) == 3 else "none of them"
            raise ValueError(f"@needs: {self.id} needs {chain}: a circle, so {few} can be "
                             "taken first")  # fmt: skip
        return self

    @model_validator(mode="after")
    def _servers_are_declared(self) -> Lesson:
        """Every server a step names is one of the lesson's; every such problem is reported
        (one "@where: what" line each), and only in fields the author wrote."""
        declared = set(self.servers)
        problems: list[str] = []
        for index, step in enumerate(self.steps):
            judged = [step.predict.judge] if step.predict else []
            if step.predict and isinstance(step.predict.judge, JudgeClientServer):
                for position, answer in enumerate(step.predict.answers):
                    if answer.equals not in (*declared, NO_SERVER):
                        problems.append(
                            f"@steps.{index}.predict.answers.{position}.is: {answer.equals!r} "
                            f"is not one of the lesson's servers ({', '.join(self.servers)}) "
                            f"nor {NO_SERVER!r}"
                        )
            for kind, items in (
                ("actions", step.actions),
                ("checks", step.checks),
                ("predict", judged),
            ):
                for position, item in enumerate(items):
                    where = f"{kind}.{position}" if kind != "predict" else "predict.judge"
                    problems += [
                        f"@steps.{index}.{where}.{field}: server {name} is not one of the "
                        f"lesson's servers ({', '.join(self.servers)})"
                        + (
                            f" (not given here: the default, {_default_words(item, field)}, "
                            f"names {name}; give {field} yourself)"
                            if field not in _written(item)
                            else ""
                        )
                        for field, name in _named_servers(item)
                        if name not in declared
                    ]
        if problems:
            raise ValueError("\n".join(dict.fromkeys(problems)))
        return self


def needs_circle(lesson_id: str, needs: list[str]) -> list[str]:
    """[lesson_id, …, lesson_id] when following `needs`, and the bundled lessons' needs from
    there, leads back to this lesson; [] when it does not."""
    if not needs:
        return []
    graph = {**_bundled_needs(), lesson_id: needs}
    seen: set[str] = set()

    def walk(path: list[str]) -> list[str]:
        for need in graph.get(path[-1], []):
            if need == lesson_id:
                return [*path, need]
            if need not in seen:
                seen.add(need)
                if found := walk([*path, need]):
                    return found
        return []

    return walk([lesson_id])


def _bundled_needs() -> dict[str, list[str]]:
    """Each bundled lesson's `needs` as written, read again only when a file changed."""
    stamps: list[tuple[str, str, int]] = []
    for lesson_id, path in sorted(bundled_lesson_files().items()):
        with contextlib.suppress(OSError):
            stamps.append((lesson_id, str(path), path.stat().st_mtime_ns))
    return _needs_as_written(tuple(stamps))


@functools.lru_cache(maxsize=8)
def _needs_as_written(files: tuple[tuple[str, str, int], ...]) -> dict[str, list[str]]:
    """A file that does not read is left out: its own load says why."""
    graph: dict[str, list[str]] = {}
    for lesson_id, path, _ in files:
        try:
            needs = tomllib.loads(Path(path).read_text(encoding="utf-8")).get("needs", [])
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
            continue
        if isinstance(needs, list):
            graph[lesson_id] = [need for need in needs if isinstance(need, str)]
    return graph


def _written(item: object) -> set[str]:
    """The fields of an action or check that differ from their defaults: the lesson file
    wrote those (a default the author never saw must not be blamed on them)."""
    fields = getattr(item, "__pydantic_fields__", None) or type(item).model_fields  # type: ignore[attr-defined]
    return {
        name
        for name, info in fields.items()
        if info.is_required() or getattr(item, name, None) != info.default
    }


def _default_words(item: object, field: str) -> str:
    value = getattr(item, field, None)
    return " and ".join(value) if isinstance(value, list | tuple) else repr(value)


def _named_servers(item: object) -> list[tuple[str, str]]:
    """(field, server name) for every server an action or check refers to."""
    names: list[tuple[str, str]] = []
    for field in ("server", "servers", "routes", "seeds", "peers"):
        value = getattr(item, field, None)
        if isinstance(value, str):
            names.append((field, value))
        elif isinstance(value, list | tuple):
            names += [(field, name) for name in value]
    pattern = getattr(item, "pattern", None)
    if isinstance(pattern, str):
        names += [("pattern", m.group(2)) for m in PORT_PLACEHOLDER.finditer(pattern)]
    return names


# --- loading -------------------------------------------------------------------------


def load_lesson(path: Path) -> Lesson:
    """Read and validate a lesson file; every problem becomes one LessonFileError sentence."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LessonFileError(f"Cannot read lesson file {path}: {exc.strerror or exc}.") from exc
    except UnicodeDecodeError as exc:
        raise LessonFileError(f"{path} is not UTF-8 text: {exc.reason}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LessonFileError(f"{path} is not valid TOML: {exc}.") from exc
    try:
        return Lesson.model_validate(data)
    except ValidationError as exc:
        raise LessonFileError(describe_validation_error(path, data, exc)) from exc


def describe_validation_error(path: Path, data: dict[str, Any], exc: ValidationError) -> str:
    """'upgrade.toml, step 3 "Start a subscriber", field actions[0].count: ...', a line for
    every problem of the file."""
    lines: list[str] = []
    errors = exc.errors()
    deeper = [tuple(e["loc"]) for e in errors]
    for error in errors:
        here = tuple(error["loc"])
        if any(len(d) > len(here) and d[: len(here)] == here for d in deeper):
            continue  # a list's length after a bad item was dropped: the item says it all
        message = error["msg"]
        if message.startswith("Value error, @"):
            # A validator names the fields it judged, a line each: from the top (@steps.2...)
            # or from itself.
            for judged in message.removeprefix("Value error, ").split("\n"):
                where, _, said = judged.removeprefix("@").partition(": ")
                parts = [int(p) if p.isdigit() else p for p in where.split(".")]
                loc = parts if where.startswith("steps.") else list(error["loc"]) + parts
                lines.append(f"{path.name}, {_where(data, loc)}: {said}.")
            continue
        loc = list(error["loc"])
        if error["type"] == "union_tag_invalid":
            given = error.get("input")
            tag = given.get("type") if isinstance(given, dict) else None
            kind = "action" if "actions" in loc else "judgement" if "predict" in loc else "check"
            expected = error.get("ctx", {}).get("expected_tags", "")
            message = f"unknown {kind} type {tag!r}; expected one of {expected}"
        elif error["type"] == "missing":
            message = "this field is required"
        elif error["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
            message = "unknown field"
        lines.append(f"{path.name}, {_where(data, loc)}: {message.removeprefix('Value error, ')}.")
    return "\n".join(dict.fromkeys(lines))


def _where(data: dict[str, Any], loc: list[Any]) -> str:
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        steps = data.get("steps") if isinstance(data, dict) else None
        title = ""
        if isinstance(steps, list) and loc[1] < len(steps) and isinstance(steps[loc[1]], dict):
            title = str(steps[loc[1]].get("title", ""))
        step = f"step {loc[1] + 1}" + (f" {title!r}" if title else "")
        field = _dotted(loc[2:])
        return f"{step}, field {field}" if field else step
    return f"field {_dotted(loc)}" if loc else "top level"


def _dotted(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part in _TAG_NAMES:
            continue  # pydantic puts the union member's tag in the path; the user never wrote it
        else:
            text += f".{part}" if text else str(part)
    return text


def _tags(union: Any) -> frozenset[str]:
    """The `type` tags of every member of a discriminated union, read from the union itself."""
    members = get_args(get_args(union)[0])
    return frozenset(tag for member in members for tag in get_args(_type_field(member)))


def _type_field(member: type) -> Any:
    fields = getattr(member, "__pydantic_fields__", None) or member.model_fields  # type: ignore[attr-defined]
    return fields["type"].annotation


_TAG_NAMES = _tags(Action) | _tags(Check) | _tags(Judgement)


def parse_answers(lesson: Lesson, text: str) -> list[int | None]:
    """`--answers 1,3,-`: one answer per question in order (1-based, `-` for none), 0-based."""
    asked = [(i, step) for i, step in enumerate(lesson.steps) if step.predict is not None]
    parts = [part.strip() for part in text.split(",")] if text.strip() else []
    if len(parts) > len(asked):
        raise UsageError(
            f"--answers gives {len(parts)} answers, but lesson {lesson.id!r} asks "
            f"{len(asked)} question{'s' * (len(asked) != 1)}."
        )
    answers: list[int | None] = []
    for number, (part, (index, step)) in enumerate(zip(parts, asked, strict=False), 1):
        assert step.predict is not None
        if part == "-":
            answers.append(None)
            continue
        choices = len(step.predict.answers)
        if not part.isdigit() or not 1 <= int(part) <= choices:
            raise UsageError(
                f"--answers: answer {number} is {part!r}, but question {number} (step "
                f"{index + 1}, {step.title!r}) has answers 1-{choices}."
            )
        answers.append(int(part) - 1)
    return answers
