"""`natslab class board` through Pilot: two real participants' herd lessons in a real room,
the question sealed until `r`, and the reveal reaching the participants as an aggregate."""

import asyncio
import json
import os
import pathlib
import signal
import time

import pytest

from natslab.cluster.binary import find_binary
from natslab.room.instructor.feed import RoomFeed
from natslab.room.instructor.host import RoomHost
from natslab.room.participant import membership
from natslab.room.roster import RoomState
from natslab.tui.board import BoardApp
from tests.helpers import offsets_apart
from tests.test_class import natslab_in
from tests.test_watch import free_port
from tests.tui.pilot import wait_for


async def reporting(session, host, name: str, state_dir):
    """A participant joined to the room, their lab's events going up through an uplink."""
    from natslab.room.participant.reveal import crashed_servers
    from natslab.room.participant.uplink import Uplink

    member = await membership.join(host.join_line(), name)
    uplink = Uplink(member, session.run_dir.path.name, state_dir / "outbox.jsonl",
                    crashed=lambda: crashed_servers(session.state))  # fmt: skip
    session.bus.subscribe(uplink)
    uplink.start()
    return uplink


def cells(app, table_id: str) -> list[dict[str, str]]:
    """Each row of a board table by its column's heading (the columns' order is layout)."""
    table = app.query_one(f"#{table_id}")
    heads = [str(column.label) for column in table.columns.values()]
    return [dict(zip(heads, map(str, table.get_row_at(i)), strict=True))
            for i in range(table.row_count)]  # fmt: skip


@pytest.mark.slow(seconds=25)
async def test_three_participants_run_upgrade_and_the_board_follows_the_room(
    classroom, tmp_path, state_dir
):
    """Three real natslab participants run `upgrade` headless at once: the board shows each
    at its last step, the questions sealed, the figures' spread; `r` reveals a split, and
    the question's detail puts each answer beside what that participant's own run measured.
    The participants hear an aggregate, never anyone's own answer."""
    host, feed = classroom
    line = str(host.join_line())
    answers = {"ana": "1,2,1", "ben": "1,1,1", "cy": "2,2,-"}
    for name in answers:
        joined = await asyncio.to_thread(
            natslab_in, tmp_path / name, "class", "join", line, "--name", name
        )
        assert joined.returncode == 0, joined.stderr
    # A participant listening to the room's announcements, as ana's natslab does.
    ana = membership.Membership(
        **json.loads((tmp_path / "ana" / "room-membership.json").read_text())
    )
    heard: list[dict] = []
    nc = await membership.connect(ana)

    async def hear(msg):
        heard.append(json.loads(msg.data))

    await nc.subscribe("natslab.demo.announce.reveal.>", cb=hear)
    lesson = ("tutorial", "upgrade", "--headless", "--answers")
    offsets = offsets_apart(len(answers), "ABC")  # three lessons at once: blocks apart
    runs = await asyncio.gather(*(
        asyncio.to_thread(natslab_in, tmp_path / n, *lesson, a, "--port-offset", str(o))
        for (n, a), o in zip(answers.items(), offsets, strict=True)
    ))  # fmt: skip
    for run in runs:
        assert run.returncode == 0 and "Class: room demo: live." in run.stdout, run.stdout
    await feed.start()
    app = BoardApp(feed)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(pilot, lambda: [r["Status"] for r in cells(app, "roster")] == ["done"] * 3,
                       15, "three participants done")  # fmt: skip
        roster = cells(app, "roster")
        assert [r["Participant"] for r in roster] == ["ana", "ben", "cy"]
        assert all(r["Lesson"] == "upgrade" and r["Step"].startswith("9. ") for r in roster)
        questions = cells(app, "questions")
        assert [(q["Lesson"], q["Step"], q["Answered"]) for q in questions] == [
            ("upgrade", "4", "3 of 3"), ("upgrade", "5", "3 of 3"), ("upgrade", "6", "2 of 3")
        ]  # fmt: skip
        assert all(
            q["Split"] == "sealed (r reveals)" and q["Measured"] == "sealed" for q in questions
        )
        figures = {(f["Step"], f["Measurement"]): f for f in cells(app, "figures")}
        gaps = figures[("5", "measured: the gaps of every client")]
        assert gaps["Runs"] == "3"
        assert float(gaps["Low"]) <= float(gaps["Median"]) <= float(gaps["High"])
        await nc.flush()
        assert heard == []  # nothing reaches the room before the reveal
        # Sealed, the question's detail names who answered and nothing of what.
        app.query_one("#questions").focus()
        await pilot.press("down")
        app.redraw(force=True)  # the board redraws under the instructor's cursor …
        await pilot.pause()
        assert app.query_one("#questions").cursor_row == 1  # … which stays where it was
        await pilot.press("enter")
        sealed = str(app.screen.query_one("#detail").render())
        assert "Sealed: 3 of 3 answered (ana, ben, cy)" in sealed and "answered 2" not in sealed
        await pilot.press("escape", "r")
        await wait_for(
            pilot, lambda: "right" in cells(app, "questions")[1]["Split"], 10, "revealed"
        )
        judged = {n: feed.state.questions[("upgrade", 4)].matched[n] for n in answers}
        right = sum(judged.values())
        assert cells(app, "questions")[1]["Split"] == f"1: 1 · 2: 2 — {right} of 3 right"
        on_b = feed.state.questions[("upgrade", 4)].measured
        assert all(on_b[n].endswith("clients on B") or "on B" in on_b[n] for n in answers)
        await pilot.press("enter")
        detail = str(app.screen.query_one("#detail").render())
        for name, given in answers.items():
            first = given.split(",")[1]
            said = "right" if judged[name] else "wrong"
            assert f"{name}: answered {first}." in detail and f"({said})" in detail
            assert f"their run: {on_b[name]}" in detail
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(heard) == 1, 10, "the aggregate reached ana")
        assert heard[0]["split"] == {"1": 1, "2": 2} and heard[0]["right"] == right
        assert len(heard[0]["values"]) == 3
        assert not any(n in json.dumps(heard[0]) for n in answers)  # nobody's own answer
    await nc.close()
    await class_report_of_the_room(feed, answers, tmp_path, state_dir)


async def class_report_of_the_room(feed, answers, tmp_path, state_dir):
    """After the class: a board started afresh rebuilds the room, reveal included, from the
    stream; the export and the stream make the same report page."""
    again = RoomFeed("demo")
    await again.start()
    try:
        for _ in range(250):
            if again.state.events == feed.state.events:
                break
            await asyncio.sleep(0.02)
        assert again.state.events == feed.state.events
        assert [k for k, q in again.state.questions.items() if q.revealed] == [("upgrade", 4)]
    finally:
        await again.close()
    export = tmp_path / "room.jsonl"
    out = await asyncio.to_thread(
        natslab_in, state_dir, "class", "export", "demo", "--format", "jsonl", "--output",
        str(export),
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    ends = [json.loads(line)["record"] for line in export.read_text().splitlines()]
    ends = [r for r in ends if r["type"] == "LessonFinished"]
    assert len(ends) == 3 and all("nats-server 2." in r["versions"] for r in ends)
    pages = []
    for source in (str(export), "demo"):
        made = await asyncio.to_thread(natslab_in, state_dir, "report", "--class", source)
        assert made.returncode == 0, made.stderr
        page = pathlib.Path(made.stdout.strip().splitlines()[-1])
        assert page.name == "class-demo.html"
        pages.append(page.read_text())
        markdown = page.with_suffix(".md").read_text()
    assert pages[0] == pages[1]
    assert "3 participants, 3 finished their lesson" in pages[0]
    for name, given in answers.items():
        first = given.split(",")[1]
        assert f"| {name} | {first}. " in markdown  # their answer, beside their own figure
    assert "measured: the gaps of every client" in markdown
    assert markdown.count("(Not revealed to the room during the class.)") == 2


def record(who, kind, at, **fields):
    """A stored message as the room keeps it: its subject (who), and the record."""
    body = {"participant": who, "type": kind, "at": at, "id": f"{who}:{kind}:{at}", **fields}
    return f"natslab.demo.p.{who}.{kind}", body


def test_stuck_is_read_from_the_lab_itself():
    """A step retried twice, a step taking far longer than the room's median, and silence
    while a step runs: each flags a participant as stuck, and stuck sorts first."""
    room = RoomState()
    for who in ("ana", "ben", "cy", "dee"):
        room.take(*record(who, "LessonStarted", 0, lesson_id="upgrade", title="Upgrade"))
        room.take(*record(who, "StepStarted", 1, index=0, title="A and B"))
    room.take(*record("ana", "StepFinished", 11, index=0, ok=True, duration=10.0))
    room.take(*record("ana", "StepStarted", 12, index=1, title="next"))
    for at in (20, 30):  # ben retries step 1 twice
        room.take(*record("ben", "StepStarted", at, index=0, title="A and B", retry=True))
    room.take(*record("dee", "CheckResult", 95, index=0, final=True, ok=False))
    now = 100.0
    assert room.stuck_because(room.participants["ana"], now) == ""
    assert room.stuck_because(room.participants["ben"], now) == "step 1 retried 2 times"
    assert room.stuck_because(room.participants["dee"], now) == (
        "99 s in step 1; the room's median is 10 s"
    )
    assert room.stuck_because(room.participants["cy"], 200.0) == "nothing for 199 s"
    assert room.stuck_because(room.participants["cy"], now).startswith("99 s in step 1")
    assert [w.name for w in room.queue(now)] == ["ben", "cy", "dee", "ana"]
    assert room.status(room.participants["ana"], now) == "working"
    room.take(*record("ben", "StepStarted", 30, index=0, title="A and B", retry=True))
    assert room.events == 4 * 2 + 2 + 2 + 1  # the repeated record counted once


ONE_STEP = {
    "id": "one",
    "title": "One step",
    "servers": ["A"],
    "steps": [
        {
            "title": "A alone",
            "actions": [{"type": "start_server", "server": "A", "routes": []}],
            "checks": [{"type": "server_ready", "server": "A"}],
        }
    ],
}


async def test_a_participant_asks_for_help_and_sees_a_reveal(session, classroom, state_dir):
    """In the participant's lab: the room's state on the action line, `h` putting them at the
    top of the instructor's board with their step's checks, and a reveal in the panel."""
    from natslab.lessons.model import Lesson
    from natslab.tui.app import NatsLabApp

    host, feed = classroom
    uplink = await reporting(session, host, "ana", state_dir)
    # A second step not taken yet: the lesson is still running while she asks.
    later = {"title": "Later", "checks": [{"type": "server_ready", "server": "A"}]}
    lesson = Lesson.model_validate({**ONE_STEP, "steps": [*ONE_STEP["steps"], later]})
    app = NatsLabApp(session, lesson.servers, lesson, room=uplink)
    await feed.start()
    async with app.run_test(size=(160, 45)) as pilot:
        line = app.query_one("#action")
        await wait_for(pilot, lambda: "room demo: live" in str(line.render()), 10, "live")
        # Its heartbeat reaches the instructor (outside the stream, by its own right).
        heard = lambda: feed.state.participants.get("ana")  # noqa: E731
        await wait_for(pilot, lambda: heard() is not None and heard().heard_at > 0, 10,
                       "ana's heartbeat")  # fmt: skip
        await pilot.press("n")
        await wait_for(pilot, lambda: app.runner.record.steps.get(0) is not None
                       and app.runner.record.steps[0].ok, 20, "step 1 passed")  # fmt: skip
        await pilot.press("h")
        await wait_for(pilot, lambda: "Help asked" in str(line.render()), 5, "help said")
        ana = lambda: feed.state.participants.get("ana")  # noqa: E731
        await wait_for(pilot, lambda: ana() is not None and ana().help is not None, 10,
                       "the help request on the board's model")  # fmt: skip
        assert feed.state.status(ana(), 0.0) == "asking for help"
        assert any("A is ready" in check for check in ana().help.checks)
        assert ana().help.versions and "A up" in ana().help.servers
        # The instructor reveals (an aggregate on the announcements): ana's panel shows it.
        aggregate = {"lesson": "one", "step": 0, "split": {"1": 2}, "right": 2,
                     "answered": 2, "measured": ["3 of 3"]}  # fmt: skip
        await feed.nc.publish("natslab.demo.announce.reveal.one.0", json.dumps(aggregate).encode())
        room = app.query_one("#room-reveal")
        await wait_for(pilot, lambda: "The room on step 1: 1: 2, 2 of 2 right" in
                       str(room.render()), 10, "the reveal in the panel")  # fmt: skip
        # A server of theirs crashes (SIGABRT: the Go runtime dumps and exits 2): the next
        # heartbeats say so, and once it has been down a while the board says why.
        os.kill(session.state.servers["A"].pid, signal.SIGABRT)
        await wait_for(pilot, lambda: "A" in ana().crashed, 15, "the crash in a heartbeat")
        since = ana().crashed["A"]
        assert feed.state.stuck_because(ana(), since + 5) == ""  # a moment: not yet a sign
        later = feed.state.stuck_because(ana(), since + 31)
        assert later == "server A crashed 31 s ago"
    await uplink.close()


def test_the_roster_counts_skips_and_who_did_the_hands_on():
    room = RoomState()
    room.take(*record("ana", "LessonStarted", 0, lesson_id="upgrade", title="Upgrade"))
    room.take(*record("ana", "ActionDone", 1, index=4, action="stop", ok=True, detail="",
                      hands_on="learner"))  # fmt: skip
    room.take(*record("ana", "ActionDone", 2, index=6, action="stop", ok=True, detail="",
                      hands_on="natslab"))  # fmt: skip
    room.take(*record("ana", "ActionDone", 3, index=7, action="start", ok=True, detail=""))
    room.take(*record("ana", "StepSkipped", 4, index=8, title="Turn off C"))
    ana = room.participants["ana"]
    assert (ana.by_hand, ana.handed, ana.skips) == (1, 1, 1)


def test_pairs_are_suggested_only_for_a_split_room():
    from natslab.room.roster import QuestionView, pairs

    question = QuestionView("herd", 2)
    # Each judged against their own run: 2 of 5 right is a split room.
    question.matched = {"ana": True, "ben": False, "cy": True, "dee": False, "eve": False}
    assert pairs(question) == [("ana", "ben"), ("cy", "dee")]
    question.matched = {"ana": True, "ben": True, "cy": True, "dee": False}  # 3 of 4: not split
    assert pairs(question) == []
    assert pairs(QuestionView("herd", 2)) == []  # not judged yet: no right answer known


def test_figures_spread_across_the_room_and_name_outliers_with_their_versions():
    """A check's figure from each run folds into the room's spread; a run far outside the
    others (Tukey's fences) is named with the versions it ran."""
    from natslab.room.roster import spread

    room = RoomState()
    gaps = {"ana": 0.015, "ben": 0.016, "cy": 0.014, "dee": 2.007, "eve": 0.015}
    for who, gap in gaps.items():
        room.take(*record(who, "LessonStarted", 0, lesson_id="upgrade", title="Upgrade"))
        room.take(*record(who, "CheckResult", 1, index=4, description="gaps", ok=True,
                          observation="…", final=True, figure=gap,
                          versions=f"nats-server 2.{10 if who == 'dee' else 11}.0"))  # fmt: skip
    room.take(
        *record(
            "fay",
            "CheckResult",
            1,
            index=4,
            description="gaps",
            ok=True,
            observation="…",
            final=False,
            figure=9.0,
        )
    )  # interim: not a figure
    numbers = spread(room.figures[("upgrade", 4, "gaps")])
    assert numbers is not None and numbers.runs == 5 and numbers.outliers == ("dee",)
    assert (numbers.low, numbers.median, numbers.high) == (0.014, 0.015, 2.007)
    assert room.participants["dee"].versions == "nats-server 2.10.0"
    assert spread({"ana": 1.0, "ben": 9.0, "cy": 1.0}).outliers == ()  # too few for quartiles
    assert spread({}) is None


def test_a_full_outbox_drops_the_oldest_and_counts_them(tmp_path, monkeypatch):
    from natslab.room.participant import uplink
    from natslab.room.participant.uplink import Outbox

    monkeypatch.setattr(uplink, "OUTBOX_LIMIT", 3)
    box = Outbox.load(tmp_path / "outbox.jsonl")
    for n in range(5):
        box.add({"id": str(n), "subject": "s", "record": {}})
    assert [e["id"] for e in box.waiting] == ["2", "3", "4"] and box.dropped == 2
    again = Outbox.load(tmp_path / "outbox.jsonl")  # a restarted natslab finds the same three
    assert [e["id"] for e in again.waiting] == ["2", "3", "4"]
    again.done(2)
    assert [e["id"] for e in Outbox.load(tmp_path / "outbox.jsonl").waiting] == ["4"]


def test_a_participant_gone_quiet_mid_lesson_is_offline_since_their_last_heartbeat():
    import time

    room = RoomState()
    room.take(*record("ana", "LessonStarted", 0, lesson_id="upgrade", title="Upgrade"))
    room.take(*record("ana", "StepStarted", 1, index=0, title="A and B"))
    room.heard("ana", 100.0)
    room.heard("ben", 100.0)  # natslab running, no lesson yet: merely joined
    ana = room.participants["ana"]
    assert room.status(ana, 110.0) == "working"
    since = time.strftime("%H:%M", time.localtime(100.0))
    assert room.status(ana, 130.0) == f"offline since {since}"
    assert room.status(room.participants["ben"], 130.0) == "joined"
    room.take(*record("ana", "LessonFinished", 131, lesson_id="upgrade", ok=True))
    assert room.status(ana, 500.0) == "done"  # a finished lesson is not missed


CANNOT_PASS = {
    "id": "cannot",
    "title": "A check that cannot pass",
    "servers": ["A", "B"],
    "steps": [
        {
            "title": "A alone, a client expected on B",
            "actions": [
                {"type": "start_server", "server": "A", "routes": []},
                {"type": "start_clients", "seeds": ["A"]},
            ],
            "checks": [{"type": "client_on", "servers": ["B"], "timeout": 1}],
        }
    ],
}


async def test_a_participant_stuck_on_a_check_that_cannot_pass_is_flagged(
    session, classroom, state_dir
):
    """A real participant's lab: the step fails, they retry it twice, and the instructor's
    board puts them first as stuck, with why."""
    from natslab.lessons.model import Lesson
    from natslab.tui.app import NatsLabApp

    host, feed = classroom
    uplink = await reporting(session, host, "cy", state_dir)
    app = NatsLabApp(session, ["A", "B"], Lesson.model_validate(CANNOT_PASS), room=uplink)
    await feed.start()
    board = BoardApp(feed)
    async with app.run_test(size=(160, 45)) as pilot:
        step = lambda: app.runner.record.steps.get(0)  # noqa: E731
        await pilot.press("n")
        await wait_for(pilot, lambda: step() is not None and step().ok is False, 20, "failed")
        for attempt in (1, 2):
            await pilot.press("r")
            await wait_for(pilot, lambda a=attempt: feed.state.participants.get("cy") and
                           feed.state.participants["cy"].step_retries == a, 20,
                           f"retry {attempt} on the board")  # fmt: skip
            await wait_for(pilot, lambda: step().ok is False, 20, "failed again")
    async with board.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: len(cells(board, "roster")) == 1, 10, "cy's row")
        (row,) = cells(board, "roster")
        assert row["Participant"] == "cy" and row["Status"] == "stuck: step 1 retried 2 times", row
        assert row["Checks ✓/✗"] == "0/3"  # the same check, failed three times
    await uplink.close()


async def test_at_80_by_24_the_board_shows_who_needs_help_and_the_split():
    """What the instructor acts on (status, the split, outliers) is in view without scrolling
    sideways on a small terminal; the long texts go last."""
    from types import SimpleNamespace

    room = RoomState()
    for who in ("ana", "ben", "cy", "dee"):
        room.take(*record(who, "LessonStarted", 0, lesson_id="upgrade", title="Upgrade"))
        room.take(*record(who, "StepStarted", 1, index=4, title="Stop A with Ctrl+C"))
        room.take(*record(who, "PredictionLocked", 2, index=4, answer=0))
        room.take(*record(who, "PredictionJudged", 2.5, index=4, answer=0, matched=True,
                          question="A stops with all 21 subscribers on it. How many of them "
                          "end up on B?", answers=["All", "Some"], measured="9 of 21"))  # fmt: skip
        gaps = "measured: the gaps of every client"
        room.take(*record(who, "CheckResult", 3, index=4, description=gaps, ok=True,
                          observation="…", final=True, figure=2.0))  # fmt: skip
    feed = SimpleNamespace(room="demo", state=room, revision=1, now=time.time,
                           unreachable=lambda: "", read_only="")  # fmt: skip
    app = BoardApp(feed)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for table_id, needed in (("roster", "Status"), ("questions", "Split"),
                                 ("figures", "Outliers")):  # fmt: skip
            table = app.query_one(f"#{table_id}")
            await wait_for(pilot, lambda t=table: t.row_count > 0, 5, f"{table_id} rows")
            right = 0
            for column in table.columns.values():
                right += column.get_render_width(table)
                if str(column.label) == needed:
                    break
            assert right <= table.scrollable_content_region.width, (table_id, right)


async def test_the_projector_names_nobody_and_shows_no_aggregate_over_fewer_than_five():
    """`p` (or --projector): the roster becomes counts per step, a question answered by
    fewer than five shows no split, a figure from fewer than five runs is not shown, outliers
    are counted, not named; `p` again brings the names back. A board started for the
    projector stays one, whatever is pressed."""
    from types import SimpleNamespace

    names = [f"p{n}" for n in range(7)] + ["quinn", "ray"]
    room = RoomState()
    for n, who in enumerate(names):
        at_five = n < 7
        room.take(*record(who, "LessonStarted", 0, lesson_id="upgrade", title="Upgrade"))
        room.take(*record(who, "StepStarted", 1, index=4 if at_five else 1,
                          title="Stop A" if at_five else "Start B"))  # fmt: skip
        index = 4 if at_five else 3
        room.take(*record(who, "PredictionLocked", 2, index=index, answer=n % 2))
        room.take(*record(who, "PredictionJudged", 3, index=index, answer=n % 2, question="Q?",
                          answers=["a", "b"], measured=f"{n} of 21", value=n,
                          matched=n % 2 == 1))  # fmt: skip
        room.take(*record(who, "CheckResult", 4, index=index, description=f"gaps {index}",
                          ok=True, observation="…", final=True,
                          figure=9.0 if who == "p6" else 1.0 + n / 100))  # fmt: skip
    for question in room.questions.values():
        question.revealed = True
    feed = SimpleNamespace(room="demo", state=room, revision=1, now=time.time,
                           unreachable=lambda: "", read_only="")  # fmt: skip

    def shown(app) -> str:
        parts = [str(app.query_one("#summary").render()), str(app.query_one("#pairs").render())]
        for table_id in ("roster", "questions", "figures"):
            parts += [" ".join(row.values()) for row in cells(app, table_id)]
        return "\n".join(parts)

    app = BoardApp(feed)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(cells(app, "roster")) == 9, 5, "the instructor's")
        await pilot.press("p")
        await wait_for(pilot, lambda: len(cells(app, "figures")) == 1, 5, "the tables")
        text = shown(app)
        assert not any(name in text.split() or f"{name} " in text for name in names), text
        (step,) = cells(app, "roster")  # quinn and ray's step has two: pooled, and too few
        assert (step["Step"], step["Participants"]) == ("5. Stop A", "7")
        by_step = {q["Step"]: q for q in cells(app, "questions")}
        assert by_step["4"]["Answered"] == "fewer than 5 so far"
        assert by_step["4"]["Split"] == "fewer than 5 answers: not shown"
        assert by_step["5"]["Split"] == "1: 4 · 2: 3 — 3 of 7 right"
        (figure,) = cells(app, "figures")  # the 2-run figure is not shown
        assert figure["Runs"] == "7" and figure["Outliers"] == "1"  # p6, counted
        await pilot.press("p")
        await wait_for(pilot, lambda: len(cells(app, "roster")) == 9, 5, "names back")
        assert "p6 9 (" not in shown(app) and "p6 9" in shown(app)

    projector = BoardApp(feed, projector=True)
    async with projector.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(cells(projector, "figures")) == 1, 5, "the tables")
        for key in ("p", "enter", "escape", "p", "down", "enter"):
            await pilot.press(key)
        await pilot.pause()
        text = shown(projector)
        assert not any(name in text.split() or f"{name} " in text for name in names), text
        assert len(cells(projector, "roster")) == 1 and not projector.screen_stack[1:]
        assert any("never shows names" in str(n.message) for n in projector._notifications)


async def test_the_instructor_holds_releases_and_speaks_to_the_room(session, classroom, state_dir):
    """`class hold` stops a participant's n at that step, with who holds it; two boards
    holding at once change nothing more; a release lets the step run; a message reaches the
    lesson panel; a participant joining later gets the state from the room's announcements."""
    from natslab.lessons.model import Lesson
    from natslab.tui.app import NatsLabApp

    host, feed = classroom
    uplink = await reporting(session, host, "ana", state_dir)
    lesson = Lesson.model_validate(ONE_STEP)
    app = NatsLabApp(session, lesson.servers, lesson, room=uplink)
    await feed.start()
    second = RoomFeed("demo")  # a co-instructor's board
    await second.start()
    notes = lambda: [str(n.message) for n in app._notifications]  # noqa: E731
    try:
        async with app.run_test(size=(160, 45)) as pilot:
            line = app.query_one("#action")
            await wait_for(pilot, lambda: "room demo: live" in str(line.render()), 10, "live")
            held = await asyncio.to_thread(natslab_in, state_dir, "class", "hold", "demo",
                                           "one", "1")  # fmt: skip
            assert held.returncode == 0 and "held at step 1 of one" in held.stdout, held.stderr
            await wait_for(pilot, lambda: uplink.control.holds == {"one": 0}, 10, "the hold")
            await wait_for(pilot, lambda: "held at step 1" in str(line.render()), 5,
                           "the hold on the action line")  # fmt: skip
            await pilot.press("n")
            await wait_for(pilot, lambda: any("holds the room at step 1" in n for n in notes()),
                           5, "the hold said")  # fmt: skip
            assert not app.runner.progress.running and app.runner.record.steps == {}
            # Both boards hold the same step at once: the same state, on both and for ana.
            await asyncio.gather(feed.control("Held", lesson="one", step=0),
                                 second.control("Held", lesson="one", step=0))  # fmt: skip
            await wait_for(pilot, lambda: feed.state.control.holds == second.state.control.holds
                           == {"one": 0}, 10, "both boards agree")  # fmt: skip
            await second.control("Released", lesson="one")
            await wait_for(pilot, lambda: uplink.control.holds == {}, 10, "the release")
            await wait_for(pilot, lambda: feed.state.control.holds == {}, 10, "board 1 too")
            await pilot.press("n")
            await wait_for(pilot, lambda: app.runner.record.steps.get(0) is not None
                           and app.runner.record.steps[0].ok, 20, "step 1 ran")  # fmt: skip
            said = await asyncio.to_thread(natslab_in, state_dir, "class", "say", "demo",
                                           "Break until 11:00")  # fmt: skip
            assert said.returncode == 0, said.stderr
            panel = app.query_one("#room-reveal")
            await wait_for(pilot, lambda: "The instructor: Break until 11:00" in
                           str(panel.render()), 10, "the message in the panel")  # fmt: skip
        # Joining after all that: the room's own announcements bring the state.
        late = await reporting(session, host, "ben", state_dir.parent / "ben")
        for _ in range(400):
            if late.control.message:
                break
            await asyncio.sleep(0.05)
        assert late.control.message == "Break until 11:00" and late.control.holds == {}
        await late.close()
    finally:
        await second.close()
        await uplink.close()


async def test_a_replay_plays_an_exported_room_back_on_the_board(tmp_path):
    """At ten times the pace, the board fills as the room did, a reveal recorded in class is
    shown as revealed, and the instructor's keys that would reach a room say they cannot."""
    from natslab.room.instructor.replay import ReplayFeed

    lines = []
    for n, who in enumerate(("ana", "ben", "cy")):
        lines += [record(who, "LessonStarted", 100 + n, lesson_id="herd", title="Herd"),
                  record(who, "StepStarted", 101 + n, index=2, title="Spread"),
                  record(who, "PredictionJudged", 102 + n, index=2, question="How many on B?",
                         answers=["All", "Some"], answer=n % 2, measured="30 of 60",
                         value=30, matched=n % 2 == 1),
                  record(who, "LessonFinished", 103 + n, lesson_id="herd", ok=True,
                         failed_step=None, duration=3.0)]  # fmt: skip
    lines.append(record("_room", "Revealed", 106, lesson="herd", step=2))
    export = tmp_path / "room.jsonl"
    export.write_text("".join(
        json.dumps({"seq": i + 1, "subject": subject, "record": r}) + "\n"
        for i, (subject, r) in enumerate(lines)
    ))  # fmt: skip
    feed = ReplayFeed.from_export(export, speed=10)
    await feed.start()
    app = BoardApp(feed)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: feed.finished, 10, "the replay to end")
            await wait_for(pilot, lambda: [r["Status"] for r in cells(app, "roster")]
                           == ["done"] * 3, 5, "three done")  # fmt: skip
            split = "1: 2 · 2: 1 — 1 of 3 right"  # revealed in class
            await wait_for(pilot, lambda: cells(app, "questions")[0]["Split"] == split, 5,
                           "the reveal made in class")  # fmt: skip
            assert feed.now() == 106.0  # the board's clock is the recording's
            await pilot.press("w")
            await wait_for(pilot, lambda: any("A replay holds" in str(n.message)
                           for n in app._notifications), 5, "no hold from a replay")  # fmt: skip
    finally:
        await feed.close()


async def test_a_tracks_board_shows_every_room_and_only_reads(state_dir):
    """Two rooms on one board: each participant as room/name (the same pseudonym in both
    rooms stays two people), the questions across the track; reveal and hold stay with each
    room's own board."""
    from natslab.room.instructor.stream import connect_instructor
    from natslab.room.instructor.track import TrackFeed

    hosts = [RoomHost.create(room, "127.0.0.1", free_port(), find_binary())
             for room in ("demo", "other")]  # fmt: skip
    for host in hosts:
        await host.start()
    track = TrackFeed(["demo", "other"])
    try:
        for room, answer in (("demo", 0), ("other", 1)):
            nc = await connect_instructor(room, allow_reconnect=False)
            js = nc.jetstream()
            for kind, fields in (
                ("LessonStarted", {"lesson_id": "herd", "title": "Herd"}),
                ("StepStarted", {"index": 2, "title": "Spread"}),
                ("PredictionLocked", {"index": 2, "answer": answer}),
            ):
                data = json.dumps(record("ana", kind, 1.0, **fields)[1]).encode()
                await js.publish(f"natslab.{room}.p.ana.{kind}", data)
            await nc.close()
        await track.start()
        app = BoardApp(track)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: len(cells(app, "roster")) == 2, 10, "both rooms")
            assert [r["Participant"] for r in cells(app, "roster")] == ["demo/ana", "other/ana"]
            (question,) = cells(app, "questions")
            assert question["Answered"] == "2 of 2"  # the track's question, across its rooms
            await pilot.press("r")
            await wait_for(pilot, lambda: any("Reveal from the room's own board" in
                           str(n.message) for n in app._notifications), 5, "no reveal")  # fmt: skip
            await pilot.press("w")
            await wait_for(pilot, lambda: any("Hold and release from the room's own board" in
                           str(n.message) for n in app._notifications), 5, "no hold")  # fmt: skip
    finally:
        await track.close()
        for host in hosts:
            await host.stop()


async def test_two_boards_revealing_at_once_reveal_once(classroom, state_dir):
    """Two instructors press r on the same question together: the room's stream keeps one
    reveal, both boards show it revealed, and the room hears the same aggregate."""
    from natslab.room.instructor.stream import connect_instructor, read_room

    _host, feed = classroom
    nc = await connect_instructor("demo", allow_reconnect=False)
    js = nc.jetstream()
    for n, who in enumerate(("ana", "ben", "cy")):
        for kind, fields in (
            ("LessonStarted", {"lesson_id": "herd", "title": "Herd"}),
            ("PredictionLocked", {"index": 2, "answer": n % 2}),
            ("PredictionJudged", {"index": 2, "answer": n % 2, "question": "Q?",
                                  "answers": ["a", "b"], "measured": "30 of 60", "value": 30,
                                  "matched": n % 2 == 1}),
        ):  # fmt: skip
            subject, body = record(who, kind, 1.0 + n, **fields)
            await js.publish(subject, json.dumps(body).encode())
    heard: list[dict] = []

    async def hear(msg):
        heard.append(json.loads(msg.data))

    await nc.subscribe("natslab.demo.announce.reveal.>", cb=hear)
    second = RoomFeed("demo")
    await asyncio.gather(feed.start(), second.start())
    try:
        for board in (feed, second):
            for _ in range(200):
                if ("herd", 2) in board.state.questions and board.state.questions[
                    ("herd", 2)
                ].matched.keys() == {"ana", "ben", "cy"}:
                    break
                await asyncio.sleep(0.02)
        first, other = await asyncio.gather(feed.reveal("herd", 2), second.reveal("herd", 2))
        assert first == other and first["right"] == 1 and first["answered"] == 3
        await nc.flush()
        for _ in range(200):
            if len(heard) == 2:
                break
            await asyncio.sleep(0.02)
        assert heard == [first, first]  # the same aggregate, from either board
        stored = await read_room("demo")
        assert sum(1 for item in stored if item.record["type"] == "Revealed") == 1
        assert feed.state.questions[("herd", 2)].revealed
        assert second.state.questions[("herd", 2)].revealed
    finally:
        await second.close()
        await nc.close()


async def test_the_instructors_words_reach_a_tui_participant_as_written(
    session, classroom, state_dir
):
    """`class say` with markup in it ("see chapter [/] appendix", "Press [n]"): the
    participant's lab shows each as written, and goes on running (it crashed, and crashed
    again at every beacon, when the text was read as markup)."""
    from natslab.lessons.model import Lesson
    from natslab.tui.app import NatsLabApp

    host, feed = classroom
    uplink = await reporting(session, host, "ana", state_dir)
    lesson = Lesson.model_validate(ONE_STEP)
    app = NatsLabApp(session, lesson.servers, lesson, room=uplink)
    await feed.start()
    # Toasts drawn, as in a terminal (run_test leaves them out unless asked).
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        line = app.query_one("#action")
        await wait_for(pilot, lambda: "room demo: live" in str(line.render()), 10, "live")
        panel = app.query_one("#room-reveal")
        for said in ("see chapter [/] appendix", "Press [n] then [@click=app.quit]q[/]"):
            await feed.control("Said", text=said)
            await wait_for(pilot, lambda s=said: f"The instructor: {s}" in str(panel.render()),
                           10, f"{said!r} in the lesson panel")  # fmt: skip
            assert any(n.message == said for n in app._notifications)
            # Readable at 120×40: the line is on screen, not scrolled away or squeezed out.
            region = panel.region
            assert region.height > 0 and app.screen.region.contains_region(region)
            assert app.screen.get_widget_at(region.x + 1, region.y)[0] is panel
        await pilot.pause(0.5)
        assert app.is_running
    await uplink.close()


MINI = """
id = "mini"
title = "Mini: one question"
servers = ["A"]

[[steps]]
title = "A alone"
[[steps.actions]]
type = "start_server"
server = "A"
routes = []
[[steps.checks]]
type = "server_ready"
server = "A"

[[steps]]
title = "Three subscribers"
[steps.predict]
question = "How many of the three subscribers will be on A?"
answers = [{ text = "All three", at_least = 3 }, { text = "Fewer", below = 3 }]
judge = { type = "clients_on", clients = "sub-*", server = "A" }
[[steps.actions]]
type = "start_clients"
count = 3
prefix = "sub"
seeds = ["A"]
[[steps.checks]]
type = "client_on"
clients = "sub-*"
servers = ["A"]
"""


async def test_a_tui_participant_is_seen_like_the_headless_ones(classroom, tmp_path, state_dir):
    """Three participants, one at the keys of the real TUI and two headless: the board shows
    all three done, the TUI one's answer in the lesson's question beside the others', and
    the reveal reaches the TUI participant's panel (the TUI never recorded the lesson's
    start and finish, so it stayed '-' and never done)."""
    from natslab.lab.local import open_lab
    from natslab.lab.settings import RunSettings
    from natslab.lessons.model import load_lesson
    from natslab.tui.app import NatsLabApp

    host, feed = classroom
    lesson_file = tmp_path / "mini.toml"
    lesson_file.write_text(MINI)
    offsets = offsets_apart(3, "A")
    line = str(host.join_line())
    for name in ("ben", "cy"):
        joined = await asyncio.to_thread(natslab_in, tmp_path / name, "class", "join", line,
                                         "--name", name)  # fmt: skip
        assert joined.returncode == 0, joined.stderr
    runs = asyncio.gather(*(
        asyncio.to_thread(natslab_in, tmp_path / name, "tutorial", str(lesson_file),
                          "--headless", "--answers", answer, "--port-offset", str(offset))
        for name, answer, offset in (("ben", "1", offsets[0]), ("cy", "2", offsets[1]))
    ))  # fmt: skip
    session = open_lab(settings=RunSettings(offset=offsets[2]))
    uplink = await reporting(session, host, "ana", state_dir)
    lesson = load_lesson(lesson_file)
    app = NatsLabApp(session, lesson.servers, lesson, room=uplink)
    await feed.start()
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("n")
            await wait_for(pilot, lambda: app.runner.progress.next_index == 1, 30, "step 1")
            await pilot.press("1")  # the answer locks and the step runs
            await wait_for(pilot, lambda: app.runner.finished, 30, "the lesson finished")
            for run in await runs:
                assert run.returncode == 0, run.stdout + run.stderr
            who = feed.state.participants
            await wait_for(pilot, lambda: {n: feed.state.status(w, 0) for n, w in who.items()}
                           == dict.fromkeys(("ana", "ben", "cy"), "done"), 20,
                           "all three done on the board")  # fmt: skip
            assert {w.lesson for w in who.values()} == {"mini"}
            question = feed.state.questions[("mini", 1)]
            assert question.locked == {"ana": 0, "ben": 0, "cy": 1}
            assert question.matched == {"ana": True, "ben": True, "cy": False}
            await feed.reveal("mini", 1)
            panel = app.query_one("#room-reveal")
            await wait_for(pilot, lambda: "The room on step 2: 1: 2 · 2: 1, 2 of 3 right" in
                           str(panel.render()), 10, "the reveal in ana's panel")  # fmt: skip
            await pilot.pause()
            region = panel.region  # on screen at 120×40, where she reads it
            assert region.height > 0 and app.screen.region.contains_region(region)
            assert app.screen.get_widget_at(region.x + 1, region.y)[0] is panel
    finally:
        await uplink.close()
        await session.close()
    # Her run reads as a headless one does: `natslab runs`, and the report's ending.
    from natslab.present.report_model import build
    from natslab.present.runs import describe

    said = describe(session.run_dir.path)
    assert said.what == "tutorial mini" and said.outcome.startswith("2/2 steps passed, 1/1")
    assert build(session.run_dir.path, with_logs=False).lesson_ok is True


async def test_the_board_says_when_the_room_is_unreachable_and_comes_back(classroom, state_dir):
    """The room's server killed: the board's summary says since when the room is
    unreachable; the room opened again on its address: the board says nothing more of it."""
    host, feed = classroom
    await feed.start()
    app = BoardApp(feed)
    again = None
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            summary = app.query_one("#summary")
            await host.process.kill()
            await wait_for(pilot, lambda: "room unreachable since" in str(summary.render()), 15,
                           "the board saying the room is away")  # fmt: skip
            await host.stop()
            again = RoomHost.create("demo", host.config.host, host.config.port, find_binary())
            await again.start()
            await wait_for(pilot, lambda: "unreachable" not in str(summary.render()), 30,
                           "the board back by itself")  # fmt: skip
    finally:
        if again is not None:
            await again.stop()


async def test_the_board_names_the_rooms_course_and_how_far_along_each_one_is():
    """The course's title is the instructor's text, shown as written (never markup); each
    participant's lesson shows how many of the course's lessons they have passed."""
    from types import SimpleNamespace

    room = RoomState()
    room.take(*record("_room", "Course", 0, course="operations", title="[b]Ops[/b] day",
                      lessons=["auth", "config-reload"]))  # fmt: skip
    for who, ok in (("ana", True), ("ben", False)):
        room.take(*record(who, "LessonStarted", 1, lesson_id="auth", title="Auth"))
        room.take(*record(who, "LessonFinished", 2, lesson_id="auth", ok=ok))
    room.take(*record("ana", "LessonStarted", 3, lesson_id="herd", title="Herd"))
    room.take(*record("ana", "LessonFinished", 4, lesson_id="herd", ok=True))  # not the course's
    feed = SimpleNamespace(room="demo", state=room, revision=1, now=time.time,
                           unreachable=lambda: "", read_only="")  # fmt: skip
    app = BoardApp(feed)
    async with app.run_test(size=(120, 30)) as pilot:
        await wait_for(pilot, lambda: len(cells(app, "roster")) == 2, 5, "two rows")
        lessons = {row["Participant"]: row["Lesson"] for row in cells(app, "roster")}
        assert lessons == {"ana": "herd · course 1/2", "ben": "auth · course 0/2"}
        summary = str(app.query_one("#summary").render())
        assert "course operations ([b]Ops[/b] day, 2 lessons)" in summary
