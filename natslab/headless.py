"""Headless output with rich: commands, status tables and notable events, no Textual."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence

from rich import box
from rich.console import Console
from rich.table import Table

from natslab.cluster import events as ev
from natslab.cluster.monitor import ServerStatus
from natslab.cluster.spec import ServerSpec, walkthrough_spec
from natslab.cluster.supervisor import Supervisor
from natslab.session import LabSession

EXPOSE_WARNING = (
    "--expose: client and monitoring ports listen on every interface with no password; "
    "anyone on this network can connect to these servers."
)


def describe_spec(console: Console, spec: ServerSpec) -> None:
    """Show the walkthrough's command and, apart from it, what natslab adds."""
    console.print(f"[bold]Server {spec.name}[/]")
    console.print(f"  walkthrough:  [cyan]{spec.walkthrough_command()}[/]")
    console.print(f"  natslab adds: [magenta]{spec.added_command()}[/]")


def status_table(supervisor: Supervisor, statuses: dict[str, ServerStatus]) -> Table:
    """One row per server: state, version, pid, ports, route peers, clients, CPU and memory."""
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    for column in ("Server", "State", "Version", "PID", "Ports c/r/m", "Peers"):
        table.add_column(column, no_wrap=True)
    for column in ("Clients", "CPU", "RSS"):
        table.add_column(column, justify="right", no_wrap=True)
    for name, status in sorted(statuses.items()):
        ports = supervisor.specs[name].ports
        state = "[green]up[/]" if status.up else f"[red]down[/] ({status.error})"
        cpu = f"{status.cpu_percent:.0f}%" if status.cpu_percent is not None else "-"
        rss = f"{status.rss_bytes / 2**20:.0f}M" if status.rss_bytes else "-"
        table.add_row(
            name,
            state,
            status.version or supervisor.binaries[name].version,
            str(supervisor.processes[name].pid),
            f"{ports.client}/{ports.cluster}/{ports.monitor}",
            " ".join(sorted(status.peer_names)) or "-",
            str(len(status.connections)),
            cpu,
            rss,
        )
    return table


class EventPrinter:
    """Prints the events a person watching the lab should notice, with relative times."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.started = time.time()
        self._said_at: dict[tuple[str, str], float] = {}

    def __call__(self, event: ev.ClusterEvent) -> None:
        line = self.describe(event)
        if line and not self._repeats(event.server, line, event.at):
            stamp = f"[dim]+{event.at - self.started:6.1f}s[/]"
            self.console.print(f"{stamp} {event.server}: {line}")

    def _repeats(self, server: str, line: str, at: float) -> bool:
        """2.10+ closes several connections per peer at once; say it once."""
        previous = self._said_at.get((server, line))
        self._said_at[(server, line)] = at
        return previous is not None and at - previous < 1.0

    @staticmethod
    def describe(event: ev.ClusterEvent) -> str | None:
        match event:
            case ev.ServerExited(expected=False, returncode=code, last_lines=lines):
                last = lines[-1] if lines else "no output"
                return f"[red]exited unexpectedly with code {code}[/]; last line: {last}"
            case ev.ServerExited(returncode=code):
                return f"stopped (exit code {code})"
            case ev.RouteClosed(reason="Duplicate Route"):
                return None  # routine: 2.10+ trims its route pool this way
            case ev.RouteClosed(remote=remote, reason=reason) if remote:
                return f"route to {remote} closed: {reason}"
            case ev.LameDuckEntered():
                return "[yellow]entered lame duck mode[/]"
            case ev.ClusterNameUpdated(cluster_name=name):
                return f"cluster name updated to {name}"
        return None


async def run_headless_lab(
    session: LabSession,
    names: Sequence[str],
    offset: int,
    expose: bool,
    console: Console,
) -> int:
    """Start the servers the walkthrough's way, wait for the mesh, print it, run until stopped."""
    supervisor = session.supervisor
    if expose:
        console.print(f"[bold yellow]Warning:[/] {EXPOSE_WARNING}")
    console.print(
        f"nats-server {session.binary.version} at {session.binary.path}\n"
        f"Run directory: {session.run_dir.path}\n"
    )
    for leftover in session.leftovers:
        console.print(
            f"[yellow]Leftover from an earlier run:[/] {leftover.describe()}; "
            "`natslab doctor --cleanup` stops it."
        )
    for name in names:
        spec = walkthrough_spec(name, offset, expose=expose)
        describe_spec(console, spec)
        with console.status(f"Starting server {name}…"):
            await supervisor.start(spec)
    with console.status(f"Waiting for the route mesh of {', '.join(names)}…"):
        statuses = await supervisor.wait_for_mesh(names)
    console.print()
    console.print(status_table(supervisor, statuses))
    console.print(f"Full mesh: {', '.join(names)}. Press Ctrl+C to stop every server.")
    supervisor.subscribe(EventPrinter(console))
    await asyncio.Event().wait()
    return 0
