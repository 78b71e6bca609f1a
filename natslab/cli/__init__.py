"""The `natslab` command: one parser made of each command family's module, each subcommand
run by the function its parser set (`run`), every NatslabError one sentence."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from natslab import __version__
from natslab.cli import classroom, lessons, options, reports, servers, watch
from natslab.errors import NatslabError


class Parser(argparse.ArgumentParser):
    """argparse with its errors as natslab's other errors are: one sentence (its usage block,
    printed first, pushed the sentence under a screenful of options)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (`{self.prog} --help` lists what it takes)\n")


def build_parser() -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = Parser(  # its subcommands are Parsers too (argparse)
        prog="natslab",
        description="A terminal lab for NATS cluster operations, on real nats-server processes.",
    )
    parser.add_argument("--version", action="version", version=f"natslab {__version__}")
    options.add_nats_server(parser, default=None)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    servers.add_doctor(commands)
    lessons.add_tutorial(commands)
    classroom.add_class(commands)
    reports.add_report(commands)
    watch.add_watch(commands)
    servers.add_server(commands)
    lessons.add_lab(commands)
    return parser


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
        return int(args.run(args, console))
    except NatslabError as exc:
        errors.print(f"[bold red]natslab:[/] {exc}")
        return 1
    except KeyboardInterrupt:
        errors.print("natslab: interrupted.")
        return 130


if __name__ == "__main__":
    sys.exit(main())
