"""The `natslab class` verbs that print a line or a table: start, join, leave, show, send,
export, hold/release/say, lock/unlock/remove/rotate, roster and end. Each takes the parsed
arguments and the console, as every command's `run` does."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from natslab.errors import UsageError
from natslab.words import counted

if TYPE_CHECKING:
    from rich.console import Console

    from natslab.room.names import JoinLine


def start(args: argparse.Namespace, console: Console) -> int:
    from natslab.cli.class_start import start as start_room

    return start_room(args, console)


def join(args: argparse.Namespace, console: Console) -> int:
    from natslab.room.names import parse_join_line

    join_room(parse_join_line(args.line), args.name, console, args.creds)
    return 0


def leave(args: argparse.Namespace, console: Console) -> int:
    from natslab.room.participant.membership import leave as leave_room

    left = leave_room()
    console.print(f"Left room {left.room}." if left else "This natslab was in no room.")
    return 0


def show(args: argparse.Namespace, console: Console) -> int:
    return _show(console)


def send(args: argparse.Namespace, console: Console) -> int:
    return _send(console)


def export(args: argparse.Namespace, console: Console) -> int:
    return _export(args.room, args.format, args.output, console)


def end(args: argparse.Namespace, console: Console) -> int:
    return _end(args.room, args.output, console)


def administer(args: argparse.Namespace, console: Console) -> int:
    asked = "purge" if getattr(args, "purge", False) else args.class_command
    return _administer(asked, args.room, getattr(args, "name", ""), console)


def roster(args: argparse.Namespace, console: Console) -> int:
    return _roster(args.room, console)


def control(args: argparse.Namespace, console: Console) -> int:
    return _control(args, console)


def _end(room: str, output: Path | None, console: Console) -> int:
    from natslab.room.instructor.ending import end_room

    written, count = asyncio.run(end_room(room, output))
    console.print(f"{counted(count, 'event')} of room {room} exported to {written}; the room's "
                  "stream, config and credentials are deleted.")  # fmt: skip
    return 0


def join_room(
    parsed: JoinLine, name: str | None, console: Console, creds: Path | None = None
) -> None:
    """Join, asking for a name on a terminal when none was given."""
    from natslab.room.participant.membership import join

    if name is None:
        if not sys.stdin.isatty():
            raise UsageError("Joining a room needs --name PSEUDONYM (how the room sees you).")
        name = input("Your name in the room (a pseudonym is fine): ").strip()
    member = asyncio.run(join(parsed, name, creds))
    console.print(
        f"Joined room {member.room} as {member.name}. Every lesson you run now reports its "
        "steps, checks and predictions there, until `natslab class leave`; "
        "`natslab class show` lists what waits to be sent."
    )
    if member.course:
        console.print(course_words(member.course), markup=False)


def course_words(course_id: str) -> str:
    """The room's course as a participant reads it: its lessons in the order to take them."""
    from natslab.lessons.courses import find_course

    try:
        course = find_course(course_id)
    except UsageError:
        return (f"The room follows course {course_id!r}, which this natslab does not have: "
                "ask the instructor which lessons to take.")  # fmt: skip
    return (f"The room follows course {course.id} ({course.title}): take "
            f"{', '.join(course.lessons)}, in that order (`natslab tutorial list --course "
            f"{course.id}` says what each one teaches).")  # fmt: skip


def _show(console: Console) -> int:
    from natslab.room.participant.membership import current
    from natslab.room.participant.uplink import Outbox, outbox_file

    member = current()
    box = Outbox.load(outbox_file())
    if member is None:
        console.print("This natslab is in no room (`natslab class join JOIN-LINE` joins one).")
    else:
        console.print(f"Room {member.room} at {member.url}, as {member.name}.")
        if member.course:
            console.print(course_words(member.course), markup=False)
    for title, entries in (("Last sent", box.recent), ("Waiting to be sent", box.waiting)):
        shown = list(entries)[-10:]
        console.print(f"{title}: {counted(len(entries), 'event')}" + (":" if shown else "."))
        for entry in shown:
            # Whole, however long: the terminal wraps it (soft wrap), nothing is cut.
            console.print(f"  {entry['subject']}: {json.dumps(entry['record'])}", markup=False)
    return 0


SEND_WAIT = 30.0  # seconds `class send` keeps trying


def _send(console: Console) -> int:
    """Empty the outbox into the room, trying for a while; what cannot go stays."""
    from natslab.room.participant.membership import current
    from natslab.room.participant.uplink import Uplink

    member = current()
    if member is None:
        raise UsageError("This natslab is in no room (`natslab class join JOIN-LINE` joins one).")
    uplink = Uplink(member, "send")
    waiting = len(uplink.outbox.waiting)

    async def send() -> None:
        uplink.start()
        deadline = time.monotonic() + SEND_WAIT
        while uplink.outbox.waiting and time.monotonic() < deadline:
            if not uplink.reached and uplink.last_error.startswith("room unreachable"):
                break  # the room does not answer at all: say so now, not in 30 s
            await asyncio.sleep(0.1)
        await uplink.close(drain=0)

    asyncio.run(send())
    left = len(uplink.outbox.waiting)
    console.print(f"{counted(waiting - left, 'event')} sent to room {member.room}; "
                  f"{uplink.status()}.")  # fmt: skip
    return 0 if not left else 1


def _export(room: str, fmt: str, output: Path | None, console: Console) -> int:
    from natslab.room.instructor.exported import write_export
    from natslab.room.instructor.stream import read_room

    stored = asyncio.run(read_room(room))
    out = output.open("w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        write_export(stored, fmt, out)
    except BrokenPipeError:  # `| head`: the reader has what it wanted
        return 0
    finally:
        if output:
            out.close()
    if output:
        console.print(f"{len(stored)} events of room {room} written to {output}.")
    return 0


def _control(args: argparse.Namespace, console: Console) -> int:
    """Hold, release, say or course, with the instructor's login: stored in the room's
    stream and announced (and announced again by the room and every board)."""
    from natslab.room.control import send_control
    from natslab.room.instructor.stream import connect_instructor
    from natslab.room.names import check_room

    room = check_room(args.room)
    if args.class_command == "hold":
        if args.step < 1:
            raise UsageError(f"STEP {args.step}: steps are numbered from 1, as on screen.")
        _check_step(room, args.lesson, args.step)
        kind, fields = "Held", {"lesson": args.lesson, "step": args.step - 1}
        said = f"Room {room} is held at step {args.step} of {args.lesson}."
    elif args.class_command == "release":
        kind, fields = "Released", {"lesson": args.lesson}
        said = f"Room {room} may go on with {args.lesson}."
    elif args.class_command == "course":
        from natslab.lessons.courses import find_course

        course = find_course(args.course)  # one sentence for a course natslab does not have
        kind = "Course"
        fields = {"course": course.id, "title": course.title, "lessons": list(course.lessons)}
        said = f"Room {room} now follows course {course.id}: {', '.join(course.lessons)}."
    else:
        if not args.text.strip():
            raise UsageError("Say what? The message is empty.")
        kind, fields = "Said", {"text": args.text.strip()[:280]}
        said = f"Said to room {room}."

    async def send() -> None:
        nc = await connect_instructor(room, allow_reconnect=False)
        try:
            await send_control(nc, room, kind, **fields)
            await nc.flush()
        finally:
            await nc.close()

    asyncio.run(send())
    console.print(said)
    return 0


def _administer(verb: str, room: str, name: str, console: Console) -> int:
    """The room's host does it and says what it did."""
    from natslab.room.instructor.admin import ask
    from natslab.room.names import check_room

    answer = asyncio.run(ask(check_room(room), verb, name=name))
    console.print(str(answer.get("said", "Done.")), markup=False, soft_wrap=True)
    return 0


def _check_step(room: str, lesson: str, step: int) -> None:
    """A hold names a lesson natslab has (or one the room has run) and a step it has: a
    typo would hold nobody, and nobody would know."""
    from natslab.lessons.catalog import bundled, load
    from natslab.room.instructor.stream import read_room
    from natslab.room.roster import RoomState

    if lesson in bundled():
        steps = len(load(lesson).steps)
        if step > steps:
            raise UsageError(f"{lesson} has {steps} steps: STEP {step} holds nobody.")
        return
    state = RoomState()
    state.take_all((item.subject, item.record) for item in asyncio.run(read_room(room)))
    if lesson not in {who.lesson for who in state.participants.values()}:
        known = ", ".join(sorted(bundled()))
        raise UsageError(
            f"No lesson {lesson!r} is bundled with natslab ({known}) or has been run in room "
            f"{room}: check its id (`natslab tutorial list`)."
        )


def _roster(room: str, console: Console) -> int:
    """The room once, as the board's roster draws it (the same columns and cells)."""
    from rich.table import Table
    from rich.text import Text

    from natslab.room.instructor.board_rows import ROSTER_COLUMNS, roster_lines
    from natslab.room.instructor.stream import read_room
    from natslab.room.roster import RoomState

    state = RoomState()
    state.take_all((item.subject, item.record) for item in asyncio.run(read_room(room)))
    for course in state.courses.values():
        console.print(f"Room {room} follows {course.text()}: {', '.join(course.lessons)}; "
                      "'course 2/7' beside a participant's lesson: 2 of them passed.",
                      markup=False)  # fmt: skip
    table = Table(*ROSTER_COLUMNS, box=None)
    for line in roster_lines(state, time.time()):
        table.add_row(*(Text(cell) for cell in line.cells()))  # a participant's text is data
    console.print(table)
    refused = state.refused_text()
    note = f"; {refused}: not natslab's, or not their sender's" if refused else ""
    people = counted(len(state.participants), "participant")
    console.print(f"{counted(state.events, 'event')} from {people}{note}.")
    return 0
