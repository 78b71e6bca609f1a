"""`natslab class`: a real room server on loopback, real participants, and the server's own
permissions keeping each participant to their subject."""

import asyncio
import json
import os
import re
import signal
import stat
import subprocess
from pathlib import Path

import nats
import pytest

from natslab.cluster.binary import find_binary
from natslab.lessons.courses import find_course
from natslab.room.instructor.host import RoomHost
from natslab.room.names import JOIN_USER, JoinLine, event_subject, parse_join_line, stream_name
from natslab.room.participant import membership
from natslab.room.participant.membership import JoinError
from tests.cli_process import NATSLAB, NatslabProcess
from tests.test_watch import free_port

pytestmark = pytest.mark.slow  # rooms of real participant processes: left out of the quick loop


@pytest.fixture
async def room(state_dir):
    host = RoomHost.create("demo", "127.0.0.1", free_port(), find_binary())
    await host.start()
    try:
        yield host
    finally:
        await host.stop()


async def violations_of(member, act) -> list[str]:
    """What the server says to a participant's connection doing `act`."""
    said: list[str] = []

    async def on_error(exc):
        said.append(str(exc))

    nc = await membership.connect(member, error_cb=on_error)
    try:
        await act(nc)
        await nc.flush()
        for _ in range(100):  # the server's -ERR arrives after the flush's PONG at the latest
            if said:
                break
            await asyncio.sleep(0.02)
    finally:
        await nc.close()
    return said


async def test_the_server_keeps_each_participant_to_their_own_subject(room):
    line = room.join_line()
    alice = await membership.join(line, "alice")
    bob = await membership.join(line, "bob")
    assert stat.S_IMODE((room.folder / "nats.conf").stat().st_mode) == 0o600

    async def read_bob(nc):
        await nc.subscribe("natslab.demo.p.bob.>")

    said = await violations_of(alice, read_bob)
    assert said and "permissions violation for subscription" in said[0]

    async def write_as_bob(nc):
        await nc.publish(event_subject("demo", "bob", "StepStarted"), b"{}")

    said = await violations_of(alice, write_as_bob)
    assert said and "permissions violation for publish" in said[0]

    async def own_and_announcements(nc):
        js = nc.jetstream()
        await js.publish(event_subject("demo", "bob", "StepStarted"), b'{"own": true}')
        await nc.subscribe("natslab.demo.announce.>")

    assert await violations_of(bob, own_and_announcements) == []
    # The stream holds bob's own message, the Joined each left for the board's lobby, and
    # nothing alice tried to publish as him.
    nc = await nats.connect(room.url, user="instructor", password=room.config.instructor_password)
    info = await nc.jetstream().stream_info(stream_name("demo"))
    assert info.state.messages == 3
    await nc.close()

    # The code alone (the shared join user) can ask to join and nothing else.
    errors: list[str] = []

    async def on_error(exc):
        errors.append(str(exc))

    joiner = await nats.connect(room.url, user=JOIN_USER, password=line.code, error_cb=on_error)
    await joiner.subscribe("natslab.demo.p.>")
    await joiner.flush()
    for _ in range(100):
        if errors:
            break
        await asyncio.sleep(0.02)
    await joiner.close()
    assert errors and "permissions violation for subscription" in errors[0]


async def test_joining_wrongly_is_one_sentence(room, tmp_path):
    line = room.join_line()
    await membership.join(line, "carol")
    membership.leave()  # this laptop forgets carol's key: another laptop, as it were
    with pytest.raises(JoinError, match="The name 'carol' is taken in room demo"):
        await membership.join(line, "carol")
    wrong_code = JoinLine(line.host, line.port, line.room, "nope-nope-nope")
    with pytest.raises(JoinError, match=r"refused the join line .*mistyped"):
        await membership.join(wrong_code, "dave")
    other_room = JoinLine(line.host, line.port, "elsewhere", line.code)
    with pytest.raises(JoinError, match="No room called 'elsewhere' answers"):
        await membership.join(other_room, "dave")
    nobody = JoinLine("127.0.0.1", free_port(), "demo", line.code)
    with pytest.raises(JoinError, match="does not answer"):
        await membership.join(nobody, "dave")
    assert membership.current() is None  # no failed join is remembered


def natslab_in(state: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NATSLAB_STATE_DIR": str(state), "COLUMNS": "160"}
    return subprocess.run([NATSLAB, *args], capture_output=True, text=True, timeout=timeout,
                          env=env)  # fmt: skip


def lesson_events_sent(state: Path) -> int:
    """What a participant's natslab sends of its runs: lesson events, checks' verdicts only."""
    lesson_types = {"LessonStarted", "StepPreviewed", "PredictionLocked", "PredictionJudged",
                    "HandsOnWaiting", "HandsOnHint", "StepStarted", "ActionDone", "CheckResult",
                    "StepFinished", "StepSkipped", "LessonFinished"}  # fmt: skip
    count = 0
    for events in state.glob("runs/*/events.jsonl"):
        for line in events.read_text().splitlines():
            record = json.loads(line)
            if record["type"] in lesson_types and record.get("final", True) is not False:
                count += 1
    return count


@pytest.mark.slow(seconds=25)
def test_a_room_away_loses_nothing_and_doubles_nothing(tmp_path, state_dir):
    """Two participants run a lesson; one of them while the room is closed. Every lesson
    passes regardless, and once the room is back the stream holds each event exactly once."""
    port = free_port()
    room = NatslabProcess("class", "start", "demo", "--listen", f"127.0.0.1:{port}")
    try:
        room.wait_for("natslab class join nats://join:")
        line = re.search(r"natslab class join (\S+)", room.output)[1]
        alice, bob = tmp_path / "alice", tmp_path / "bob"
        for who, state in (("alice", alice), ("bob", bob)):
            joined = natslab_in(state, "class", "join", line, "--name", who)
            assert joined.returncode == 0, joined.stderr
        done = natslab_in(alice, "tutorial", "herd", "--headless", "--port-offset", "auto",
                          "--answers", "1")  # fmt: skip
        assert done.returncode == 0 and "Class: room demo: live." in done.stdout, done.stdout
    finally:
        room.proc.send_signal(2)
        room.wait()
    # The room is closed: bob's lesson runs as it would alone, its events wait.
    away = natslab_in(bob, "tutorial", "herd", "--headless", "--port-offset", "auto",
                      "--answers", "2")  # fmt: skip
    assert away.returncode == 0, away.stdout + away.stderr
    waiting = re.search(r"Class: room demo: (\d+) waiting \(", away.stdout)
    assert waiting and int(waiting[1]) == lesson_events_sent(bob), away.stdout
    unsent = natslab_in(bob, "class", "send")  # the room is still closed: nothing goes
    assert unsent.returncode == 1 and "0 events sent to room demo" in unsent.stdout
    assert f"{waiting[1]} waiting (room unreachable" in unsent.stdout, unsent.stdout
    room = NatslabProcess("class", "start", "demo", "--listen", f"127.0.0.1:{port}")
    try:
        room.wait_for("Ctrl+C closes the room")
        sent_now = natslab_in(bob, "class", "send")  # the room is back: all of it goes
        assert sent_now.returncode == 0, sent_now.stdout
        assert f"{waiting[1]} events sent to room demo; room demo: live." in sent_now.stdout
        # bob's next lesson sends its own events (and would send what waited, first).
        again = natslab_in(bob, "tutorial", "herd", "--headless", "--port-offset", "auto",
                           "--answers", "2")  # fmt: skip
        assert again.returncode == 0 and "Class: room demo: live." in again.stdout, again.stdout
        exported = natslab_in(state_dir, "class", "export", "demo")
        assert exported.returncode == 0, exported.stderr
        records = [json.loads(line)["record"] for line in exported.stdout.splitlines()]
        ids = [r["id"] for r in records]
        assert len(ids) == len(set(ids))  # none doubled
        sent = {"alice": lesson_events_sent(alice), "bob": lesson_events_sent(bob)}
        lessons = [r for r in records if r["type"] != "Joined"]  # one each, at the join
        got = {who: sum(1 for r in lessons if r["participant"] == who) for who in sent}
        assert got == sent  # none lost
        roster = natslab_in(state_dir, "class", "roster", "demo")
        # The board's columns: participant, status, lesson, step, …
        assert re.search(r"alice\s+done\s+herd\s+5\. Stop A", roster.stdout), roster.stdout
        assert re.search(r"bob\s+done\s+herd\s+5\. Stop A", roster.stdout), roster.stdout
        assert f"{sum(sent.values()) + 2} events from 2 participants." in roster.stdout
        shown = natslab_in(bob, "class", "show")
        assert "Room demo at" in shown.stdout and "Waiting to be sent: 0 events." in shown.stdout
        assert "Last sent: 20 events:" in shown.stdout  # exactly what went, the latest last
        sent_part = shown.stdout.split("Waiting to be sent")[0]
        assert sent_part.rstrip().endswith("}")  # each record whole, never cut
        assert sent_part.rfind('"type": "LessonFinished"') > sent_part.rfind('"CheckResult"')
    finally:
        room.proc.send_signal(2)
        room.wait()


@pytest.mark.slow
def test_class_mistakes_are_sentences(state_dir):
    listen = natslab_in(state_dir, "class", "start", "demo", "--listen", "everywhere")
    assert listen.returncode == 1
    assert "--listen 'everywhere': give HOST:PORT, e.g. 0.0.0.0:7222." in listen.stderr
    bad_room = natslab_in(state_dir, "class", "start", "Demo Room")
    assert bad_room.returncode == 1 and "cannot name a room" in bad_room.stderr
    no_room = natslab_in(state_dir, "class", "export", "demo")
    assert no_room.returncode == 1
    assert "There is no room 'demo' here: start it with `natslab class start demo`." in (
        no_room.stderr
    )
    not_a_line = natslab_in(state_dir, "class", "join", "http://example/x", "--name", "ann")
    assert not_a_line.returncode == 1 and "is not a join line" in not_a_line.stderr
    nameless = natslab_in(state_dir, "class", "join", "nats://join:c@127.0.0.1:7/demo")
    assert nameless.returncode == 1 and "needs --name PSEUDONYM" in nameless.stderr
    notes = state_dir.parent / "notes.jsonl"
    notes.write_text('{"seq": 1}\n')
    not_an_export = natslab_in(state_dir, "report", "--class", str(notes))
    assert not_an_export.returncode == 1
    assert f"{notes}, line 1, is not a room's event" in not_an_export.stderr
    no_report = natslab_in(state_dir, "report", "--class", "demo")
    assert no_report.returncode == 1 and "There is no room 'demo' here" in no_report.stderr
    step_zero = natslab_in(state_dir, "class", "hold", "demo", "upgrade", "0")
    assert step_zero.returncode == 1 and "steps are numbered from 1" in step_zero.stderr
    too_far = natslab_in(state_dir, "class", "hold", "demo", "upgrade", "12")
    assert too_far.returncode == 1 and "upgrade has 9 steps: STEP 12 holds nobody" in (
        too_far.stderr
    )
    bad_replay = natslab_in(state_dir, "class", "replay", str(notes))
    assert bad_replay.returncode == 1 and "is not a room's event" in bad_replay.stderr
    still = natslab_in(state_dir, "class", "replay", str(notes), "--speed", "0")
    assert still.returncode == 1 and "--speed 0: give a number above 0" in still.stderr
    outputs = (listen, bad_room, no_room, not_a_line, nameless, not_an_export, no_report,
               step_zero, too_far, bad_replay, still)  # fmt: skip
    for output in outputs:
        assert "Traceback" not in output.stderr
    left = natslab_in(state_dir, "class", "leave")
    assert left.returncode == 0 and "This natslab was in no room." in left.stdout


@pytest.mark.slow(seconds=20)
def test_the_room_killed_and_restarted_mid_lesson(tmp_path, state_dir):
    """The room's natslab (and so its server) is killed while a participant's `upgrade` runs,
    then started again: the lesson passes regardless, and the room ends up with every event
    the participant sent, once."""
    import signal
    import threading

    from tests.helpers import wait_until

    port = free_port()
    room = NatslabProcess("class", "start", "demo", "--listen", f"127.0.0.1:{port}")
    room.wait_for("Ctrl+C closes the room")
    line = re.search(r"natslab class join (\S+)", room.output)[1]
    ana = tmp_path / "ana"
    assert natslab_in(ana, "class", "join", line, "--name", "ana").returncode == 0
    result: list[subprocess.CompletedProcess[str]] = []
    upgrade = ("tutorial", "upgrade", "--headless", "--port-offset", "auto", "--answers", "1,2,1")
    lesson = threading.Thread(target=lambda: result.append(natslab_in(ana, *upgrade)))
    lesson.start()
    try:

        def some_arrived() -> bool:
            exported = natslab_in(state_dir, "class", "export", "demo")
            return exported.returncode == 0 and len(exported.stdout.splitlines()) >= 3

        wait_until(some_arrived, 30, what="the first events in the room")
        room.proc.send_signal(signal.SIGKILL)  # no goodbye: its server dies with it
        room.wait()
        room = NatslabProcess("class", "start", "demo", "--listen", f"127.0.0.1:{port}")
        room.wait_for("Ctrl+C closes the room")
        lesson.join(120)
        (done,) = result
        assert done.returncode == 0, done.stdout + done.stderr
        assert "Class: room demo: live." in done.stdout, done.stdout
        exported = natslab_in(state_dir, "class", "export", "demo")
        records = [json.loads(line)["record"] for line in exported.stdout.splitlines()]
        lessons = [r for r in records if r["type"] != "Joined"]  # one, at the join
        assert len(lessons) == len({r["id"] for r in lessons}) == lesson_events_sent(ana)
    finally:
        lesson.join(120)
        room.proc.send_signal(signal.SIGINT)
        room.wait()


async def test_class_on_the_tutorial_joins_then_reports(room, tmp_path):
    cy = tmp_path / "cy"
    herd = ("tutorial", "herd", "--headless", "--port-offset", "auto", "--answers", "1")
    line = str(room.join_line())
    first = await asyncio.to_thread(natslab_in, cy, *herd, "--class", line, "--name", "cy")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Joined room demo as cy." in first.stdout and "Class: room demo: live." in first.stdout
    again = await asyncio.to_thread(natslab_in, cy, *herd, "--class", line)
    assert again.returncode == 0 and "Joined room" not in again.stdout  # remembered
    assert "Class: room demo: live." in again.stdout
    assert set(room.config.members) == {"cy"}
    lone = await asyncio.to_thread(natslab_in, cy, *herd, "--name", "cy")
    assert lone.returncode == 1
    assert "--name goes with --class JOIN-LINE" in lone.stderr


@pytest.mark.slow
def test_a_room_keeps_its_events_as_long_as_told_and_ends_with_an_export(tmp_path, state_dir):
    port = free_port()
    room = NatslabProcess("class", "start", "demo", "--listen", f"127.0.0.1:{port}",
                          "--keep", "2")  # fmt: skip
    try:
        room.wait_for("natslab class join nats://join:")
        line = re.search(r"natslab class join (\S+)", room.output)[1]
        ana = tmp_path / "ana"
        assert natslab_in(ana, "class", "join", line, "--name", "ana").returncode == 0
        done = natslab_in(ana, "tutorial", "herd", "--headless", "--port-offset", "auto",
                          "--answers", "1")  # fmt: skip
        assert "Class: room demo: live." in done.stdout, done.stdout

        async def retention() -> float:
            from natslab.room.instructor.stream import connect_instructor

            nc = await connect_instructor("demo", allow_reconnect=False)
            try:
                return (await nc.jetstream().stream_info(stream_name("demo"))).config.max_age
            finally:
                await nc.close()

        assert asyncio.run(retention()) == 2 * 86400
        still_open = natslab_in(state_dir, "class", "end", "demo")
        assert still_open.returncode == 1 and "is still open at" in still_open.stderr
    finally:
        room.proc.send_signal(2)
        room.wait()
    # Closed: its export, report and roster still read it (opened here privately).
    exported = natslab_in(state_dir, "class", "export", "demo")
    assert exported.returncode == 0, exported.stderr
    reported = natslab_in(state_dir, "report", "--class", "demo")
    assert reported.returncode == 0 and "class-demo.html" in reported.stdout, reported.stderr
    roster = natslab_in(state_dir, "class", "roster", "demo")
    assert roster.returncode == 0 and "ana" in roster.stdout and "done" in roster.stdout
    kept = tmp_path / "last.jsonl"
    ended = natslab_in(state_dir, "class", "end", "demo", "--output", str(kept))
    assert ended.returncode == 0, ended.stderr
    records = [json.loads(line)["record"] for line in kept.read_text().splitlines()]
    assert kept.read_text() == exported.stdout  # the same records, closed or ending
    # Her lesson's events, and the record her join left for the board's lobby.
    assert [r["type"] for r in records].count("Joined") == 1
    assert len(records) == lesson_events_sent(ana) + 1
    assert {r["participant"] for r in records} == {"ana"}
    assert not (state_dir / "rooms" / "demo").exists()  # config, credentials, stream: gone
    gone = natslab_in(state_dir, "class", "export", "demo")
    assert gone.returncode == 1 and "There is no room 'demo' here" in gone.stderr


async def passed_or_not(member, lesson: str, ok: bool, at: float) -> None:
    """A lesson started and finished, as a participant's natslab reports it (their own key,
    their own subjects: the room's server holds them to it)."""
    nc = await membership.connect(member)
    try:
        for kind, fields in (("LessonStarted", {"lesson_id": lesson, "title": lesson}),
                             ("LessonFinished", {"lesson_id": lesson, "ok": ok})):  # fmt: skip
            record = {"participant": member.name, "type": kind, "at": at,
                      "id": f"{member.name}:{kind}:{at}", **fields}  # fmt: skip
            await nc.jetstream().publish(
                event_subject("demo", member.name, kind), json.dumps(record).encode()
            )
    finally:
        await nc.close()


def test_a_room_with_a_course_tells_who_joins_and_counts_their_lessons(tmp_path, state_dir):
    """`class start --course`: a course natslab does not have is refused before any server;
    one it has is printed, told to each participant who joins (in order), and the roster
    says how many of its lessons each participant passed."""
    unknown = natslab_in(state_dir, "class", "start", "demo", "--course", "operation")
    assert unknown.returncode == 1
    assert unknown.stderr.strip() == ("natslab: There is no course called 'operation'; "
                                      "natslab's courses are upgrades and operations.")  # fmt: skip
    assert not (state_dir / "rooms").exists()
    room = NatslabProcess("class", "start", "demo", "--listen", f"127.0.0.1:{free_port()}",
                          "--course", "operations")  # fmt: skip
    try:
        room.wait_for("natslab class join nats://join:")
        told = "The room follows course operations (A day of operations): "
        lessons = find_course("operations").lessons
        listed = ", ".join(lessons)
        assert f"{told}{listed}, in that order." in room.output
        line = re.search(r"natslab class join (\S+)", room.output)[1]
        joined = natslab_in(tmp_path / "ana", "class", "join", line, "--name", "ana")
        assert joined.returncode == 0, joined.stderr
        assert f"{told}take {listed}, in that order" in joined.stdout
        assert told in natslab_in(tmp_path / "ana", "class", "show").stdout
        ana = membership.Membership(
            **json.loads((tmp_path / "ana" / "room-membership.json").read_text())
        )
        bo = asyncio.run(membership.join(parse_join_line(line), "bo"))
        assert (ana.course, bo.course) == ("operations", "operations")
        asyncio.run(passed_or_not(ana, "config-reload", True, 1.0))
        asyncio.run(passed_or_not(bo, "config-reload", False, 2.0))
        roster = natslab_in(state_dir, "class", "roster", "demo")
        assert roster.returncode == 0, roster.stderr
        assert (
            f"Room demo follows course operations (A day of operations, {len(lessons)} "
            f"lessons): {listed};"
        ) in roster.stdout
        rows = {row.split()[0]: row for row in roster.stdout.splitlines() if row.strip()}
        assert f"config-reload · course 1/{len(lessons)}" in rows["ana"]
        assert f"config-reload · course 0/{len(lessons)}" in rows["bo"]
        # `class course` moves the room to another course: the roster and whoever joins
        # next follow it (a course natslab does not have is one sentence, and changes nothing).
        wrong = natslab_in(state_dir, "class", "course", "demo", "upgrade")
        assert wrong.returncode == 1 and "no course called 'upgrade'" in wrong.stderr
        moved = natslab_in(state_dir, "class", "course", "demo", "upgrades")
        assert moved.returncode == 0, moved.stderr
        assert moved.stdout.startswith("Room demo now follows course upgrades: upgrade, seed,")
        cy = natslab_in(tmp_path / "cy", "class", "join", line, "--name", "cy")
        assert "The room follows course upgrades (Upgrading a cluster): take upgrade," in cy.stdout
        roster = natslab_in(state_dir, "class", "roster", "demo")
        assert "Room demo follows course upgrades (Upgrading a cluster, 7 lessons)" in roster.stdout
    finally:
        room.proc.send_signal(signal.SIGINT)
        room.wait()
