"""Lesson, Step and checks (actions are lab operations): validated on load, errors name
the file, step and field."""

from __future__ import annotations

import re
import tomllib
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

from natslab.errors import LessonFileError
from natslab.lab import operations as ops
from natslab.lab.operations import ServerName

PORT_PLACEHOLDER = re.compile(r"\{(client|cluster|monitor):([A-Z])\}")


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


class Drained(_Check):
    """No lab client is left on the server; the drain took at least min_seconds."""

    type: Literal["drained"]
    server: ServerName
    min_seconds: float = Field(default=0, ge=0)


class Report(_Check):
    """Not a test: shows what was measured (loss, gaps, spread) as an observation."""

    type: Literal["report"]
    what: Literal["loss", "gaps", "spread"]
    clients: str = "*"


Check = Annotated[
    ServerIsReady
    | ServerStopped
    | LogContains
    | LogAbsent
    | RouteMesh
    | RoutePeers
    | ClientOn
    | ClientsSpread
    | NoClientsOn
    | ClientKnows
    | Healthz
    | ServerVersion
    | ClientReportedError
    | MessagesLost
    | Drained
    | Report,
    Field(discriminator="type"),
]

# --- lessons -------------------------------------------------------------------------


class Step(_Strict):
    title: str = Field(min_length=1)
    narrative: str = ""
    commands: list[str] = []
    actions: list[Action] = []
    checks: list[Check] = []


class Lesson(_Strict):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    title: str = Field(min_length=1)
    summary: str = ""
    servers: list[ServerName] = Field(min_length=1)
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _servers_are_declared(self) -> Lesson:
        declared = set(self.servers)
        for index, step in enumerate(self.steps):
            for kind, items in (("actions", step.actions), ("checks", step.checks)):
                for position, item in enumerate(items):
                    for field, name in _named_servers(item):
                        if name not in declared:
                            raise ValueError(
                                f"@steps.{index}.{kind}.{position}.{field}: server {name} is not "
                                f"one of the lesson's servers ({', '.join(self.servers)})"
                            )
        return self


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
    """'upgrade.toml, step 3 "Start a subscriber", actions[0].count: ...' for the first error."""
    error = exc.errors()[0]
    loc = list(error["loc"])
    message = error["msg"]
    if message.startswith("Value error, @steps."):
        where, _, message = message.removeprefix("Value error, @").partition(": ")
        loc = [int(p) if p.isdigit() else p for p in where.split(".")]
    where = _where(data, loc)
    if error["type"] == "union_tag_invalid":
        tag = error.get("input", {}).get("type") if isinstance(error.get("input"), dict) else None
        kind = "action" if "actions" in loc else "check"
        expected = error.get("ctx", {}).get("expected_tags", "")
        message = f"unknown {kind} type {tag!r}; expected one of {expected}"
    elif error["type"] == "missing":
        message = "this field is required"
    elif error["type"] in ("extra_forbidden", "unexpected_keyword_argument"):
        message = "unknown field"
    return f"{path.name}, {where}: {message.removeprefix('Value error, ')}."


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


_TAG_NAMES = _tags(Action) | _tags(Check)
