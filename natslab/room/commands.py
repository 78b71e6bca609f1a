"""`natslab class …`: start a room, join or leave one, see what is sent, export a room."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from natslab.errors import UsageError
from natslab.room.start import DEFAULT_LISTEN
from natslab.words import counted

if TYPE_CHECKING:
    from rich.console import Console

    from natslab.room.names import JoinLine

DEFAULT_ROOM = "workshop"
DEFAULT_WEB = "127.0.0.1:7322"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    room = commands.add_parser(
        "class",
        help="run a workshop: a room on NATS that every participant's natslab reports to",
        description="A room is a nats-server that the instructor starts here, or a stream on an "
        "existing NATS deployment (one server or a cluster). Each participant joins it once; "
        "from then on their natslab sends its lesson events there (steps, checks, "
        "predictions), and the instructor reads the room on the board.",
    )
    verbs = room.add_subparsers(dest="class_command", metavar="SUBCOMMAND", required=True)
    start = verbs.add_parser(
        "start", help="start the room's server (or open it on a deployment); print the join line"
    )
    start.add_argument("room", nargs="?", default=DEFAULT_ROOM, metavar="ROOM")
    start.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"where the room listens (default {DEFAULT_LISTEN}: this machine only; "
        "participants on other laptops need a LAN address or 0.0.0.0)",
    )
    start.add_argument(
        "--keep",
        type=float,
        default=30.0,
        metavar="DAYS",
        help="how long the room's events stay in its stream (default 30 days); "
        "`natslab class end` deletes them at once",
    )
    start.add_argument(
        "--server",
        metavar="URL",
        help="hold the room on an existing NATS deployment (nats://HOST:PORT) instead of "
        "starting a server; needs --creds",
    )
    start.add_argument(
        "--creds",
        type=Path,
        metavar="FILE",
        help="with --server: the instructor's .creds file there (an account with JetStream)",
    )
    start.add_argument(
        "--signing-key",
        type=Path,
        metavar="FILE",
        help="with --server: a signing key of the instructor's account (its seed, SA…), from "
        "which natslab issues each participant a user scoped to their name; the room then "
        "has a join line, and answers joins until Ctrl+C",
    )
    join = verbs.add_parser("join", help="join a room with the line the instructor gave")
    join.add_argument("line", metavar="JOIN-LINE")
    join.add_argument("--name", metavar="PSEUDONYM", help="how the room sees you")
    join.add_argument(
        "--creds",
        type=Path,
        metavar="FILE",
        help="for a room on an existing deployment: the .creds file its administrator gave you",
    )
    verbs.add_parser("leave", help="stop reporting to the room")
    verbs.add_parser("show", help="which room this natslab reports to, and what waits to go")
    verbs.add_parser("send", help="send what waits now (the next lesson would, too)")
    export = verbs.add_parser("export", help="write every event of a room (instructor)")
    export.add_argument("room", nargs="?", default=DEFAULT_ROOM, metavar="ROOM")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--output", type=Path, metavar="FILE", help="default: standard output")
    board = verbs.add_parser(
        "board", help="the instructor's live screen: participants, stuck ones, predictions"
    )
    board.add_argument(
        "room",
        nargs="?",
        default=DEFAULT_ROOM,
        metavar="ROOM[,ROOM…]",
        help="a room, or several (comma-separated): a track's board, every room on one roster",
    )
    board.add_argument(
        "--projector",
        action="store_true",
        help="for a screen the room sees: no names, and no figure over fewer than 5 "
        "participants, whatever key is pressed (the instructor's board switches with p)",
    )
    board.add_argument(
        "--web",
        nargs="?",
        const=DEFAULT_WEB,
        metavar="HOST:PORT",
        help=f"serve the board to browsers instead (default {DEFAULT_WEB}: this machine "
        "only; a LAN address or 0.0.0.0 shares it with a projector or a co-instructor), "
        "through links with a secret: the instructor's and the projector's",
    )
    hold = verbs.add_parser(
        "hold", help="wait for me: nobody in the room starts STEP of LESSON until released"
    )
    hold.add_argument("room", metavar="ROOM")
    hold.add_argument("lesson", metavar="LESSON", help="the lesson's id, e.g. upgrade")
    hold.add_argument("step", type=int, metavar="STEP", help="the step (as numbered on screen)")
    release = verbs.add_parser("release", help="let the room go on with LESSON")
    release.add_argument("room", metavar="ROOM")
    release.add_argument("lesson", metavar="LESSON")
    say = verbs.add_parser("say", help="a short message in every participant's lesson panel")
    say.add_argument("room", metavar="ROOM")
    say.add_argument("text", metavar="TEXT")
    replay = verbs.add_parser(
        "replay", help="play an exported room back on the board, for a debrief or a rehearsal"
    )
    replay.add_argument("export", type=Path, metavar="EXPORT.jsonl",
                        help="what `natslab class export ROOM --format jsonl` wrote")  # fmt: skip
    replay.add_argument("--speed", type=float, default=1.0, metavar="N",
                        help="N times as fast as it happened (default 1)")  # fmt: skip
    end = verbs.add_parser(
        "end", help="export a room one last time, then delete its events and credentials"
    )
    end.add_argument("room", metavar="ROOM")
    end.add_argument(
        "--output", type=Path, metavar="FILE", help="the last export (default: under reports/)"
    )
    door_keys = (
        ("lock", "admit nobody new to a room (members may still rejoin)"),
        ("unlock", "admit new participants again"),
        ("rotate", "give a room a new code: the old join line opens nothing"),
    )
    for verb, said in door_keys:
        verbs.add_parser(verb, help=said).add_argument("room", metavar="ROOM")
    remove = verbs.add_parser("remove", help="take a participant out: their key opens nothing")
    remove.add_argument("room", metavar="ROOM")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument(
        "--purge", action="store_true", help="delete their records too (one who filled the room)"
    )
    roster = verbs.add_parser("roster", help="who is where in a room, once (instructor)")
    roster.add_argument("room", nargs="?", default=DEFAULT_ROOM, metavar="ROOM")


def dispatch(args: argparse.Namespace, console: Console) -> int:
    verb = args.class_command
    if verb == "start":
        from natslab.room.start import start

        return start(args, console)
    if verb == "join":
        return _join(args.line, args.name, console, args.creds)
    if verb == "leave":
        from natslab.room.membership import leave

        left = leave()
        console.print(f"Left room {left.room}." if left else "This natslab was in no room.")
        return 0
    if verb == "show":
        return _show(console)
    if verb == "send":
        return _send(console)
    if verb in ("hold", "release", "say"):
        return _control(args, console)
    if verb == "end":
        return _end(args.room, args.output, console)
    if verb in ("lock", "unlock", "remove", "rotate"):
        asked = "purge" if getattr(args, "purge", False) else verb
        return _administer(asked, args.room, getattr(args, "name", ""), console)
    if verb == "export":
        return _export(args.room, args.format, args.output, console)
    return _roster(args.room, console)


def serve_board(room: str, address: str, projector: bool, console: Console) -> int:
    """`class board --web`: one board process per browser tab, each reading the room with
    the instructor's login, as the terminal board does; only through the links printed."""
    import shlex

    from natslab.room.host import instructor_login
    from natslab.room.names import check_room
    from natslab.room.start import listen_address
    from natslab.room.web_board import BoardServer, new_link

    host, port = listen_address(address, "--web")
    for one in room.split(","):
        instructor_login(check_room(one.strip()))  # a sentence now, not in each tab
    board = [sys.executable, "-m", "natslab", "class", "board", room]
    links = [new_link(shlex.join([*board, "--projector"]), "the projector's board (no names)")]
    if not projector:
        links.insert(0, new_link(shlex.join(board), "the instructor's board"))
    server = BoardServer(links, host, port, title=f"natslab class board: {room}")
    shown = _browsable(host)
    console.print(f"The board of room {room!r} is served on {host}:{port}, one board per "
                  "browser tab, through these links only (each carries a secret):")  # fmt: skip
    for link in links:
        console.print(f"  {link.what}: http://{shown}:{port}/?token={link.token}", markup=False)
    if host in ("127.0.0.1", "localhost", "::1"):
        console.print("Only this machine can open it: for a projector or a co-instructor's "
                      "laptop, give --web with a LAN address or 0.0.0.0:PORT.")  # fmt: skip
    console.print("Ctrl+C stops it.")
    try:
        server.serve()
    except OSError as exc:
        raise UsageError(f"--web {address}: cannot listen there ({exc.strerror or exc}).") from exc
    return 0


def _browsable(host: str) -> str:
    """The address a browser uses for a board listening on `host`."""
    from natslab.room.host import reachable_host

    shown = reachable_host(host)
    return f"[{shown}]" if ":" in shown else shown


def _end(room: str, output: Path | None, console: Console) -> int:
    from natslab.room.ending import end_room

    written, count = asyncio.run(end_room(room, output))
    console.print(f"{counted(count, 'event')} of room {room} exported to {written}; the room's "
                  "stream, config and credentials are deleted.")  # fmt: skip
    return 0


def _join(line: str, name: str | None, console: Console, creds: Path | None = None) -> int:
    from natslab.room.names import parse_join_line

    join_room(parse_join_line(line), name, console, creds)
    return 0


def join_room(
    parsed: JoinLine, name: str | None, console: Console, creds: Path | None = None
) -> None:
    """Join, asking for a name on a terminal when none was given."""
    from natslab.room.membership import join

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


def _show(console: Console) -> int:
    from natslab.room.membership import current
    from natslab.room.uplink import Outbox, outbox_file

    member = current()
    box = Outbox.load(outbox_file())
    if member is None:
        console.print("This natslab is in no room (`natslab class join JOIN-LINE` joins one).")
    else:
        console.print(f"Room {member.room} at {member.url}, as {member.name}.")
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
    from natslab.room.membership import current
    from natslab.room.uplink import Uplink

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
    from natslab.room.exported import write_export
    from natslab.room.stream import read_room

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
    """Hold, release or say, with the instructor's login: stored in the room's stream and
    announced (and announced again by the room and every board)."""
    from natslab.room.control import send_control
    from natslab.room.names import check_room
    from natslab.room.stream import connect_instructor

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
    from natslab.room.admin import ask
    from natslab.room.names import check_room

    answer = asyncio.run(ask(check_room(room), verb, name=name))
    console.print(str(answer.get("said", "Done.")), markup=False, soft_wrap=True)
    return 0


def _check_step(room: str, lesson: str, step: int) -> None:
    """A hold names a lesson natslab has (or one the room has run) and a step it has: a
    typo would hold nobody, and nobody would know."""
    from natslab.lessons.catalog import bundled, load
    from natslab.room.roster import RoomState
    from natslab.room.stream import read_room

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
    from rich.table import Table
    from rich.text import Text

    from natslab.room.roster import RoomState
    from natslab.room.stream import read_room

    state = RoomState()
    state.take_all((item.subject, item.record) for item in asyncio.run(read_room(room)))
    table = Table("Participant", "Lesson", "Step", "Checks ✓/✗", "Retries", "Skips", "Status",
                  box=None)  # fmt: skip
    now = time.time()
    for who in state.queue(now):
        step = f"{who.step + 1}. {who.step_title}" if who.step is not None else "-"
        cells = (who.name, who.lesson or "-", step, f"{who.passed}/{who.failed}",
                 str(who.retries), str(who.skips), state.status(who, now))  # fmt: skip
        table.add_row(*(Text(cell) for cell in cells))  # a participant's text is never markup
    console.print(table)
    refused = state.refused_text()
    note = f"; {refused}: not natslab's, or not their sender's" if refused else ""
    people = counted(len(state.participants), "participant")
    console.print(f"{counted(state.events, 'event')} from {people}{note}.")
    return 0
