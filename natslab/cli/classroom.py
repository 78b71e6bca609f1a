"""`natslab class`: the workshop room's verbs on the command line. Each verb's parser sets
the function that runs it; the board and its replay open the terminal UI (or a browser's)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from natslab.cli import class_verbs as verbs_of
from natslab.cli import options
from natslab.cli.class_start import DEFAULT_LISTEN
from natslab.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

DEFAULT_ROOM = "workshop"
DEFAULT_WEB = "127.0.0.1:7322"


def add_class(commands: options.Commands) -> None:
    """`natslab class` and its verbs, each run by its own function."""
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
    start.add_argument(
        "--course",
        metavar="NAME",
        help="the course the room follows (e.g. upgrades; `natslab tutorial list` shows them): "
        "each participant who joins is told its lessons in order, and the board and roster "
        "show how many of them each one has passed; a room natslab runs keeps its course when "
        "started again",
    )
    start.set_defaults(run=verbs_of.start)
    join = verbs.add_parser("join", help="join a room with the line the instructor gave")
    join.add_argument("line", metavar="JOIN-LINE")
    join.add_argument("--name", metavar="PSEUDONYM", help="how the room sees you")
    join.add_argument(
        "--creds",
        type=Path,
        metavar="FILE",
        help="for a room on an existing deployment: the .creds file its administrator gave you",
    )
    join.set_defaults(run=verbs_of.join)
    verbs.add_parser("leave", help="stop reporting to the room").set_defaults(run=verbs_of.leave)
    verbs.add_parser(
        "show", help="which room this natslab reports to, and what waits to go"
    ).set_defaults(run=verbs_of.show)
    verbs.add_parser("send", help="send what waits now (the next lesson would, too)").set_defaults(
        run=verbs_of.send
    )
    export = verbs.add_parser("export", help="write every event of a room (instructor)")
    export.add_argument("room", nargs="?", default=DEFAULT_ROOM, metavar="ROOM")
    export.add_argument("--format", choices=("jsonl", "csv"), default="jsonl")
    export.add_argument("--output", type=Path, metavar="FILE", help="default: standard output")
    export.set_defaults(run=verbs_of.export)
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
    board.set_defaults(run=run_board)
    hold = verbs.add_parser(
        "hold", help="wait for me: nobody in the room starts STEP of LESSON until released"
    )
    hold.add_argument("room", metavar="ROOM")
    hold.add_argument("lesson", metavar="LESSON", help="the lesson's id, e.g. upgrade")
    hold.add_argument("step", type=int, metavar="STEP", help="the step (as numbered on screen)")
    hold.set_defaults(run=verbs_of.control)
    release = verbs.add_parser("release", help="let the room go on with LESSON")
    release.add_argument("room", metavar="ROOM")
    release.add_argument("lesson", metavar="LESSON")
    release.set_defaults(run=verbs_of.control)
    say = verbs.add_parser("say", help="a short message in every participant's lesson panel")
    say.add_argument("room", metavar="ROOM")
    say.add_argument("text", metavar="TEXT")
    say.set_defaults(run=verbs_of.control)
    course = verbs.add_parser(
        "course", help="switch the room to another course; who joins from now on is told it"
    )
    course.add_argument("room", metavar="ROOM")
    course.add_argument("course", metavar="COURSE", help="a course id (natslab tutorial list)")
    course.set_defaults(run=verbs_of.control)
    replay = verbs.add_parser(
        "replay", help="play an exported room back on the board, for a debrief or a rehearsal"
    )
    replay.add_argument("export", type=Path, metavar="EXPORT.jsonl",
                        help="what `natslab class export ROOM --format jsonl` wrote")  # fmt: skip
    replay.add_argument("--speed", type=float, default=1.0, metavar="N",
                        help="N times as fast as it happened (default 1)")  # fmt: skip
    replay.set_defaults(run=lambda args, console: run_replay(args.export, args.speed))
    end = verbs.add_parser(
        "end", help="export a room one last time, then delete its events and credentials"
    )
    end.add_argument("room", metavar="ROOM")
    end.add_argument(
        "--output", type=Path, metavar="FILE", help="the last export (default: under reports/)"
    )
    end.set_defaults(run=verbs_of.end)
    door_keys = (
        ("lock", "admit nobody new to a room (members may still rejoin)"),
        ("unlock", "admit new participants again"),
        ("rotate", "give a room a new code: the old join line opens nothing"),
    )
    for verb, said in door_keys:
        door = verbs.add_parser(verb, help=said)
        door.add_argument("room", metavar="ROOM")
        door.set_defaults(run=verbs_of.administer)
    remove = verbs.add_parser("remove", help="take a participant out: their key opens nothing")
    remove.add_argument("room", metavar="ROOM")
    remove.add_argument("name", metavar="NAME")
    remove.add_argument(
        "--purge", action="store_true", help="delete their records too (one who filled the room)"
    )
    remove.set_defaults(run=verbs_of.administer)
    roster = verbs.add_parser("roster", help="who is where in a room, once (instructor)")
    roster.add_argument("room", nargs="?", default=DEFAULT_ROOM, metavar="ROOM")
    roster.set_defaults(run=verbs_of.roster)


def run_board(args: argparse.Namespace, console: Console) -> int:
    """The board in the terminal, or served to browsers with --web."""
    if args.web:
        return serve_board(args.room, args.web, args.projector, console)
    return _board(args.room, args.projector)


def run_replay(export: Path, speed: float) -> int:
    """An exported room on the board, at its pace or `speed` times faster."""
    import asyncio

    from natslab.room.instructor.replay import ReplayFeed

    if not speed > 0:
        raise UsageError(f"--speed {speed:g}: give a number above 0, e.g. 10 for ten times.")
    feed = ReplayFeed.from_export(export, speed)  # a wrong file is a sentence first
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("A replay is shown on the board, which needs an interactive terminal.")

    async def main() -> int:
        from natslab.tui.board import BoardApp

        await feed.start()
        try:
            app = BoardApp(feed)
            app.title = f"natslab class replay: {feed.room} ({speed:g}x)"
            await app.run_async()
            return app.return_code or 0
        finally:
            await feed.close()

    return asyncio.run(main())


def _board(room: str, projector: bool = False) -> int:
    """The instructor's board: the room's stream folded live, in the terminal UI."""
    import asyncio

    from natslab.room.instructor.feed import RoomFeed
    from natslab.room.instructor.track import TrackFeed
    from natslab.room.names import check_room

    in_browser = bool(os.environ.get("TEXTUAL_DRIVER"))  # textual-serve's tab: no tty
    if not in_browser and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "The board needs an interactive terminal; `natslab class roster` prints the room once."
        )
    rooms = [check_room(one.strip()) for one in room.split(",") if one.strip()]
    feed: RoomFeed | TrackFeed = RoomFeed(rooms[0]) if len(rooms) == 1 else TrackFeed(rooms)

    async def main() -> int:
        from natslab.tui.board import BoardApp

        await feed.start()
        try:
            app = BoardApp(feed, projector=projector)
            await app.run_async()
            return app.return_code or 0
        finally:
            await feed.close()

    return asyncio.run(main())


def serve_board(room: str, address: str, projector: bool, console: Console) -> int:
    """`class board --web`: one board process per browser tab, each reading the room with
    the instructor's login, as the terminal board does; only through the links printed."""
    import shlex

    from natslab.cli.class_start import listen_address
    from natslab.room.instructor.host import instructor_login
    from natslab.room.instructor.web_board import BoardServer, new_link
    from natslab.room.names import check_room

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
    from natslab.room.instructor.host import reachable_host

    shown = reachable_host(host)
    return f"[{shown}]" if ":" in shown else shown
