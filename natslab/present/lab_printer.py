"""Headless output with rich: commands, status tables and notable events, no Textual."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from natslab.cluster.spec import ServerSpec
from natslab.lab.local import LabSession
from natslab.lab.operations import StartServer
from natslab.lab.operator import start_plan
from natslab.present.notices import InternalErrors
from natslab.present.timeline_words import words
from natslab.state import ClientState, LabState

EXPOSE_WARNING = (
    "--expose: client and monitoring ports listen on every interface with no password; "
    "anyone on this network can connect to these servers."
)


def describe_spec(console: Console, spec: ServerSpec, config: Path | None = None) -> None:
    """Show the walkthrough's command and, apart from it, what natslab adds (with the
    config file, where JetStream and the rest of a fragment are)."""
    console.print(Text(f"Server {spec.name}", style="bold"))
    console.print(Text.assemble("  walkthrough:  ", (spec.walkthrough_command(), "cyan")))
    console.print(Text.assemble("  natslab adds: ", (spec.added_command(config), "magenta")))


def status_table(state: LabState, names: Sequence[str]) -> Table:
    """One row per server, as LabState knows it: state, version, pid, ports, route peers,
    clients, CPU and memory."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("Server", "State", "Version", "PID", "Ports c/r/m", "Peers"):
        table.add_column(column, no_wrap=True)
    for column in ("Clients", "CPU", "RSS"):
        table.add_column(column, justify="right", no_wrap=True)
    for name in sorted(names):
        view = state.servers[name]
        up = Text("up", "green") if view.up else Text.assemble(("down", "red"), f" ({view.state})")
        cpu = f"{view.cpu_percent:.0f}%" if view.cpu_percent is not None else "-"
        rss = f"{view.rss_bytes / 2**20:.0f}M" if view.rss_bytes else "-"
        table.add_row(
            Text(name),
            up,
            view.version,
            str(view.pid),
            f"{view.client_port}/{view.cluster_port}/{view.monitor_port}",
            " ".join(sorted(view.route_peers)) or "-",
            str(len(view.connections)),
            cpu,
            rss,
        )
    return table


def client_table(state: LabState) -> Table:
    """Where every client is, what it knows (* = learned by gossip), and what it lost."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("Client", "On", "Knows", "Reconnects", "Last gap", "Received", "Lost"):
        table.add_column(column, no_wrap=True)
    for view in sorted(state.clients.values(), key=lambda c: (c.external, c.name)):
        gossip = view.learned_by_gossip()
        knows = " ".join(f"{s}*" if s in gossip else s for s in sorted(view.known_servers()))
        gap = f"{view.last_gap_ms:.0f} ms" if view.last_gap_ms is not None else "-"
        where = view.server or "-"
        if view.state != ClientState.CONNECTED:
            where = f"({view.state})"
        table.add_row(  # a client's name is its application's: Text, never markup
            Text(view.name + (" (external)" if view.external else "")),
            Text(where),
            Text(knows or "-"),
            str(view.reconnects),
            gap,
            str(view.received),
            str(view.lost),
        )
    return table


_KIND_STYLE = {"move": "cyan", "lame duck": "yellow", "route": "green", "gossip": "blue"}


class TimelinePrinter:
    """Prints each new LabState timeline entry as it appears, with the time since start."""

    def __init__(self, state: LabState, console: Console) -> None:
        self.state = state
        self.console = console
        self.printed = state.noted

    def __call__(self, _event: object) -> None:
        entries = self.state.entries_since(self.printed)
        self.printed = self.state.noted
        origin = self.state.started_at or 0.0
        for entry in entries:
            style = "red" if entry.alarm else _KIND_STYLE.get(entry.kind, "")
            stamp = (f"+{entry.at - origin:7.2f}s", "dim")
            self.console.print(Text.assemble(stamp, " ", (words(entry), style)))


async def run_headless_lab(
    session: LabSession,
    names: Sequence[str],
    console: Console,
    subscribers: int = 0,
) -> int:
    """Start the servers the walkthrough's way, wait for the mesh, print it, run until stopped."""
    session.bus.subscribe(InternalErrors())
    if session.source.settings.expose:
        console.print(f"[bold yellow]Warning:[/] {EXPOSE_WARNING}")
    console.print(
        f"nats-server {session.source.binary.version} at {session.source.binary.path}\n"
        f"Run directory: {session.run_dir.path}\n"
    )
    for leftover in session.leftovers:
        console.print(
            f"[yellow]Leftover from an earlier run:[/] {leftover.describe()}; "
            "`natslab doctor --cleanup` stops it."
        )
    for entry in start_plan(names, subscribers):
        if isinstance(entry.operation, StartServer):
            spec = session.source.operator.spec_for(entry.operation)
            describe_spec(console, spec, session.run_dir.config_path(spec.name))
        with console.status(f"{entry.title}…"):
            await session.take(entry)
    # Listening before the first poll: what it finds (a meta leader elected while the
    # servers started) is printed too, after the table below.
    session.bus.subscribe(TimelinePrinter(session.state, console))
    session.start_polling(idle_interval=2.0)  # a headless lab mostly sits idle
    console.print()
    console.print(status_table(session.state, names))
    console.print(f"Full mesh: {', '.join(names)}.")
    if leader := session.state.jetstream.meta_leader:  # found by start-up's own polls
        console.print(f"JetStream meta leader: {leader}")
    if subscribers:
        console.print(client_table(session.state))
    console.print("Press Ctrl+C to stop every server.")
    await asyncio.Event().wait()
    return 0
