"""The room's edge: every stored message read through one schema, its author taken from the
subject the server authenticated. Hostile and arbitrary records never raise, and never let
one author change another's row or speak for the instructor."""

import copy
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natslab.room import records
from natslab.room.instructor.exported import write_export
from natslab.room.instructor.stream import Stored
from natslab.room.roster import RoomState

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
                          "matched", "final", "retry", "text", "checks", "duration",
                          "course", "lessons"])  # fmt: skip


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


@pytest.mark.slow
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


def test_what_a_participant_writes_cannot_escape_to_a_terminal_or_overflow_a_spread():
    """An escape sequence in a title arrives without its ESC (it rewrote the instructor's
    screen, and through a reveal every participant's); a figure beyond any real one is
    refused (two of 1.7e308 overflowed the median, and every board then died on start)."""
    from natslab.room.instructor.board_rows import figure_rows

    state = RoomState()
    state.take(*rec("eve", "StepStarted", 1, index=0, title="\x1b[1A\x1b[2Kdone\u202e"))
    assert state.participants["eve"].step_title == "?[1A?[2Kdone?"
    for who in ("eve", "eva"):
        state.take(*rec(who, "LessonStarted", 2, lesson_id="x"))
        state.take(*rec(who, "CheckResult", 3, index=0, description="gap", ok=True, final=True,
                        figure=1.7e308))  # fmt: skip
        state.take(*rec(who, "CheckResult", 4, index=0, description="big", ok=True, final=True,
                        figure=1e12))  # fmt: skip
    assert state.refused == {"does not fit the schema": 2}
    assert [row[1][2:6] for row in figure_rows(state)] == [["2", *["1000000000000"] * 3]]


def test_one_voice_each_for_the_rooms_median_and_a_questions_wording():
    """eve sends a thousand 0-second finishes of a step, and words a question her own way
    last: the room's median is the participants' (ana is not made 'stuck'), and the question
    reads as most participants sent it."""
    state = RoomState()
    for who in ("ana", "ben", "cy", "eve"):
        state.take(*rec(who, "LessonStarted", 0, lesson_id="upgrade"))
    state.take(*rec("ana", "StepStarted", 1, index=2, title="C"))
    for who in ("ben", "cy"):
        state.take(*rec(who, "StepFinished", 60, index=2, ok=True, duration=50.0))
        state.take(*rec(who, "PredictionJudged", 61, index=2, question="How many?",
                        answers=["some", "all"], answer=0, measured="3", matched=True))  # fmt: skip
    for n in range(1000):
        body = {"type": "StepFinished", "index": 2, "ok": True, "duration": 0.0, "id": f"f{n}"}
        state.take(subject("eve", "StepFinished"), body)
    state.take(*rec("eve", "PredictionJudged", 62, index=2, question="Did you copy?",
                    answers=["yes", "no"], answer=0, measured="3", matched=True))  # fmt: skip
    assert state.stuck_because(state.participants["ana"], 101.0) == ""  # 100 s of a 50 s step
    question = state.questions[("upgrade", 2)]
    assert (question.text, question.answers) == ("How many?", ("some", "all"))


def test_the_class_reports_markdown_keeps_each_participants_text_in_its_cell(state_dir):
    from natslab.present import class_report

    forged = "x |\n| alice | herd | failed (cheated) |\n<img src=x onerror=alert(1)>"
    stored = [rec("eve", "LessonStarted", 1, lesson_id="herd"),
              rec("eve", "StepStarted", 2, index=0, title="t"),
              rec("eve", "HelpRequested", 3, index=0, servers=forged, versions=forged)]  # fmt: skip
    _, md_path = class_report.write(class_report.build("demo", stored))
    markdown = md_path.read_text()
    assert "<img" not in markdown
    assert not [line for line in markdown.splitlines() if line.startswith("| alice")]


def test_the_board_the_roster_command_and_the_report_draw_one_roster(state_dir):
    """One model, three drawings: the board's rows, `class roster`'s table and the room's
    report show the same columns and cells for each participant (the report adds what each
    ran with, and says how each one's lesson ended)."""
    import re

    from natslab.present import class_report
    from natslab.room.instructor.board_rows import ROSTER_COLUMNS, roster_lines, roster_rows

    stored = [*bob_lesson(), rec("cy", "Joined", 1.5)]
    state = RoomState()
    state.take_all(stored)
    board = dict(roster_rows(state, now=10))
    assert set(board) == {"bob", "cy"}
    assert [line.cells() for line in roster_lines(state, 10)] == [board[n] for n in board]
    report = class_report.build(ROOM, stored)
    html_path, md_path = class_report.write(report)
    page = html_path.read_text()
    table = page.split('<table class="participants">')[1].split("</table>")[0]
    assert re.findall(r"<th>(.*?)</th>", table) == [*ROSTER_COLUMNS, "Ran with"]
    ended = {line.name: line for line in roster_lines(state, report.last, ended=True)}
    assert ended["bob"].status == "done" and ended["cy"].status == "joined, no step run"
    for name, line in ended.items():
        row = table.split(f"<td>{name}</td>")[1].split("</tr>")[0]
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        assert cells == [*line.cells()[1:], line.versions], (name, cells)
    assert f"| {' | '.join(ROSTER_COLUMNS)} | Ran with |" in md_path.read_text()


def test_only_the_instructor_gives_the_room_a_course_and_the_latest_one_counts(state_dir):
    from natslab.room.instructor.board_rows import roster_lines

    stored = [
        rec("_room", "Course", 0.5, course="upgrades", title="Up", lessons=["upgrade"]),
        rec("_room", "Course", 0.6, course="operations", title="Ops",
            lessons=["upgrade", "config-reload"]),
        rec("bob", "Course", 0.7, course="mine", title="Mine", lessons=["herd"]),
        *bob_lesson(),
    ]  # fmt: skip
    state = RoomState()
    state.take_all(stored)
    assert state.refused == {"a kind its author may not send": 1}
    assert state.courses_text() == "course operations (Ops, 2 lessons)"
    (bob,) = roster_lines(state, 10)
    assert bob.lesson == "upgrade · course 1/2"
    from natslab.present import class_report

    html_path, md_path = class_report.write(class_report.build(ROOM, stored))
    said = "The room followed course operations (Ops, 2 lessons)."
    assert said in md_path.read_text() and said in html_path.read_text()
