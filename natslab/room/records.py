"""The room's records at the edge: one bounded schema, and the author taken from the subject
the server authenticated (`natslab.ROOM.p.NAME.KIND`), never from the record's body."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from natslab.lessons import events as lev
from natslab.room.names import PARTICIPANT_NAME, ROOM_SELF
from natslab.words import printable

# What a participant's natslab sends: every lesson event, a help request, and the first
# record of a participant on a deployment. Their subjects' last token is the kind.
PARTICIPANT_KINDS: tuple[str, ...] = tuple(
    sorted({kind.__name__ for kind in lev.LessonEvent.__subclasses__()} | {"HelpRequested",
                                                                          "Joined"})
)  # fmt: skip
# What only the instructor's login can store: subjects under natslab.ROOM.p._room.
INSTRUCTOR_KINDS = ("Held", "Released", "Said", "Revealed", "HelpResolved", "Course")

# Bounds: a record far beyond what natslab sends is an abuse, not a lesson. Text loses its
# control characters at the edge (an escape sequence would rewrite the instructor's screen,
# or, through a reveal, every participant's); a name or a title stays on one line.
Short = Annotated[str, Field(max_length=200), AfterValidator(printable)]
Line = Annotated[str, Field(max_length=4000), AfterValidator(lambda t: printable(t, lines=True))]
Title = Annotated[str, Field(max_length=4000), AfterValidator(printable)]
Step = Annotated[int, Field(ge=0, le=10_000)]
# A figure is a loss, a gap in seconds, a count: far inside these; beyond, the room's spread
# of them would overflow.
Finite = Annotated[float, Field(ge=-1e12, le=1e12, allow_inf_nan=False)]
Moment = Annotated[float, Field(ge=0, le=1e11, allow_inf_nan=False)]


class Record(BaseModel):
    """Every field a room's record may carry that a reader folds; the rest is dropped."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: Short
    at: Moment = 0.0
    id: Short = ""
    participant: Short | None = None  # the body's claim: checked against the subject
    run: Short = ""
    lesson_id: Short = ""
    lesson: Short = ""  # a hold's, a release's or a reveal's lesson
    step: Step = 0  # a hold's or a reveal's step (0-based)
    title: Title = ""
    index: Step = 0
    retry: bool = False
    ok: bool | None = None
    final: bool = False
    duration: Annotated[float, Field(ge=0, le=1e7, allow_inf_nan=False)] = 0.0
    hands_on: Short = ""
    description: Title = ""
    observation: Line = ""
    figure: Finite | None = None
    answer: Annotated[int, Field(ge=0, le=99)] | None = None
    question: Title = ""
    answers: Annotated[tuple[Title, ...], Field(max_length=20)] = ()
    matched: bool | None = None
    measured: Title = ""
    value: Finite | None = None
    versions: Short = ""
    checks: Annotated[tuple[Title, ...], Field(max_length=50)] = ()
    servers: Line = ""
    clients: Line = ""
    text: Line = ""  # the instructor's message
    who: Short = ""  # the participant an instructor's record is about (a help resolved)
    course: Short = ""  # the room's course (`class start --course`), with its title
    lessons: Annotated[tuple[Short, ...], Field(max_length=100)] = ()  # and lessons, in order


@dataclass(frozen=True)
class Authored:
    """A record and who stored it: a participant's name, or ROOM_SELF for the instructor."""

    author: str
    room: str
    record: Record

    @property
    def by_instructor(self) -> bool:
        return self.author == ROOM_SELF


@dataclass(frozen=True)
class Refused:
    """A message on the room's subjects that is not folded, why in a few words, and whose
    subject it came on (None when the subject names nobody)."""

    why: str
    author: str | None = None


def author_of(subject: str) -> tuple[str, str, str] | None:
    """(room, author, kind) of `natslab.ROOM.p.NAME.KIND`, or None for any other subject."""
    tokens = subject.split(".")
    if len(tokens) != 5 or tokens[0] != "natslab" or tokens[2] != "p":
        return None
    room, name, kind = tokens[1], tokens[3], tokens[4]
    if name != ROOM_SELF and not PARTICIPANT_NAME.fullmatch(name):
        return None
    return room, name, kind


def read(subject: str, data: bytes | Any) -> Authored | Refused:
    """One stored message as the room folds it, or why it is refused. `data` is the message
    as it came (bytes), or a record already parsed (an export's)."""
    where = author_of(subject)
    if where is None:
        return Refused("not a room subject")
    room, author, kind = where
    body = data
    if isinstance(data, bytes | bytearray):
        try:
            body = json.loads(data)
        except (ValueError, RecursionError):
            return Refused("not JSON", author)
    if not isinstance(body, dict):
        return Refused("not a record", author)
    try:
        record = Record.model_validate(body)
    except (ValidationError, RecursionError):
        return Refused("does not fit the schema", author)
    if record.type != kind:
        return Refused("its type is not its subject's", author)
    if record.participant is not None and record.participant != author:
        return Refused("it claims another author", author)
    allowed = INSTRUCTOR_KINDS if author == ROOM_SELF else PARTICIPANT_KINDS
    if kind not in allowed:
        return Refused("a kind its author may not send", author)
    return Authored(author, room, record)
