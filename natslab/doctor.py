"""`natslab doctor`: is this machine ready, and did an earlier run leave servers behind?"""

from __future__ import annotations

from rich.console import Console

from natslab import __version__
from natslab.cluster.leftovers import find_leftovers, reap
from natslab.cluster.ports import (
    ephemeral_warning,
    find_free_offset,
    run_ports,
    taken_ports,
)
from natslab.cluster.rundir import runs_dir
from natslab.cluster.versions import find
from natslab.errors import NatslabError
from natslab.lessons import catalog

OK = "[green]✓[/]"
BAD = "[red]✗[/]"
WALKTHROUGH_SERVERS = ("A", "B", "C")


def run_doctor(
    console: Console,
    nats_server: str | None,
    offset: int | None,
    cleanup: bool,
    lesson: str | None = None,
) -> int:
    """Print one line per check; exit status 1 when any check failed. An offset of None is
    --port-offset auto: a free block is picked, as lab and tutorial would."""
    console.print(f"natslab {__version__}")
    servers: tuple[str, ...] = WALKTHROUGH_SERVERS
    links = False  # a lesson with links needs its link proxies' ports too
    if lesson is not None:
        loaded = catalog.load(lesson)
        servers, links = tuple(loaded.servers), loaded.links
        console.print(
            f"{OK} lesson {loaded.id!r} is valid: {len(loaded.steps)} steps, "
            f"servers {', '.join(servers)}"
        )
    if offset is None:
        offset = find_free_offset(servers, links=links)
        console.print(f"{OK} --port-offset auto picks {offset} here")
    checks = [
        _check_binary(console, nats_server),
        _check_ports(console, offset, servers, links),
        _check_leftovers(console, cleanup),
    ]
    if lesson is not None:
        verdict = "ready" if all(checks) else "not ready"
        console.print(
            f"This machine is {verdict} for `natslab tutorial {lesson}"
            + (f" --port-offset {offset}" if offset else "")
            + "`."
        )
    console.print(f"Runs are kept in {runs_dir()}")
    return 0 if all(checks) else 1


def _check_binary(console: Console, nats_server: str | None) -> bool:
    try:
        binary = find(nats_server)
    except NatslabError as exc:
        console.print(f"{BAD} {exc}")
        return False
    console.print(f"{OK} nats-server {binary.version} at {binary.path} (found via {binary.source})")
    return True


def _check_ports(
    console: Console, offset: int, servers: tuple[str, ...], links: bool = False
) -> bool:
    taken = taken_ports(servers, offset, links=links)  # the test lab and tutorial make
    ports = [port for port, _ in run_ports(servers, offset, links)]
    shifted = f" (offset {offset})" if offset else ""
    warning = ephemeral_warning(servers, offset, links)
    if warning:
        console.print(f"[yellow]![/] {warning}")
    if not taken:
        listed = " ".join(str(p) for p in sorted(ports))
        whose = f"servers {', '.join(servers)}" + (" and their link proxies" if links else "")
        console.print(f"{OK} The ports of {whose} are free{shifted}: {listed}")
        return True
    for message in taken:
        console.print(f"{BAD} {message}")
    return False


def _check_leftovers(console: Console, cleanup: bool) -> bool:
    leftovers = find_leftovers()
    if not leftovers:
        console.print(f"{OK} No servers left over from earlier runs.")
        return True
    if cleanup:
        for left in reap(leftovers):
            console.print(f"{OK} Stopped leftover {left.describe()}.")
        return not find_leftovers()
    for left in leftovers:
        console.print(f"{BAD} Leftover {left.describe()} is still running.")
    console.print("  Run `natslab doctor --cleanup` to stop them.")
    return False
