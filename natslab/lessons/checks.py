"""Check registry: each check reads LabState and recent logs, and says pass or fail and why."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from natslab.cluster.logformat import message_of
from natslab.lessons import model as m
from natslab.lessons.port import CheckContext
from natslab.state import ClientState, ClientView, LabState, ServerState
from natslab.words import counted


@dataclass(frozen=True)
class Verdict:
    """Whether a check holds right now, and what was observed."""

    ok: bool
    observation: str


Evaluate = Callable[[Any, CheckContext, float], Verdict]
_REGISTRY: dict[type, tuple[Evaluate, Callable[[Any], str]]] = {}


def check(kind: type, describe: Callable[[Any], str]) -> Callable[[Evaluate], Evaluate]:
    """Register how to evaluate and describe one kind of check."""

    def register(evaluate: Evaluate) -> Evaluate:
        _REGISTRY[kind] = (evaluate, describe)
        return evaluate

    return register


def evaluate(item: m.Check, ctx: CheckContext, now: float) -> Verdict:
    return _REGISTRY[type(item)][0](item, ctx, now)


def describe(item: m.Check) -> str:
    return _REGISTRY[type(item)][1](item)


def registered() -> set[type]:
    return set(_REGISTRY)


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" or {names[-1]}"


def select(state: LabState, pattern: str, kind: str | None = None) -> list[ClientView]:
    """Lab clients that are still open and whose name matches (`*`, `sub-*`, `sub-1`)."""
    return sorted(
        (
            c
            for c in state.lab_clients()
            if c.state != ClientState.CLOSED
            and fnmatch.fnmatchcase(c.name, pattern)
            and (kind is None or c.kind == kind)
        ),
        key=lambda c: (len(c.name), c.name),
    )


def _unsettled(views: list[ClientView]) -> list[str]:
    return [f"{v.name} has had no message since it reconnected" for v in views if not v.settled]


def _where(view: ClientView) -> str:
    if view.state == ClientState.CONNECTED:
        return f"{view.name} is on {view.server}"
    return f"{view.name} is {view.state}"


def _summarise(items: list[str], limit: int = 6) -> str:
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")


# --- servers -------------------------------------------------------------------------


@check(m.ServerIsReady, lambda c: f"{c.server} is ready")
def _ready(c: m.ServerIsReady, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.servers.get(c.server)
    if view is None:
        return Verdict(False, f"{c.server} was never started")
    ok = view.state in (ServerState.RUNNING, ServerState.LAME_DUCK)
    pid = f" (pid {view.pid}, nats-server {view.version})" if ok else ""
    return Verdict(ok, f"{c.server} is {view.state}{pid}")


@check(m.ServerStopped, lambda c: f"{c.server} has stopped")
def _stopped(c: m.ServerStopped, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.servers.get(c.server)
    if view is None:
        return Verdict(True, f"{c.server} was never started")
    code = f" (exit code {view.exit_code})" if view.exit_code is not None else ""
    return Verdict(not view.up, f"{c.server} is {view.state}{code}")


@check(m.Healthz, lambda c: f"{c.server} answers /healthz with 200")
def _healthz(c: m.Healthz, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.servers.get(c.server)
    ok = bool(view and view.up and view.healthy)
    return Verdict(ok, f"/healthz of {c.server}: {'200 ok' if ok else 'not healthy yet'}")


# --- logs ----------------------------------------------------------------------------


@check(m.LogContains, lambda c: f"{c.server}'s log matches /{c.pattern}/")
def _log_contains(c: m.LogContains, ctx: CheckContext, now: float) -> Verdict:
    since = ctx.step_started_at if c.since_step else 0.0
    found = ctx.lab.logs.matches(c.server, ctx.compile(c.pattern), since)
    if not found:
        return Verdict(False, f"no line of {c.server}'s log matched yet")
    count = f" ({len(found)} lines)" if len(found) > 1 else ""
    return Verdict(True, f"{message_of(found[0][1])}{count}")


@check(m.LogAbsent, lambda c: f"{c.server}'s log is quiet of /{c.pattern}/ for {c.quiet_for:g} s")
def _log_absent(c: m.LogAbsent, ctx: CheckContext, now: float) -> Verdict:
    found = ctx.lab.logs.matches(c.server, ctx.compile(c.pattern), 0.0)
    if not found:
        return Verdict(True, "never logged")
    last = found[-1][0]
    quiet = now - last
    after = last - ctx.step_started_at
    when = f"{after:.1f} s after this step began" if after >= 0 else "before this step"
    return Verdict(quiet >= c.quiet_for, f"last logged {when}; quiet for {max(quiet, 0):.1f} s")


# --- routes --------------------------------------------------------------------------


def _peers(state: LabState, names: list[str]) -> str:
    return "; ".join(
        f"{n} peers: {' '.join(sorted(state.servers[n].route_peers)) or 'none'}"
        if n in state.servers
        else f"{n} not started"
        for n in names
    )


@check(m.RouteMesh, lambda c: f"full route mesh {'-'.join(c.servers)}")
def _mesh(c: m.RouteMesh, ctx: CheckContext, now: float) -> Verdict:
    state = ctx.state
    return Verdict(state.is_full_mesh(c.servers), _peers(state, c.servers))


@check(m.RoutePeers, lambda c: f"{c.server}'s route peers are {' '.join(c.peers) or 'none'}")
def _route_peers(c: m.RoutePeers, ctx: CheckContext, now: float) -> Verdict:
    state = ctx.state
    view = state.servers.get(c.server)
    ok = view is not None and view.route_peers == frozenset(c.peers)
    return Verdict(ok, _peers(state, [c.server]))


# --- clients -------------------------------------------------------------------------


@check(m.ClientOn, lambda c: f"{c.clients} on {_either(c.servers)}")
def _client_on(c: m.ClientOn, ctx: CheckContext, now: float) -> Verdict:
    views = select(ctx.state, c.clients)
    if not views:
        return Verdict(False, f"no open lab client matches {c.clients!r}")
    wrong = [v for v in views if v.state != ClientState.CONNECTED or v.server not in c.servers]
    if wrong:
        shown = [f"{_where(v)}; expected {_either(c.servers)}" for v in wrong]
        return Verdict(False, _summarise(shown))
    counts = {s: sum(v.server == s for v in views) for s in c.servers}
    split = ", ".join(f"{n} on {s}" for s, n in counts.items() if n)
    return Verdict(True, f"{counted(len(views), 'client')}: {split}")


@check(
    m.ClientsSpread,
    lambda c: f"at least {c.at_least} of {c.clients} on each of {', '.join(c.servers)}",
)
def _spread(c: m.ClientsSpread, ctx: CheckContext, now: float) -> Verdict:
    views = select(ctx.state, c.clients)
    counts = {
        s: sum(v.server == s and v.state == ClientState.CONNECTED for v in views) for s in c.servers
    }
    ok = all(n >= c.at_least for n in counts.values())
    return Verdict(ok, ", ".join(f"{s}: {n}" for s, n in counts.items()))


@check(m.NoClientsOn, lambda c: f"no client on {c.server}")
def _no_clients(c: m.NoClientsOn, ctx: CheckContext, now: float) -> Verdict:
    left = ctx.state.clients_on(c.server)
    if left:
        return Verdict(False, f"still on {c.server}: " + _summarise([v.name for v in left]))
    return Verdict(True, f"{c.server} has no clients")


@check(m.ClientKnows, lambda c: f"{c.clients} know {', '.join(c.servers)}")
def _knows(c: m.ClientKnows, ctx: CheckContext, now: float) -> Verdict:
    state = ctx.state
    views = select(state, c.clients)
    if not views:
        return Verdict(False, f"no open lab client matches {c.clients!r}")
    missing = [
        f"{v.name} knows only {' '.join(sorted(v.known_servers())) or 'nothing'}"
        for v in views
        if not set(c.servers) <= v.known_servers()
    ]
    if missing:
        return Verdict(False, _summarise(missing))
    return Verdict(True, _learning_times(state, views, c.servers))


def _learning_times(state: LabState, views: list[ClientView], servers: list[str]) -> str:
    """For servers that became ready after the clients connected: how long gossip took."""
    notes = []
    for name in servers:
        ready = state.servers[name].ready_at if name in state.servers else None
        delays = [
            learned - ready
            for v in views
            if ready is not None
            and v.connected_at is not None
            and v.connected_at < ready
            and (learned := v.learned_at(name)) is not None
        ]
        if delays:
            notes.append(f"learned {name} {max(delays) * 1000:.0f} ms after it was ready")
    known = "; ".join(notes) or "all known when they connected"
    return f"{counted(len(views), 'client')}: {known}"


@check(m.ClientReportedError, lambda c: f"{c.clients} report errors matching /{c.pattern}/")
def _client_error(c: m.ClientReportedError, ctx: CheckContext, now: float) -> Verdict:
    pattern = ctx.compile(c.pattern)
    hit = {
        v.name: message
        for v in select(ctx.state, c.clients)
        for message in v.error_kinds
        if pattern.search(message)
    }
    if len(hit) < c.at_least:
        return Verdict(False, f"{counted(len(hit), 'client')} so far (need {c.at_least})")
    example = next(iter(hit.values()))
    return Verdict(True, f"{counted(len(hit), 'client')}, e.g. {example}")


@check(m.MessagesLost, lambda c: f"{c.clients} lost at most {c.at_most} messages each")
def _lost(c: m.MessagesLost, ctx: CheckContext, now: float) -> Verdict:
    views = select(ctx.state, c.clients)
    if not views:
        return Verdict(False, f"no open lab client matches {c.clients!r}")
    ok = all(v.lost <= c.at_most for v in views)
    return Verdict(
        ok, _summarise([f"{v.name} lost {v.lost} of {v.received + v.lost}" for v in views])
    )


@check(
    m.Drained,
    lambda c: (
        f"{c.server} drained of clients"
        + (f" over at least {c.min_seconds:g} s" if c.min_seconds else "")
    ),
)
def _drained(c: m.Drained, ctx: CheckContext, now: float) -> Verdict:
    state = ctx.state
    view = state.servers.get(c.server)
    start = (view.lame_duck_at if view else None) or ctx.step_started_at
    # A client still reconnecting has not left yet: it counts as on the server.
    left = [v for v in state.clients.values() if v.server == c.server and v.state in _OPEN]
    moves = sorted(
        v.moved_at
        for v in state.lab_clients()
        if v.previous_server == c.server and v.moved_at is not None and v.moved_at >= start
    )
    curve = _drain_curve(len(moves) + len(left), moves, start)
    if left:
        return Verdict(False, f"{len(left)} still on {c.server}; {curve}")
    took = (moves[-1] - start) if moves else 0.0
    return Verdict(took >= c.min_seconds, f"drained in {took:.1f} s; {curve}")


_OPEN = (ClientState.CONNECTED, ClientState.RECONNECTING)


def _drain_curve(total: int, moves: list[float], start: float) -> str:
    points = [f"{total}@0s"] + [f"{total - i}@{t - start:.1f}s" for i, t in enumerate(moves, 1)]
    return "clients over time: " + " ".join(points[:12]) + (" …" if len(points) > 12 else "")


@check(m.Report, lambda c: f"report: {c.what} of {c.clients}")
def _report(c: m.Report, ctx: CheckContext, now: float) -> Verdict:
    """Waits until the numbers are final (every client settled), then always passes."""
    kind = None if c.what == "spread" else "subscriber"
    views = select(ctx.state, c.clients, kind)
    waiting = [f"{v.name} is {v.state}" for v in views if v.state != ClientState.CONNECTED]
    if c.what == "loss":
        waiting += _unsettled(views)
    if waiting:
        return Verdict(False, _summarise(waiting))
    if c.what == "loss":
        items = [f"{v.name} lost {v.lost}" for v in views]
    elif c.what == "gaps":
        items = [
            f"{v.name} {v.previous_server or '?'}->{v.server} in {v.last_gap_ms:.0f} ms"
            for v in views
            if v.last_gap_ms is not None
        ]
    else:
        counts: dict[str, int] = {}
        for v in views:
            if v.server:
                counts[v.server] = counts.get(v.server, 0) + 1
        items = [f"{s}: {n}" for s, n in sorted(counts.items())]
    return Verdict(True, ", ".join(items) or "nothing to report")
