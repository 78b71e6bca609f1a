"""The room's edge: every stored message read through one schema, its author taken from the
subject the server authenticated. Hostile and arbitrary records never raise, and never let
one author change another's row or speak for the instructor."""

import copy
import json
import math

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natslab.room import records
from natslab.room.exported import write_export
from natslab.room.roster import RoomState
from natslab.room.stream import Stored

ROOM = "demo"


def subject(who: str, kind: str) -> str:
    return f"natslab.{ROOM}.p.{who}.{kind}"


def rec(who: str, kind: str, at: float, **fields):
    body = {"participant": who, "type": kind, "at": at, "id": f"{who}:{kind}:{at}", **fields}
    return subject(who, kind), body


def bob_lesson() -> list[tuple[str, dict]]:
    """Bob's honest lesson: started, a step, an answer, a check, finished."""
    return [
        rec("bob", "LessonStarted", 1, lesson_id="upgrade", title="Upgrade"),
        rec("bob", "StepStarted", 2, index=4, title="Stop A"),
        rec("bob", "PredictionLocked", 3, index=4, answer=1),
        rec(
            "bob",
            "PredictionJudged",
            4,
            index=4,
            answer=1,
            question="Q?",
            answers=["a", "b"],
            measured="2 s",
            value=2.0,
            matched=True,
        ),
        rec(
            "bob",
            "CheckResult",
            5,
            index=4,
            description="gap",
            ok=True,
            final=True,
            observation="2 s",
            figure=2.0,
        ),
        rec("bob", "LessonFinished", 6, lesson_id="upgrade", ok=True),
    ]


def snapshot(state: RoomState, name: str):
    """Everything the board shows of one participant, and of the questions they answered."""
    who = copy.deepcopy(state.participants[name].__dict__)
    answers = {
        k: (q.locked.get(name), q.matched.get(name), q.measured.get(name))
        for k, q in state.questions.items()
        if name in q.locked or name in q.measured
    }
    return who, answers


def test_the_author_is_the_subjects_name_and_a_body_that_claims_another_is_refused():
    state = RoomState()
    state.take_all(bob_lesson())
    # Alice, from her own subject, claims to be bob and fails his lesson.
    state.take(
        subject("alice", "LessonFinished"),
        {"participant": "bob", "type": "LessonFinished", "at": 7, "id": "x", "ok": False},
    )
    assert state.participants["bob"].finished is True
    assert "alice" not in state.participants
    assert state.refused == {"it claims another author": 1}
    # A body with no participant at all is the subject's author's.
    state.take(subject("alice", "StepStarted"), {"type": "StepStarted", "at": 8, "index": 0,
                                                 "title": "mine", "id": "a1"})  # fmt: skip
    assert state.participants["alice"].step_title == "mine"


def test_only_the_instructors_subject_holds_reveals_or_says():
    state = RoomState()
    state.take_all(bob_lesson())
    forged = [
        (
            subject("alice", "Said"),
            {"participant": "_room", "type": "Said", "text": "go home", "at": 9, "id": "f1"},
        ),
        (subject("alice", "Held"), {"type": "Held", "lesson": "upgrade", "step": 0, "id": "f2"}),
        (
            subject("alice", "Revealed"),
            {"type": "Revealed", "lesson": "upgrade", "step": 4, "id": "f3"},
        ),
        # a kind under another subject's name
        (subject("alice", "StepStarted"), {"type": "Said", "text": "x", "id": "f4"}),
    ]
    state.take_all(forged)
    assert state.control.message == "" and state.control.holds == {}
    assert not state.questions[("upgrade", 4)].revealed
    assert state.refused_total == 4
    state.take(subject("_room", "Said"), {"type": "Said", "text": "lunch", "at": 10, "id": "i"})
    state.take(subject("_room", "Revealed"), {"type": "Revealed", "lesson": "upgrade",
                                              "step": 4, "id": "r"})  # fmt: skip
    assert state.control.message == "lunch"
    assert state.questions[("upgrade", 4)].revealed


def test_one_authors_id_cannot_pre_empt_anothers():
    """Alice stores records with bob's next ids on her own subject: bob's still count."""
    state = RoomState()
    for _, body in bob_lesson():
        state.take(subject("alice", body["type"]), {**body, "participant": None})
    state.take_all(bob_lesson())
    assert state.participants["bob"].finished is True
    assert state.participants["bob"].passed == 1


def test_records_beyond_the_bounds_are_refused_not_folded():
    state = RoomState()
    huge = "x" * 100_000
    bad = [
        (subject("bob", "StepStarted"), {"type": "StepStarted", "title": huge, "id": "1"}),
        (subject("bob", "StepStarted"), {"type": "StepStarted", "index": -1, "id": "2"}),
        (subject("bob", "CheckResult"), {"type": "CheckResult", "figure": "nan", "id": "3"}),
        (subject("bob", "CheckResult"), {"type": "CheckResult", "at": math.inf, "id": "4"}),
        (
            subject("bob", "PredictionJudged"),
            {"type": "PredictionJudged", "answers": ["a"] * 500, "id": "5"},
        ),
        (subject("bob", "StepStarted"), b"[" * 5000),
        (subject("bob", "StepStarted"), b"\xff\xfe"),
        (subject("bob", "StepStarted"), b"[1, 2]"),
        ("natslab.demo.p.bob", b"{}"),
        ("natslab.demo.p.b.o.b.StepStarted", b"{}"),
        ("natslab.demo.p.-bob.StepStarted", b"{}"),
    ]
    state.take_all(bad)
    assert state.participants == {}
    assert state.refused_total == len(bad)


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4)
    ),
    max_leaves=12,
)
KINDS = st.sampled_from([*records.PARTICIPANT_KINDS, *records.INSTRUCTOR_KINDS, "State", "x"])
FIELDS = st.sampled_from(["participant", "type", "at", "id", "index", "step", "title", "ok",
                          "answer", "answers", "lesson", "lesson_id", "figure", "value",
                          "matched", "final", "retry", "text", "checks", "duration"])  # fmt: skip


@st.composite
def hostile(draw):
    """A message alice (or anyone) could store: her subject or a made-up one, any body."""
    kind = draw(KINDS)
    where = draw(st.sampled_from([subject("alice", kind), subject("_room", kind),
                                  draw(st.text(max_size=40))]))  # fmt: skip
    body = draw(st.dictionaries(FIELDS, JSONISH, max_size=8))
    if draw(st.booleans()):
        body["type"] = kind
    raw = draw(st.sampled_from(["dict", "bytes", "garbage"]))
    if raw == "bytes":
        return where, json.dumps(body, default=str).encode()
    if raw == "garbage":
        return where, draw(st.binary(max_size=60))
    return where, body


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(hostile(), max_size=25))
def test_hostile_records_never_raise_and_never_touch_another_row(messages):
    """Whatever alice stores, interleaved with bob's lesson: folding never raises, bob's row
    and answers are what his own records make them, and the instructor's state is untouched
    by anything on a participant's subject."""
    honest = RoomState()
    honest.take_all(bob_lesson())
    mixed = RoomState()
    bob = bob_lesson()
    for n, message in enumerate(messages):
        if n < len(bob):
            mixed.take(*bob[n])
        if message[0].startswith(f"natslab.{ROOM}.p._room."):
            continue  # the server lets no participant publish there
        mixed.take(*message)
    mixed.take_all(bob[len(messages) :])
    assert snapshot(mixed, "bob") == snapshot(honest, "bob")
    assert mixed.control.message == "" and mixed.control.holds == {}
    assert all(not q.revealed for q in mixed.questions.values())
    assert set(mixed.participants) <= {"bob", "alice"}
    # the board's views of the result do not raise either
    for who in mixed.participants.values():
        mixed.status(who, 100.0)
        mixed.stuck_because(who, 100.0)
    mixed.queue(100.0)


def test_the_spreadsheet_export_names_the_subjects_author_and_defuses_formulas(tmp_path):
    import csv
    import io

    stored = [
        Stored(1, subject("alice", "StepStarted"),
               {"participant": "bob", "type": "StepStarted", "title": "x", "id": "1"}),
        Stored(2, subject("alice", "CheckResult"),
               {"type": "CheckResult", "observation": "=HYPERLINK(\"x\")", "id": "2"}),
    ]  # fmt: skip
    out = io.StringIO()
    write_export(stored, "csv", out)
    rows = list(csv.reader(io.StringIO(out.getvalue())))
    assert len(rows) == 2  # the heading, and alice's own record: the forged one has no row
    assert rows[1][2] == "alice" and rows[1][-1] == '\'=HYPERLINK("x")'
