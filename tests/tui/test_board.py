"""`natslab class board` through Pilot: two real participants' herd lessons in a real room,
the question sealed until `r`, and the reveal reaching the participants as an aggregate."""

import asyncio
import json

from natslab.cluster.binary import find_binary
from natslab.room import membership
from natslab.room.feed import RoomFeed
from natslab.room.host import RoomHost
from natslab.room.roster import RoomState
from natslab.tui.board import BoardApp
from tests.test_class import natslab_in
from tests.test_watch import free_port
from tests.tui.pilot import wait_for


def cells(app, table_id: str) -> list[list[str]]:
    table = app.query_one(f"#{table_id}")
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_board_shows_the_room_and_reveals_a_question(state_dir, tmp_path):
    host = RoomHost.create("demo", "127.0.0.1", free_port(), find_binary())
    await host.start()
    feed = RoomFeed("demo")
    try:
        line = str(host.join_line())
        for name, answer in (("ana", "1"), ("ben", "2")):
            home = tmp_path / name
            joined = await asyncio.to_thread(
                natslab_in, home, "class", "join", line, "--name", name
            )
            assert joined.returncode == 0, joined.stderr
            lesson = ("tutorial", "herd", "--headless", "--port-offset", "auto", "--answers")
            done = await asyncio.to_thread(natslab_in, home, *lesson, answer)
            assert "Class: room demo: live." in done.stdout, done.stdout
        # A participant listening to the room's announcements, as ana's natslab may.
        ana = membership.Membership(
            **json.loads((tmp_path / "ana" / "room-membership.json").read_text())
        )
        heard: list[dict] = []
        nc = await membership.connect(ana)

        async def hear(msg):
            heard.append(json.loads(msg.data))

        await nc.subscribe("natslab.demo.announce.>", cb=hear)
        await feed.start()
        app = BoardApp(feed)
        async with app.run_test(size=(160, 40)) as pilot:
            await wait_for(pilot, lambda: len(cells(app, "roster")) == 2, 10, "two participants")
            await wait_for(pilot, lambda: all(r[-1] == "done" for r in cells(app, "roster")), 10,
                           "both done")  # fmt: skip
            roster = cells(app, "roster")
            assert [r[0] for r in roster] == ["ana", "ben"]
            assert all(r[1] == "herd" and r[2].startswith("5. ") for r in roster)
            (question,) = cells(app, "questions")
            assert question[:2] == ["herd", "3"] and question[3] == "2 of 2"
            assert question[4] == "sealed (r reveals)" and question[5] == "sealed"
            await nc.flush()
            assert heard == []  # nothing reaches the room before the reveal
            await pilot.press("r")
            await wait_for(pilot, lambda: "right" in cells(app, "questions")[0][4], 5, "revealed")
            (question,) = cells(app, "questions")
            assert question[4] == "1: 1 · 2: 1 — 1 of 2 right"
            assert question[5] == "60 of 60 clients on B"
            for _ in range(100):
                if heard:
                    break
                await asyncio.sleep(0.02)
            assert heard and heard[0]["split"] == {"1": 1, "2": 1} and heard[0]["right"] == 1
            assert "ana" not in json.dumps(heard[0])  # an aggregate: nobody's own answer
        await nc.close()
    finally:
        await feed.close()
        await host.stop()


def record(who, kind, at, **fields):
    return {"participant": who, "type": kind, "at": at, "id": f"{who}:{kind}:{at}", **fields}


def test_stuck_is_read_from_the_lab_itself():
    """A step retried twice, a step taking far longer than the room's median, and silence
    while a step runs: each flags a participant as stuck, and stuck sorts first."""
    room = RoomState()
    for who in ("ana", "ben", "cy", "dee"):
        room.apply(record(who, "LessonStarted", 0, lesson_id="upgrade", title="Upgrade"))
        room.apply(record(who, "StepStarted", 1, index=0, title="A and B"))
    room.apply(record("ana", "StepFinished", 11, index=0, ok=True, duration=10.0))
    room.apply(record("ana", "StepStarted", 12, index=1, title="next"))
    for at in (20, 30):  # ben retries step 1 twice
        room.apply(record("ben", "StepStarted", at, index=0, title="A and B", retry=True))
    room.apply(record("dee", "CheckResult", 95, index=0, final=True, ok=False))
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
    room.apply(record("ben", "StepStarted", 30, index=0, title="A and B", retry=True))
    assert room.events == 4 * 2 + 2 + 2 + 1  # the repeated record counted once
