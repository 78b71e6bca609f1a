"""`natslab watch`: a real cluster's servers, through their monitoring URLs or the system
account, printed one change a line or on the lab's screen. It only reads."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from natslab.cli import options
from natslab.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from natslab.watch.runner import Rounds


def add_watch(commands: options.Commands) -> None:
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
        type=options.seconds(0.1, 60),
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
    watch.set_defaults(run=run_watch)


def run_watch(args: argparse.Namespace, console: Console) -> int:
    from natslab.watch.choose import WatchTarget, rounds_for

    target = WatchTarget(args.urls, args.context, args.server or "", args.creds or "",
                         args.user or "", args.password)  # fmt: skip
    rounds = rounds_for(target, args.interval, args.insecure)
    if not args.headless:
        if not options.interactive():
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
