"""Running a lab or lesson session from the command line: in the terminal UI or not, and
reporting to the workshop room this natslab joined, if any."""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from natslab.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from natslab.lab.local import LabSession
    from natslab.room.participant.uplink import Uplink
    from natslab.tui.app import NatsLabApp

Main = Callable[["LabSession"], Coroutine[Any, Any, int]]


def join_first(args: argparse.Namespace, console: Console) -> None:
    """`--class JOIN-LINE`: join that room unless this natslab already reports to it."""
    if args.class_line is None:
        if args.name is not None:
            raise UsageError("--name goes with --class JOIN-LINE (your name in that room).")
        return
    from natslab.cli.class_verbs import join_room
    from natslab.room.names import parse_join_line
    from natslab.room.participant.membership import current

    line = parse_join_line(args.class_line)
    member = current()
    joined = member is not None and (member.url, member.room) == (line.url, line.room)
    if joined and args.name in (None, member.name if member else None):
        return  # already in that room (as that name): nothing to ask
    join_room(line, args.name, console)


def uplink_of(session: LabSession) -> Uplink | None:
    """The uplink to the class room this natslab joined (`natslab class join`), if any."""
    from natslab.room.participant.membership import current

    member = current()
    if member is None:
        return None
    from natslab.room.participant.reveal import crashed_servers, running_versions
    from natslab.room.participant.uplink import Uplink

    uplink = Uplink(
        member,
        session.run_dir.path.name,
        versions=lambda: running_versions(session.state),
        crashed=lambda: crashed_servers(session.state),
    )
    session.bus.subscribe(uplink)
    return uplink


def in_room(main: Main, uplink: Uplink | None, console: Console | None = None) -> Main:
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


def run_tui(session: LabSession, app: NatsLabApp, uplink: Uplink | None = None) -> int:
    """Run the app inside the session, so every server stops however the app ends."""

    async def main(_: LabSession) -> int:
        await app.run_async()
        return app.return_code or 0

    # On SIGHUP (the terminal went away) or SIGTERM, let Textual exit and restore the tty.
    status = session.run(in_room(main, uplink), stop=lambda signum: app.exit(128 + signum))
    with contextlib.suppress(OSError):  # no terminal left to say it to, after a SIGHUP
        print(
            f"This run is saved in {session.run_dir.path}; "
            f"`natslab report {session.run_dir.path}` turns it into a page."
        )
    return status
