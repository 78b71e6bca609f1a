"""What an instructor reaches for in a real room: a lobby of who joined, a help request
marked answered, a hold that is not "stuck", refusals in sentences, and participants told
when the room closes."""

import asyncio
import json
import time

import pytest

from natslab.room.names import event_subject, parse_join_line
from natslab.room.participant import membership
from natslab.room.participant.uplink import Uplink
from natslab.room.roster import RoomState
from natslab.tui.board import BoardApp
from tests.test_class import natslab_in
from tests.tui.pilot import wait_for


async def publish(member, kind: str, **fields) -> None:
    nc = await membership.connect(member)
    try:
        body = {"type": kind, "at": time.time(), "id": f"{kind}:{time.time()}", **fields}
        await nc.jetstream().publish(event_subject("demo", member.name, kind),
                                     json.dumps(body).encode())  # fmt: skip
    finally:
        await nc.close()


def roster(app) -> dict[str, str]:
    table = app.query_one("#roster")
    return {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[1])
            for i in range(table.row_count)}  # fmt: skip


async def test_the_lobby_help_answered_and_a_finished_participant_refused(classroom):
    """Joined, before any lesson: in the lobby. x marks a help request answered; w on a
    participant who finished is refused in a sentence."""
    host, feed = classroom
    ana = await membership.join(host.join_line(), "ana")
    ben = await membership.join(host.join_line(), "ben")
    await feed.start()
    app = BoardApp(feed)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: roster(app) == {"ana": "joined", "ben": "joined"}, 10,
                       "both in the lobby before a lesson")  # fmt: skip
        await publish(ana, "LessonStarted", lesson_id="herd", title="Herd")
        await publish(ana, "StepStarted", index=0, title="Three servers")
        await publish(ana, "HelpRequested", index=0, title="Three servers")
        await publish(ben, "LessonStarted", lesson_id="herd", title="Herd")
        await publish(ben, "LessonFinished", lesson_id="herd", ok=True)
        await wait_for(pilot, lambda: roster(app).get("ana") == "asking for help", 10, "help")
        await wait_for(pilot, lambda: roster(app).get("ben") == "done", 10, "ben done")
        app.query_one("#roster").focus()
        await pilot.press("x")  # ana is first: the help queue
        await wait_for(pilot, lambda: roster(app).get("ana") == "working", 10, "answered")
        assert feed.state.participants["ana"].help is None
        table = app.query_one("#roster")
        table.move_cursor(row=[str(table.get_row_at(i)[0]) for i in range(2)].index("ben"))
        await pilot.press("w")
        await wait_for(pilot, lambda: any("ben has finished herd" in str(n.message)
                                          for n in app._notifications), 5, "w refused")  # fmt: skip
        assert feed.state.control.holds == {}


def test_a_participant_waiting_at_the_hold_is_not_stuck():
    """Held at step 3: one who passed step 2 long ago waits there, not stuck; one still in
    step 1 for as long is stuck."""
    state = RoomState()

    def take(who, kind, at, **fields):
        body = {"type": kind, "at": at, "id": f"{who}:{kind}:{at}", **fields}
        state.take(f"natslab.demo.p.{who}.{kind}", body)

    for who in ("ana", "ben"):
        take(who, "LessonStarted", 0, lesson_id="upgrade")
    take("ana", "StepStarted", 1, index=1, title="B")
    take("ana", "StepFinished", 2, index=1, ok=True, duration=1)
    take("ben", "StepStarted", 1, index=0, title="A")
    state.take("natslab.demo.p._room.Held", {"type": "Held", "lesson": "upgrade", "step": 2,
                                             "id": "h"})  # fmt: skip
    later = 1000.0
    assert state.status(state.participants["ana"], later) == "waiting at the hold"
    assert state.stuck_because(state.participants["ana"], later) == ""
    assert state.status(state.participants["ben"], later) == "stuck"
    state.take("natslab.demo.p._room.Released", {"type": "Released", "lesson": "upgrade",
                                                 "id": "r"})  # fmt: skip
    assert state.status(state.participants["ana"], later) == "stuck"  # silent, not held


async def test_a_hold_for_a_lesson_the_room_has_never_seen_is_a_sentence(classroom, state_dir):
    host, _feed = classroom
    typo = await asyncio.to_thread(natslab_in, state_dir, "class", "hold",
                                   "demo", "upgarde", "3")  # fmt: skip
    assert typo.returncode == 1
    assert "No lesson 'upgarde' is bundled with natslab" in typo.stderr
    ana = await membership.join(host.join_line(), "ana")
    await publish(ana, "LessonStarted", lesson_id="my-own")
    mine = await asyncio.to_thread(natslab_in, state_dir, "class", "hold",
                                   "demo", "my-own", "3")  # fmt: skip
    assert mine.returncode == 0, mine.stderr


async def test_participants_are_told_when_the_room_closes(classroom, tmp_path):
    host, _feed = classroom
    ana = await membership.join(host.join_line(), "ana")
    uplink = Uplink(ana, "run-1", tmp_path / "outbox.jsonl")
    uplink.start()
    try:
        await wait_for_async(lambda: uplink.live, "live")
        await host.stop()
        await wait_for_async(lambda: "closed by the instructor at" in uplink.status(),
                             "told it closed")  # fmt: skip
    finally:
        await uplink.close(drain=0)


async def wait_for_async(condition, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def test_lock_remove_and_rotate_are_the_rooms_door_keys(classroom, state_dir):
    """Locked: nobody new gets in, a member still rejoins. Removed: their open connection is
    closed by the server and their key opens nothing. Rotated: the old code opens nothing,
    the new line does. A participant cannot turn these keys."""
    import nats

    from natslab.room.participant.membership import JoinError

    host, _feed = classroom
    line = host.join_line()

    async def cli(*args):
        return await asyncio.to_thread(natslab_in, state_dir, "class", *args)

    ana = await membership.join(line, "ana")
    locked = await cli("lock", "demo")
    assert locked.returncode == 0 and "Room demo is locked." in locked.stdout, locked.stderr
    with pytest.raises(JoinError, match="is locked"):
        await membership.join(line, "ben")
    assert (await membership.join(line, "ana")).seed == ana.seed  # a member rejoins
    assert (await cli("unlock", "demo")).returncode == 0
    ben = await membership.join(line, "ben")

    async def as_ben(nc):
        await nc.publish("natslab.demo.admin.remove", json.dumps({"name": "ana"}).encode())

    from tests.test_class import violations_of

    said = await violations_of(ben, as_ben)
    assert said and "permissions violation for publish" in said[0]

    closed = asyncio.Event()

    async def on_closed():
        closed.set()

    open_ana = await membership.connect(ana, closed_cb=on_closed, allow_reconnect=False)
    removed = await cli("remove", "demo", "ANA")
    assert removed.returncode == 0 and "ana is removed from room demo" in removed.stdout
    await asyncio.wait_for(closed.wait(), 10)  # the server closed her connection
    assert open_ana.is_closed
    with pytest.raises(nats.errors.Error):
        await membership.connect(ana, allow_reconnect=False)
    nobody = await cli("remove", "demo", "zed")
    assert nobody.returncode == 1 and "Nobody called 'zed' is in room demo" in nobody.stderr

    rotated = await cli("rotate", "demo")
    assert rotated.returncode == 0, rotated.stderr
    new_line = parse_join_line(rotated.stdout.split("natslab class join ")[1].split()[0])
    assert new_line.code != line.code
    with pytest.raises(JoinError, match="refused the join line"):
        await membership.join(line, "cy")
    assert (await membership.join(new_line, "cy")).name == "cy"


async def test_one_who_filled_the_room_is_named_and_purged(classroom, state_dir):
    """Records the room refuses are counted by whose subject they came on, so the board
    names who to look at; `class remove --purge` takes them out and frees their share."""
    host, feed = classroom
    eve = await membership.join(host.join_line(), "eve")
    nc = await membership.connect(eve)
    try:
        for n in range(5):
            await nc.jetstream().publish(event_subject("demo", "eve", "StepStarted"),
                                         b'{"type": "StepStarted", "title": ' + b"1" * 9 + b"}",
                                         headers={"Nats-Msg-Id": f"junk{n}"})  # fmt: skip
    finally:
        await nc.close()
    await feed.start()
    await wait_for_async(lambda: feed.state.refused_total == 5, "the junk counted")
    assert feed.state.refused_text() == "5 records refused (most from eve: 5)"
    purged = await asyncio.to_thread(natslab_in, state_dir, "class", "remove", "demo", "eve",
                                     "--purge")  # fmt: skip
    assert purged.returncode == 0, purged.stderr
    assert "their records are gone from the stream" in purged.stdout
    from natslab.room.instructor.stream import read_room

    assert not [s for s in await read_room("demo") if ".p.eve." in s.subject]
