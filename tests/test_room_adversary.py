"""A participant attacks a real room with what she has: the join code read aloud and her own
stored key. Each attack is refused by the room's server, or counted and ignored by natslab;
the room, its board and the other participants go on working."""

import asyncio
import json
import time

import nats
import pytest

from natslab.cluster.binary import find_binary
from natslab.room import stream_config
from natslab.room.instructor.feed import RoomFeed
from natslab.room.instructor.host import JoinGate, RoomHost
from natslab.room.names import JOIN_USER, event_subject, inbox_prefix, join_subject, stream_name
from natslab.room.participant import membership
from natslab.room.participant.membership import JoinError
from natslab.room.participant.uplink import Uplink
from tests.test_class import natslab_in, violations_of
from tests.test_watch import free_port


@pytest.fixture
async def room(state_dir, monkeypatch):
    # A small per-subject limit, so the test reaches it with a few dozen records.
    monkeypatch.setattr(stream_config, "PER_SUBJECT", 30)
    host = RoomHost.create("demo", "127.0.0.1", free_port(), find_binary())
    await host.start()
    feed = RoomFeed("demo")
    await feed.start()
    try:
        yield host, feed
    finally:
        await feed.close()
        await host.stop()


async def instructor(host):
    return await nats.connect(host.url, user="instructor", password=host.config.instructor_password)


async def stored(host) -> int:
    nc = await instructor(host)
    try:
        return (await nc.jetstream().stream_info(stream_name("demo"))).state.messages
    finally:
        await nc.close()


async def until(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def join_user(host):
    return await nats.connect(host.url, user=JOIN_USER, password=host.config.code,
                              inbox_prefix=inbox_prefix(JOIN_USER))  # fmt: skip


async def test_the_join_code_is_no_deputy(room):
    """With the code alone, a join asked with another reply subject (a participant's subject
    in the stream, the room's announcements, another's inbox) gets no answer anywhere."""
    host, _feed = room
    ana = await membership.join(host.join_line(), "ana")
    before = await stored(host)
    nc = await join_user(host)
    heard: list[bytes] = []
    watcher = await instructor(host)

    async def hear(msg):
        heard.append(msg.data)

    await watcher.subscribe("natslab.demo.announce.>", cb=hear)
    await watcher.subscribe(f"{inbox_prefix('ana')}.>", cb=hear)
    request = json.dumps({"name": "eve", "nkey": "x"}).encode()
    try:
        targets = (event_subject("demo", "ana", "LessonFinished"),
                   "natslab.demo.announce.control", f"{inbox_prefix('ana')}.forged")  # fmt: skip
        for target in targets:
            await nc.publish(join_subject("demo"), request, reply=target)
        await nc.flush()
        # A real join from the same user is answered: the room read the forged ones too.
        reply = await nc.request(join_subject("demo"), request, timeout=5)
        assert "error" in json.loads(reply.data)
        await watcher.flush()
    finally:
        await nc.close()
        await watcher.close()
    assert heard == []
    assert await stored(host) == before
    assert ana.name == "ana"


async def test_a_join_flood_is_told_to_wait_and_the_room_still_admits():
    """Sixty joins at once pass the gate; the next is told the room is busy; a moment later
    one passes again (the gate's own clock, not the test's)."""
    gate = JoinGate(burst=60, per_second=2.0)
    assert all(gate.allow() for _ in range(60))
    assert not gate.allow() and gate.refused == 1
    gate.at -= 1.0  # a second later
    assert gate.allow()


async def test_joins_beyond_the_gate_are_refused_by_the_room(room):
    host, _feed = room
    host.gate = JoinGate(burst=5, per_second=0.01)
    nc = await join_user(host)
    request = json.dumps({"name": "eve", "nkey": "x"}).encode()
    try:
        answers = [json.loads((await nc.request(join_subject("demo"), request, timeout=5)).data)
                   for _ in range(8)]  # fmt: skip
    finally:
        await nc.close()
    busy = [a for a in answers if "busy" in a.get("error", "")]
    assert len(busy) == 3 and host.gate.refused == 3
    with pytest.raises(JoinError, match="busy"):
        await membership.join(host.join_line(), "late")


async def test_names_that_differ_by_case_or_take_the_join_users_are_refused(room):
    host, _feed = room
    await membership.join(host.join_line(), "ana")
    for name in ("Ana", "ANA"):
        with pytest.raises(JoinError, match="taken"):
            await membership.join(host.join_line(), name)
    with pytest.raises(Exception, match="cannot be a participant's name"):
        await membership.join(host.join_line(), "join")


async def test_a_participant_cannot_publish_a_kind_natslab_never_sends(room):
    """Each kind is a subject of its own (the per-subject limit bounds it): a made-up kind,
    or an instructor's, is a permissions violation at the server."""
    host, _feed = room
    eve = await membership.join(host.join_line(), "eve")

    async def made_up(nc):
        await nc.publish(event_subject("demo", "eve", "Flood1"), b"{}")

    async def says(nc):
        await nc.publish(event_subject("demo", "eve", "Said"), b'{"type": "Said"}')

    for act in (made_up, says):
        said = await violations_of(eve, act)
        assert said and "permissions violation for publish" in said[0]


async def test_the_stream_refuses_what_is_too_large_or_too_many(room):
    """Over the record size, and over the per-subject limit: the server refuses, the stream
    keeps what it held, and another participant's records still land."""
    host, feed = room
    eve = await membership.join(host.join_line(), "eve")
    ben = await membership.join(host.join_line(), "ben")
    nc = await membership.connect(eve)
    js = nc.jetstream()
    subject = event_subject("demo", "eve", "StepStarted")
    try:
        with pytest.raises(nats.js.errors.APIError) as big:
            await js.publish(subject, b"x" * (stream_config.MAX_RECORD + 1))
        assert big.value.err_code == 10054
        refused = 0
        for n in range(stream_config.PER_SUBJECT + 5):
            body = json.dumps({"type": "StepStarted", "index": 0, "title": f"t{n}", "id": f"{n}"})
            try:
                await js.publish(subject, body.encode(), headers={"Nats-Msg-Id": f"e{n}"})
            except nats.js.errors.APIError as exc:
                assert exc.err_code == 10077 and "maximum" in exc.description
                refused += 1
        assert refused == 5
    finally:
        await nc.close()
    nc = await membership.connect(ben)
    try:
        await nc.jetstream().publish(event_subject("demo", "ben", "StepStarted"),
                                     json.dumps({"type": "StepStarted", "title": "mine",
                                                 "id": "b1"}).encode())  # fmt: skip
    finally:
        await nc.close()
    await until(lambda: "ben" in feed.state.participants, 10, "ben's record on the board")
    assert feed.state.participants["ben"].step_title == "mine"


async def test_an_uplink_lets_go_of_a_record_the_room_refuses_for_good(room, tmp_path):
    """A subject already full: the uplink counts the refusal and sends what follows (it
    used to retry the refused record forever, holding every later one back)."""
    host, feed = room
    eve = await membership.join(host.join_line(), "eve")
    uplink = Uplink(eve, "run-1", tmp_path / "outbox.jsonl")
    for n in range(stream_config.PER_SUBJECT + 2):
        uplink.send({"type": "StepStarted", "at": time.time(), "index": 0, "title": f"t{n}"})
    uplink.send({"type": "LessonFinished", "at": time.time(), "ok": True})
    uplink.start()
    try:
        await until(lambda: not uplink.outbox.waiting, 20, "the outbox emptied")
    finally:
        await uplink.close()
    assert uplink.outbox.refused == 2
    assert "2 refused by the room" in uplink.status()
    await until(lambda: feed.state.participants.get("eve") is not None
                and feed.state.participants["eve"].finished is True, 10, "the finish")  # fmt: skip


async def test_forged_records_are_counted_not_folded_and_boards_announce_only_the_instructors(
    room,
):
    """From her own subjects eve claims to be ana, fails ana's lesson and tries the old,
    guessable reveal id: ana's row stays hers, the board counts the refusal, nothing eve
    sent is announced, and the instructor's reveal still lands."""
    host, feed = room
    ana = await membership.join(host.join_line(), "ana")
    eve = await membership.join(host.join_line(), "eve")
    nc = await membership.connect(ana)
    try:
        for kind, fields in (("LessonStarted", {"lesson_id": "herd"}),
                             ("PredictionLocked", {"index": 2, "answer": 0})):  # fmt: skip
            body = {"type": kind, "id": kind, **fields}
            await nc.jetstream().publish(event_subject("demo", "ana", kind),
                                         json.dumps(body).encode())  # fmt: skip
    finally:
        await nc.close()
    announced: list[dict] = []
    listener = await membership.connect(ana)

    async def hear(msg):
        announced.append(json.loads(msg.data))

    await listener.subscribe("natslab.demo.announce.>", cb=hear)
    nc = await membership.connect(eve)
    js = nc.jetstream()
    try:
        await js.publish(event_subject("demo", "eve", "LessonFinished"),
                         json.dumps({"type": "LessonFinished", "participant": "ana", "ok": False,
                                     "id": "f1"}).encode())  # fmt: skip
        for guess in ("_room:reveal:herd:2", "_room:Said:1"):
            await js.publish(event_subject("demo", "eve", "StepSkipped"),
                             json.dumps({"type": "StepSkipped", "id": guess}).encode(),
                             headers={"Nats-Msg-Id": guess})  # fmt: skip
    finally:
        await nc.close()
    await until(lambda: feed.state.refused_total == 1, 10, "the forged record counted")
    assert feed.state.participants["ana"].finished is None
    await until(lambda: ("herd", 2) in feed.state.questions, 10, "ana's answer")
    await feed.reveal("herd", 2)
    before = await stored(host)
    await feed.control("Said", text="lunch")
    await until(lambda: feed.state.control.message == "lunch", 10, "the say folded")
    assert await stored(host) == before + 1
    await until(lambda: any(a.get("text") == "lunch" for a in announced), 10, "announced")
    await listener.close()
    texts = {a.get("text") for a in announced if "text" in a}
    assert texts <= {"", "lunch"}  # nothing of eve's in any announcement
    revealed = [k for k in feed.state.questions if feed.state.questions[k].revealed]
    assert revealed == [("herd", 2)]


def test_one_server_per_room_and_a_room_that_says_when_it_is_gone(state_dir):
    """A second `class start` of an open room is refused in a sentence naming where it
    runs; a room whose server is killed says so, and what to do, and exits 1; Ctrl+C then
    and at any time ends without a traceback."""
    import re
    import signal

    import psutil

    from tests.cli_process import NatslabProcess, run_natslab

    port = free_port()
    room = NatslabProcess("class", "start", "demo", "--listen", f"127.0.0.1:{port}")
    again = None
    try:
        room.wait_for("Ctrl+C closes the room")
        second = run_natslab("class", "start", "demo", "--listen", f"127.0.0.1:{free_port()}")
        assert second.returncode == 1, second.stdout
        assert f"Room 'demo' is already open (at 127.0.0.1:{port}, pid {room.proc.pid})" in (
            second.stderr
        )
        assert "Traceback" not in second.stderr + second.stdout
        (server,) = [p for p in psutil.Process(room.proc.pid).children(recursive=True)
                     if "nats-server" in p.name()]  # fmt: skip
        server.kill()
        assert room.wait(20) == 1
        assert "The room's nats-server stopped by itself (killed by SIGKILL)" in room.output
        assert "natslab class start demo` opens the room again" in room.output
        assert "Traceback" not in room.output
        # The lock went with it: the room opens again, and Ctrl+C closes it cleanly.
        again = NatslabProcess("class", "start", "demo", "--listen", f"127.0.0.1:{port}")
        again.wait_for("Ctrl+C closes the room")
        again.proc.send_signal(signal.SIGINT)
        assert again.wait(20) == 0
        assert "The room is closed" in again.output and "Traceback" not in again.output
        assert not re.search(r"Error|Exception", again.output)
    finally:
        for process in (room, again):
            if process is not None:
                process.close()


async def test_jetstreams_acks_are_no_deputy_either(room):
    """eve publishes her own record with a reply subject of her choosing: JetStream's ack
    (or its error) answers there with the room's rights. Aimed at alice's subject, the
    instructor's, or the host's door keys, it must land nowhere but in eve's own account:
    alice's and the instructor's records untouched, the room not locked (it was, and its
    code rotated, when everyone shared one account)."""
    host, _feed = room
    await membership.join(host.join_line(), "alice")
    eve = await membership.join(host.join_line(), "eve")
    before = await stored(host)
    targets = [event_subject("demo", "alice", "StepStarted"),
               event_subject("demo", "_room", "Held"), "natslab.demo.admin.lock",
               "natslab.demo.admin.rotate"]  # fmt: skip
    nc = await membership.connect(eve)
    try:
        for n, target in enumerate(targets * 3):
            body = json.dumps({"type": "Joined", "id": f"e{n % len(targets)}"}).encode()
            # An oversize one too: its error reply would have gone there as well.
            payload = body if n < len(targets) * 2 else body + b" " * stream_config.MAX_RECORD
            await nc.publish(event_subject("demo", "eve", "Joined"), payload, reply=target)
        await nc.flush()
        # Settled: one more record of hers, acknowledged, after all of those.
        done = json.dumps({"type": "Joined", "id": "last"}).encode()
        await nc.jetstream().publish(event_subject("demo", "eve", "Joined"), done)
    finally:
        await nc.close()
    code = host.config.code
    instructor_nc = await instructor(host)
    try:
        js = instructor_nc.jetstream()
        info = await js.stream_info(stream_name("demo"), subjects_filter=">")
    finally:
        await instructor_nc.close()
    subjects = info.state.subjects or {}
    assert set(subjects) == {event_subject("demo", n, "Joined") for n in ("alice", "eve")}
    # eve's own: the 8 that fit and the last (the 4 oversize ones refused), nothing else
    assert info.state.messages == before + 2 * len(targets) + 1
    assert not host.config.locked and host.config.code == code


async def test_a_record_nested_thousands_deep_is_counted_not_a_hang(room, state_dir):
    """JSON nested 4,000 deep on eve's own subject: the roster and the export read past it
    (the reader's callback raised RecursionError, lost the last record, and both waited
    60 s to die with a traceback)."""
    host, _feed = room
    eve = await membership.join(host.join_line(), "eve")
    nc = await membership.connect(eve)
    try:
        deep = b"[" * 4000 + b"]" * 4000
        await nc.jetstream().publish(event_subject("demo", "eve", "StepStarted"), deep)
    finally:
        await nc.close()
    roster = await asyncio.to_thread(natslab_in, state_dir, "class", "roster", "demo")
    assert roster.returncode == 0, roster.stderr
    assert "1 record refused (most from eve: 1)" in roster.stdout  # and eve listed: her Joined
    exported = await asyncio.to_thread(natslab_in, state_dir, "class", "export", "demo")
    assert exported.returncode == 0 and len(exported.stdout.splitlines()) == 2


async def test_a_full_room_admits_nobody_new(room, monkeypatch):
    """Anyone with the code can join under a new name, each with a share of the room's
    limits: past the most members the room is full, and says so."""
    from natslab.room.instructor import host as room_host

    host, _feed = room
    monkeypatch.setattr(room_host, "MOST_MEMBERS", 2)
    for name in ("ana", "ben"):
        await membership.join(host.join_line(), name)
    with pytest.raises(JoinError, match="is full"):
        await membership.join(host.join_line(), "cy")
    assert (await membership.join(host.join_line(), "ben")).name == "ben"  # a rejoin


async def test_an_instructors_record_the_stream_refuses_is_a_sentence(room, state_dir):
    """The room's stream full for the instructor's messages (30 here, the fixture's
    per-subject limit): `class say` says so in a sentence and exits 1 (a traceback, and a
    board whose `w` hit it died)."""
    from natslab.room.control import send_control

    host, _feed = room
    nc = await instructor(host)
    try:
        for n in range(stream_config.PER_SUBJECT):
            await send_control(nc, "demo", "Said", text=f"{n}")
    finally:
        await nc.close()
    said = await asyncio.to_thread(natslab_in, state_dir, "class", "say", "demo", "one more")
    assert said.returncode == 1 and "Traceback" not in said.stderr
    assert "Room demo did not keep the said record" in said.stderr, said.stderr
