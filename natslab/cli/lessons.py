"""`natslab tutorial` (a lesson, or the list of them) and `natslab lab` (free-form, or
`lab validate` for a lesson file)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from natslab.cli import options
from natslab.cli.in_room import in_room, join_first, run_tui, uplink_of
from natslab.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console


def add_tutorial(commands: options.Commands) -> None:
    tutorial = commands.add_parser(
        "tutorial",
        help="walk through a lesson against real servers ('list' shows them, course by course)",
    )
    tutorial.add_argument(
        "lesson", metavar="LESSON", help="a bundled lesson (e.g. upgrade), a .toml file, or list"
    )
    tutorial.add_argument(
        "--course",
        metavar="NAME",
        help="with list: only this course's lessons, in order (e.g. operations)",
    )
    options.add_run_options(tutorial)
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
        type=options.seconds(0, 600),
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
    tutorial.set_defaults(run=run_tutorial)


def add_lab(commands: options.Commands) -> None:
    lab = commands.add_parser(
        "lab",
        help="a free-form lab with the walkthrough's servers",
        # argparse would print "SUBCOMMAND ..." as if one were needed: the lab is the default.
        usage="%(prog)s [options]\n       %(prog)s validate FILE",
    )
    lab_commands = lab.add_subparsers(dest="lab_command", metavar="SUBCOMMAND")
    validate = lab_commands.add_parser("validate", help="check a lesson file without running it")
    validate.add_argument("file", type=Path, metavar="FILE")
    validate.set_defaults(run=lambda args, console: run_validate(args.file, console))
    options.add_run_options(lab)
    lab.add_argument(
        "--servers",
        default="A,B,C",
        type=options.server_names,
        help="comma-separated servers to start, each a letter A-I (default: A,B,C)",
    )
    lab.add_argument(
        "--links",
        action="store_true",
        help="route every pair of servers through a link proxy of natslab's, which the "
        "palette can cut, black-hole, delay and heal (A, B and at most one more server)",
    )
    lab.add_argument(
        "--jetstream",
        action="store_true",
        help="run every server with JetStream, in one cluster named lab; the palette then "
        "offers streams, a ledger, mirrors, backups and peer-removal",
    )
    lab.add_argument(
        "--subscribers",
        type=options.count,
        default=0,
        metavar="N",
        help='start N subscribers on the first server, like `nats sub ">"` (default: 0)',
    )
    lab.set_defaults(run=run_lab)


def run_lab(args: argparse.Namespace, console: Console) -> int:
    from natslab.lab.local import open_lab
    from natslab.lab.settings import RunSettings

    options.require_terminal(args)
    join_first(args, console)
    if args.links:
        options.links_mesh(args.servers)
    offset = options.resolve_offset(args.port_offset, args.servers, args.expose, args.links)
    settings = RunSettings(
        offset=offset, expose=args.expose, links=args.links, jetstream=args.jetstream
    )
    session = open_lab(args.nats_server, settings=settings)
    if args.headless:
        from natslab.present.lab_printer import run_headless_lab

        return session.run(lambda s: run_headless_lab(s, args.servers, console, args.subscribers))
    from natslab.tui.app import NatsLabApp

    uplink = uplink_of(session)
    app = NatsLabApp(
        session, args.servers, start_servers=True, subscribers=args.subscribers, room=uplink
    )
    return run_tui(session, app, uplink)


def run_tutorial(args: argparse.Namespace, console: Console) -> int:
    from natslab.lessons import catalog

    if args.lesson == "list":
        return list_lessons(console, args.course)
    if args.course is not None:
        raise UsageError(
            f"--course is for `natslab tutorial list --course {args.course}`: a lesson runs "
            "the same in any course."
        )
    lesson = catalog.load(args.lesson)
    from natslab.lessons.model import parse_answers

    answers = parse_answers(lesson, args.answers) if args.answers is not None else []
    if args.pace and not args.headless:
        raise UsageError(
            "--pace is for --headless runs: in the UI the learner sets the pace "
            "(and --auto waits --auto-pause seconds between steps)."
        )
    options.require_terminal(args)
    join_first(args, console)
    from natslab.cluster.versions import resolve
    from natslab.lab.local import open_lab
    from natslab.lab.settings import RunSettings

    upgrade = None
    if args.upgrade_binary is not None:
        with console.status(f"Preparing nats-server {args.upgrade_binary}…"):
            upgrade = resolve(args.upgrade_binary, "--to").path
    offset = options.resolve_offset(args.port_offset, lesson.servers, args.expose, lesson.links)
    settings = RunSettings(
        offset=offset, expose=args.expose, upgrade_binary=upgrade, links=lesson.links
    )
    start_with = args.from_binary or args.nats_server
    with console.status(f"Preparing nats-server {start_with or ''}…"):
        session = open_lab(start_with, settings=settings)
    if args.headless:
        from natslab.present.lesson_printer import run_headless_lesson

        return session.run(
            in_room(
                lambda s: run_headless_lesson(
                    s, lesson, console, args.json, answers=answers, pace=args.pace
                ),
                uplink_of(session),
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
        room=(uplink := uplink_of(session)),
    )
    return run_tui(session, app, uplink)


def list_lessons(console: Console, only: str | None = None) -> int:
    from natslab.present.lesson_list import print_lessons

    print_lessons(console, only)
    return 0


def run_validate(path: Path, console: Console) -> int:
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
