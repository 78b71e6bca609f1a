"""Check registry: each check reads LabState and recent logs, and says pass or fail and why."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from natslab.cluster.logformat import message_of
from natslab.lessons import model as m
from natslab.lessons.lab_protocol import CheckContext
from natslab.lessons.wording import pattern_words, who
from natslab.state import ClientState, ClientView, LabState, ServerState
from natslab.words import both, counted, either, tally


@dataclass(frozen=True)
class Verdict:
    """Whether a check holds right now, and what was observed."""

    ok: bool
    observation: str
    cited: str = ""  # the log line the observation quotes, for the pane to mark
    figure: float | None = None  # the number a room compares across runs (loss, gap in s)


Evaluate = Callable[[Any, CheckContext, float], Verdict]
Describe = Callable[[Any, CheckContext], str]
_REGISTRY: dict[type, tuple[Evaluate, Describe]] = {}


def check(kind: type, describe: Describe) -> Callable[[Evaluate], Evaluate]:
    """Register how to evaluate and describe one kind of check."""

    def register(evaluate: Evaluate) -> Evaluate:
        _REGISTRY[kind] = (evaluate, describe)
        return evaluate

    return register


def evaluate(item: m.Check, ctx: CheckContext, now: float) -> Verdict:
    return _REGISTRY[type(item)][0](item, ctx, now)


# Claims about a running server: once that server has gone during the step, they cannot come
# true before their timeout (nothing restarts it while checks run), so waiting on is pointless.
_NEED_A_RUNNING_SERVER = (
    m.ServerIsReady, m.LogContains, m.RouteMesh, m.RoutePeers, m.Healthz, m.ServerVersion,
)  # fmt: skip


def gone_meanwhile(item: m.Check, ctx: CheckContext) -> str:
    """Why a failing check can no longer pass: a server it needs stopped or crashed since
    the step began, in a sentence; empty when none did."""
    if not isinstance(item, _NEED_A_RUNNING_SERVER):
        return ""
    names = getattr(item, "servers", None) or [item.server]  # type: ignore[union-attr]
    for name in names:
        view = ctx.state.servers.get(name)
        gone = view is not None and view.state in (ServerState.STOPPED, ServerState.CRASHED)
        if gone and view is not None and (view.stopped_at or 0.0) >= ctx.step_started_at:
            how = view.stopped_from_outside or f"exit code {view.exit_code}"
            return f"{name} {view.state} while the check waited ({how})"
    return ""


def describe(item: m.Check, ctx: CheckContext) -> str:
    """What the check claims, in words; a held claim says for how long."""
    claim = _REGISTRY[type(item)][1](item, ctx)
    return claim + (f", and stays so for {item.holds_for:g} s" if item.holds_for else "")


def registered() -> set[type]:
    return set(_REGISTRY)


def _quoted(pattern: str, ctx: CheckContext) -> str:
    return pattern_words(pattern, lambda server, kind: getattr(ctx.lab.ports(server), kind))


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
    return [
        f"{v.name} has had no message since it {'reconnected' if v.reconnects else 'connected'}"
        for v in views
        if not v.settled
    ]


def _where(view: ClientView) -> str:
    if view.state == ClientState.CONNECTED:
        return f"{view.name} is on {view.server}"
    return f"{view.name} is {view.state}"


def _summarise(items: list[str], limit: int = 6) -> str:
    shown = "; ".join(items[:limit])
    return shown + (f"; and {len(items) - limit} more" if len(items) > limit else "")


# --- servers -------------------------------------------------------------------------


@check(m.ServerIsReady, lambda c, _: f"{c.server} is ready")
def _ready(c: m.ServerIsReady, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.servers.get(c.server)
    if view is None:
        return Verdict(False, f"{c.server} was never started")
    ok = view.state in (ServerState.RUNNING, ServerState.LAME_DUCK)
    pid = f" (pid {view.pid}, nats-server {view.version})" if ok else ""
    return Verdict(ok, f"{c.server} is {view.state}{pid}")


@check(m.ServerStopped, lambda c, _: f"{c.server} has stopped")
def _stopped(c: m.ServerStopped, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.servers.get(c.server)
    if view is None:
        return Verdict(True, f"{c.server} was never started")
    code = f" (exit code {view.exit_code})" if view.exit_code is not None else ""
    return Verdict(not view.up, f"{c.server} is {view.state}{code}")


def _version_claim(c: m.ServerVersion, ctx: CheckContext) -> str:
    expected = ctx.lab.expected_version(c.binary)
    if c.binary == "upgrade" and expected == ctx.lab.expected_version("default"):
        # No upgrade binary given (or the same version): "the upgrade binary" read oddly.
        return f"{c.server} reports nats-server {expected}, the version it started with"
    return f"{c.server} reports the {c.binary} binary's version, nats-server {expected}"


@check(m.ServerVersion, _version_claim)
def _version(c: m.ServerVersion, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.servers.get(c.server)
    if view is None or not view.up:
        return Verdict(False, f"{c.server} is not running")
    if not view.varz_version:
        return Verdict(False, f"{c.server} has not answered /varz yet")
    expected = ctx.lab.expected_version(c.binary)
    was = view.previous_version
    if was and was != view.varz_version:
        said = f"{was} before the restart, {view.varz_version} now"
    else:
        said = view.varz_version + (" (as before the restart)" if was else "")
    return Verdict(view.varz_version == expected, f"/varz of {c.server} says {said}")


@check(m.Healthz, lambda c, _: f"{c.server} answers /healthz with 200")
def _healthz(c: m.Healthz, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.servers.get(c.server)
    ok = bool(view and view.up and view.healthy)
    return Verdict(ok, f"/healthz of {c.server}: {'200 ok' if ok else 'not healthy yet'}")


# --- logs ----------------------------------------------------------------------------


@check(m.LogContains, lambda c, ctx: f"{c.server}'s log shows {_quoted(c.pattern, ctx)}")
def _log_contains(c: m.LogContains, ctx: CheckContext, now: float) -> Verdict:
    since = ctx.step_started_at if c.since_step else 0.0
    found = ctx.lab.logs.matches(c.server, ctx.compile(c.pattern), since)
    if not found:
        return Verdict(False, f"no line of {c.server}'s log matched yet")
    count = f" ({len(found)} lines)" if len(found) > 1 else ""
    return Verdict(True, f"{message_of(found[0][1])}{count}", cited=found[0][1])


@check(
    m.LogAbsent,
    lambda c, ctx: f"{c.server}'s log shows no {_quoted(c.pattern, ctx)} for {c.quiet_for:g} s",
)
def _log_absent(c: m.LogAbsent, ctx: CheckContext, now: float) -> Verdict:
    # The quiet must be seen in this step and from the server's current process: time before
    # the step, or lines of a process since replaced, prove nothing about what happens now.
    view = ctx.state.servers.get(c.server)
    started = view.started_at if view is not None and view.started_at else 0.0
    since = max(ctx.step_started_at, started)
    found = ctx.lab.logs.matches(c.server, ctx.compile(c.pattern), since)
    quiet_since = found[-1][0] if found else since
    quiet = max(now - quiet_since, 0.0)
    start = "this step began" if since == ctx.step_started_at else f"{c.server} started"
    seen = (
        f"last seen {found[-1][0] - since:.1f} s after {start}"
        if found
        else f"not seen since {start}"
    )
    return Verdict(quiet >= c.quiet_for, f"{seen}; quiet for {quiet:.1f} s")


# --- routes --------------------------------------------------------------------------


def _peers(state: LabState, names: list[str]) -> str:
    return "; ".join(
        f"{n} peers: {' '.join(sorted(state.servers[n].route_peers)) or 'none'}"
        if n in state.servers
        else f"{n} not started"
        for n in names
    )


@check(
    m.RouteMesh,
    lambda c, _: f"{both(c.servers)} are {'all ' * (len(c.servers) > 2)}routed to each other",
)
def _mesh(c: m.RouteMesh, ctx: CheckContext, now: float) -> Verdict:
    state = ctx.state
    return Verdict(state.is_full_mesh(c.servers), _peers(state, c.servers))


@check(
    m.RoutePeers,
    lambda c, _: (
        f"{c.server}'s route peers are exactly {both(c.peers)}"
        if c.peers
        else f"{c.server} has no route peer"
    ),
)
def _route_peers(c: m.RoutePeers, ctx: CheckContext, now: float) -> Verdict:
    state = ctx.state
    view = state.servers.get(c.server)
    ok = view is not None and view.route_peers == frozenset(c.peers)
    return Verdict(ok, _peers(state, [c.server]))


@check(
    m.ClusterName,
    lambda c, _: (
        f"{both(c.servers)} report "
        + (f"the cluster name {c.name!r}" if c.name else "one cluster name")
    ),
)
def _cluster_name(c: m.ClusterName, ctx: CheckContext, now: float) -> Verdict:
    views = [ctx.state.servers.get(name) for name in c.servers]
    said = "; ".join(
        f"{name}: {view.cluster_name or '?'}" if view is not None and view.up else f"{name}: down"
        for name, view in zip(c.servers, views, strict=True)
    )
    names = {view.cluster_name for view in views if view is not None and view.up}
    up = all(view is not None and view.up for view in views)
    ok = up and len(names) == 1 and "" not in names and (c.name is None or names == {c.name})
    return Verdict(ok, said)


@check(
    m.GatewayConnected,
    lambda c, _: (
        f"{c.server}'s gateways reach exactly cluster {both(c.clusters)}"
        if c.clusters
        else f"{c.server} has no gateway connection"
    ),
)
def _gateway_connected(c: m.GatewayConnected, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.servers.get(c.server)
    if view is None or not view.up:
        return Verdict(False, f"{c.server} is not running")
    reached = sorted(view.gateway_peers)
    said = f"{c.server}'s gateways reach: {', '.join(reached) or 'no cluster'}"
    return Verdict(reached == sorted(c.clusters), said)


@check(
    m.LeafConnected,
    lambda c, _: (
        f"{c.server}'s leaf node connections reach exactly {both(c.peers)}"
        if c.peers
        else f"{c.server} has no leaf node connection"
    ),
)
def _leaf_connected(c: m.LeafConnected, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.servers.get(c.server)
    if view is None or not view.up:
        return Verdict(False, f"{c.server} is not running")
    leafs = sorted(view.leaf_peers)
    said = f"{c.server}'s leaf connections: {', '.join(leafs) or 'none'}"
    return Verdict(leafs == sorted(c.peers), said)


# --- clients -------------------------------------------------------------------------


@check(m.ClientOn, lambda c, _: f"{who(c.clients)} is on {either(c.servers)}")
def _client_on(c: m.ClientOn, ctx: CheckContext, now: float) -> Verdict:
    views = select(ctx.state, c.clients)
    if not views:
        return Verdict(False, f"no open lab client matches {c.clients!r}")
    wrong = [v for v in views if v.state != ClientState.CONNECTED or v.server not in c.servers]
    if wrong:
        shown = [f"{_where(v)}; expected {either(c.servers)}" for v in wrong]
        return Verdict(False, _summarise(shown))
    counts = {s: sum(v.server == s for v in views) for s in c.servers}
    split = ", ".join(f"{n} on {s}" for s, n in counts.items() if n)
    return Verdict(True, f"{counted(len(views), 'client')}: {split}")


@check(
    m.ClientsSpread,
    lambda c, _: (
        f"{who(c.clients)} is spread over {both(c.servers)}, "
        + f"at least {counted(c.at_least, 'client')} on each"
    ),
)
def _spread(c: m.ClientsSpread, ctx: CheckContext, now: float) -> Verdict:
    views = select(ctx.state, c.clients)
    counts = {
        s: sum(v.server == s and v.state == ClientState.CONNECTED for v in views) for s in c.servers
    }
    ok = all(n >= c.at_least for n in counts.values())
    return Verdict(ok, ", ".join(f"{s}: {n}" for s, n in counts.items()))


@check(m.NoClientsOn, lambda c, _: f"no client is left on {c.server}")
def _no_clients(c: m.NoClientsOn, ctx: CheckContext, now: float) -> Verdict:
    left = ctx.state.not_yet_left(c.server)
    if left:
        return Verdict(False, f"not yet off {c.server}: " + _summarise([_where(v) for v in left]))
    return Verdict(True, f"{c.server} has no clients, and none is still reconnecting from it")


@check(m.ClientKnows, lambda c, _: f"{who(c.clients)} knows {both(c.servers)}")
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
    """For servers started after the clients connected: how long gossip took, counted from
    the server's start (natslab's action), beside when its first route came up."""
    notes = []
    for name in servers:
        view = state.servers.get(name)
        started = view.started_at if view is not None else None
        delays = [
            learned - started
            for v in views
            if started is not None
            and v.connected_at is not None
            and v.connected_at < started
            and (learned := v.learned_at(name)) is not None
        ]
        if started is not None and delays:
            routed = view.routed_at if view is not None else None
            route = f", its first route {_ms(routed - started)} after it started" if routed else ""
            notes.append(f"learned {name} {_ms(max(delays))} after it started{route}")
    known = "; ".join(notes) or "all known when they connected"
    return f"{counted(len(views), 'client')}: {known}"


def _ms(seconds: float) -> str:
    # Two clocks' readings of one moment can differ by a hair; never show a negative delay.
    return f"{max(seconds, 0.0) * 1000:.0f} ms"


@check(
    m.ClientReportedError,
    lambda c, ctx: (
        f"at least {counted(c.at_least, 'client')} ({who(c.clients)}) reported an error like "
        f"{_quoted(c.pattern, ctx)}"
    ),
)
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


@check(
    m.MessagesLost,
    lambda c, _: f"{who(c.clients, 'subscriber')} lost at most {counted(c.at_most, 'message')}",
)
def _lost(c: m.MessagesLost, ctx: CheckContext, now: float) -> Verdict:
    views = select(ctx.state, c.clients, "subscriber")
    if not views:
        return Verdict(False, f"no open lab subscriber matches {c.clients!r}")
    # A loss shows only when the next message arrives: judge only subscribers that have had
    # a message since their last reconnect, so a stale zero is never taken for no loss.
    unsettled = _unsettled(views)
    if unsettled:
        return Verdict(False, "not final yet: " + _summarise(unsettled))
    if c.since_step:
        since = ctx.step_started_at
        lost = {v.name: v.lost_between(since) for v in views}
        said = _summarise([f"{v.name} lost {lost[v.name]} in this step" for v in views])
    else:
        lost = {v.name: v.lost for v in views}
        said = _summarise([f"{v.name} lost {v.lost} of {v.received + v.lost}" for v in views])
    ok = all(n <= c.at_most for n in lost.values())
    return Verdict(ok, said, figure=float(sum(lost.values())))


@check(
    m.Reconnects,
    lambda c, _: f"{who(c.clients)} lost its server at most {counted(c.at_most, 'time')}",
)
def _reconnects(c: m.Reconnects, ctx: CheckContext, now: float) -> Verdict:
    drops = dropped_in_step(ctx.state, c.clients, ctx.step_started_at)
    if not drops:
        return Verdict(False, f"no lab client matches {c.clients!r}")
    total = sum(n for _, n in drops)
    over = [
        f"{v.name} {n}" + (" (then closed for good)" if v.state == ClientState.CLOSED else "")
        for v, n in drops
        if n > c.at_most
    ]
    if over:
        return Verdict(False, "lost their server: " + _summarise(over), figure=float(total))
    said = f"{counted(len(drops), 'client')}, {counted(total, 'lost connection')} in this step"
    return Verdict(True, said, figure=float(total))


def dropped_in_step(state: LabState, pattern: str, since: float) -> list[tuple[ClientView, int]]:
    """Each matching lab client and how often it lost its server since `since`. A client
    closed for good counts when that happened now: a server that throws a client out has
    cost it more than a reconnect; one the lab stopped earlier is left out."""
    views = [
        v
        for v in state.lab_clients()
        if fnmatch.fnmatchcase(v.name, pattern)
        and (v.state != ClientState.CLOSED or any(at >= since for at in v.dropped_at))
    ]
    views.sort(key=lambda v: (len(v.name), v.name))
    return [(v, sum(at >= since for at in v.dropped_at)) for v in views]


@check(
    m.Drained,
    lambda c, _: (
        f"{c.server} is drained of clients"
        + (f" over at least {c.min_seconds:g} s" if c.min_seconds else "")
    ),
)
def _drained(c: m.Drained, ctx: CheckContext, now: float) -> Verdict:
    state = ctx.state
    view = state.servers.get(c.server)
    start = (view.lame_duck_at if view else None) or ctx.step_started_at
    # As in no_clients_on: a client still reconnecting has not left yet.
    left = state.not_yet_left(c.server)
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


def _drain_curve(total: int, moves: list[float], start: float) -> str:
    points = [f"{total}@0s"] + [f"{total - i}@{t - start:.1f}s" for i, t in enumerate(moves, 1)]
    return "clients over time: " + " ".join(points[:12]) + (" …" if len(points) > 12 else "")


# --- JetStream -----------------------------------------------------------------------


def _is(on: bool) -> str:
    return "is" if on else "is not"


@check(m.HealthzError, lambda c, ctx: f"/healthz of {c.server} says {_quoted(c.pattern, ctx)}")
def _healthz_error(c: m.HealthzError, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.servers.get(c.server)
    if view is None or not view.up:
        return Verdict(False, f"{c.server} is not running (a stopped server proves nothing)")
    if view.healthy:
        return Verdict(False, f"/healthz of {c.server}: 200 ok")
    said = view.health_error or "not answered yet"
    return Verdict(bool(ctx.compile(c.pattern).search(said)), f"/healthz of {c.server}: {said}")


def _meta_claim(c: m.MetaPeers) -> str:
    if c.offline is None:
        offline = ""
    else:
        offline = f" with {both(c.offline)} offline" if c.offline else " with no peer offline"
    leader = {None: "", "none": ", and no meta leader", "any": ", and some server leads"}.get(
        c.leader, f", and {c.leader} leads"
    )
    members = "" if c.members is None else f" of exactly {both(sorted(c.members))}"
    return f"{c.server} sees the meta group{members}{offline}{leader}"


@check(m.MetaPeers, lambda c, _: _meta_claim(c))
def _meta_peers(c: m.MetaPeers, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.servers.get(c.server)
    js = view.jetstream if view is not None and view.up else None
    if js is None:
        return Verdict(False, f"{c.server} has not answered /jsz (is it running with JetStream?)")
    offline = sorted(r.name for r in js.meta_replicas if r.offline)
    leader = js.meta_leader or "none"
    said = f"{c.server}'s /jsz: leader {leader}; offline: {', '.join(offline) or 'none'}"
    # The replicas /jsz lists are the other members, as this server counts them.
    members = sorted({c.server, *(r.name for r in js.meta_replicas)})
    if c.members is not None:
        said += f"; members: {', '.join(members)}"
    led = c.leader in (None, leader) or (c.leader == "any" and leader != "none")
    counted_as = c.members is None or members == sorted(c.members)
    ok = (c.offline is None or offline == sorted(c.offline)) and led and counted_as
    return Verdict(ok, said)


ANSWER_WORDS = {"ok": "succeeds", "no_response": "gets no response", "timeout": "times out"}


@check(
    m.JetStreamAnswer,
    lambda c, _: (
        f"a {c.request.replace('_', ' ')} through {c.server or 'the lab'} "
        + ANSWER_WORDS.get(str(c.answer), f"is refused with error {c.answer}")
    ),
)
def _jetstream_answer(c: m.JetStreamAnswer, ctx: CheckContext, now: float) -> Verdict:
    latest = latest_probe(ctx, c.request, c.server)
    if latest is None:
        return Verdict(False, f"no {c.request} was probed in this step")
    ok = latest.answer == str(c.answer)
    return Verdict(ok, f"through {latest.server}: {latest.detail}")


def latest_probe(ctx: CheckContext, request: str, server: str | None = None) -> Any:
    """The last JetStream probe of `request` in this step (through `server`, if given)."""
    found = [
        p
        for p in ctx.state.probes
        if p.request == request and p.at >= ctx.step_started_at and server in (None, p.server)
    ]
    return found[-1] if found else None


@check(
    m.AnsweredBy,
    lambda c, _: f"every request through {c.server or 'the lab'} is answered by {c.clients}",
)
def _answered_by(c: m.AnsweredBy, ctx: CheckContext, now: float) -> Verdict:
    latest = latest_requests(ctx, c.server)
    if latest is None:
        return Verdict(False, f"no requests were sent through {c.server or 'any server'} yet")
    ok = all(fnmatch.fnmatchcase(name, c.clients) for name in latest.answered_by if name)
    ok = ok and "" not in latest.answered_by
    said = f"{len(latest.answered_by)} through {latest.server}: {tally(latest.answered_by)}"
    return Verdict(ok, said)


def latest_requests(ctx: CheckContext, server: str | None = None) -> Any:
    """The last round of requests in this step (through `server`, if given)."""
    found = [
        r for r in ctx.state.requests
        if r.at >= ctx.step_started_at and server in (None, r.server)
    ]  # fmt: skip
    return found[-1] if found else None


@check(
    m.StreamPeers,
    lambda c, _: (
        f"stream {c.stream}'s replicas are on {both(c.peers)}"
        + (", every one current" if c.current else "")
    ),
)
def _stream_peers(c: m.StreamPeers, ctx: CheckContext, now: float) -> Verdict:
    found = ctx.state.jetstream.streams.get(c.stream)
    if found is None or not found.leader:
        return _leaderless(c.stream)
    # The leader's word from before this step (a kill, a peer-remove) may be out of date: it
    # said "all current" of a server killed a tenth of a second before (from the walk).
    leader = ctx.state.servers.get(found.leader)
    if leader is None or leader.jetstream_at < ctx.step_started_at:
        return Verdict(
            False, f"{c.stream}: waiting for {found.leader}'s /jsz since this step began"
        )
    others = {r.name: r for r in found.replicas if r.name != found.leader}
    placed = sorted([found.leader, *others])
    behind = [
        f"{r.name} {'offline' if r.offline else f'{r.lag} behind' if r.lag else 'not current'}"
        for r in others.values()
        if not r.current
    ]
    said = f"{c.stream}: leader {found.leader}; replicas on {', '.join(placed)}"
    said += f"; {', '.join(behind)}" if behind else "; all current"
    ok = placed == sorted(c.peers) and not (c.current and behind)
    return Verdict(ok, said)


def _leaderless(stream: str) -> Verdict:
    """A JetStream check that cannot judge yet: the stream has no leader to ask."""
    return Verdict(False, f"{stream} has no leader right now")


@check(
    m.MirrorLag,
    lambda c, _: f"mirror {c.stream} is at most {counted(c.at_most, 'message')} behind its origin",
)
def _mirror_lag(c: m.MirrorLag, ctx: CheckContext, now: float) -> Verdict:
    streams = ctx.state.jetstream.streams
    found = streams.get(c.stream)
    if found is None or not found.leader:
        return _leaderless(c.stream)
    if not found.mirror:
        return Verdict(False, f"{c.stream} is not a mirror")
    origin = streams.get(found.mirror)
    if origin is None or not origin.leader:
        return Verdict(False, f"{found.mirror}, {c.stream}'s origin, has no leader right now")
    behind = max(0, origin.last_seq - found.last_seq)
    said = (
        f"{c.stream} is {behind} behind {found.mirror} ({found.mirror} at {origin.last_seq}, "
        f"{c.stream} at {found.last_seq}; the mirror's own lag figure: {found.mirror_lag})"
    )
    if found.mirror_error:
        said += f"; the mirror reports: {found.mirror_error}"
    return Verdict(behind <= c.at_most, said)


@check(
    m.SourcesLag,
    lambda c, _: f"{c.stream} is at most {counted(c.at_most, 'message')} behind its sources",
)
def _sources_lag(c: m.SourcesLag, ctx: CheckContext, now: float) -> Verdict:
    streams = ctx.state.jetstream.streams
    found = streams.get(c.stream)
    if found is None or not found.leader:
        return _leaderless(c.stream)
    if not found.sources:
        return Verdict(False, f"{c.stream} gathers no sources")
    names = sorted(found.sources)  # /jsz lists them in no fixed order
    origins = [streams.get(name) for name in names]
    if any(o is None or not o.leader for o in origins):
        return Verdict(False, f"not every source of {c.stream} has a leader right now")
    held = {name: o.messages for name, o in zip(names, origins, strict=True) if o}
    behind = max(0, sum(held.values()) - found.messages)
    each = ", ".join(f"{name} {count}" for name, count in held.items())
    said = f"{c.stream} is {behind} behind ({found.messages} messages; its sources: {each})"
    if found.sources_error:
        said += f"; a source reports: {found.sources_error}"
    return Verdict(behind <= c.at_most, said)


@check(m.MetaLeader, lambda c, _: f"the JetStream meta leader {_is(c.on)} {c.server}")
def _meta_leader(c: m.MetaLeader, ctx: CheckContext, now: float) -> Verdict:
    leader = ctx.state.jetstream.meta_leader
    said = f"meta leader: {leader}" if leader else "no meta leader right now"
    return Verdict(bool(leader) and (leader == c.server) == c.on, said)


@check(m.StreamLeader, lambda c, _: f"stream {c.stream}'s leader {_is(c.on)} {c.server}")
def _stream_leader(c: m.StreamLeader, ctx: CheckContext, now: float) -> Verdict:
    found = ctx.state.jetstream.streams.get(c.stream)
    leader = found.leader if found else ""
    said = f"{c.stream} leader: {leader}" if leader else f"{c.stream} has no leader right now"
    return Verdict(bool(leader) and (leader == c.server) == c.on, said)


@check(m.LeadsNothing, lambda c, _: f"{c.server} leads nothing: no meta, stream or consumer group")
def _leads_nothing(c: m.LeadsNothing, ctx: CheckContext, now: float) -> Verdict:
    js = ctx.state.jetstream
    if not js.enabled:
        return Verdict(False, "no server reports JetStream yet")
    led = js.led_by(c.server)
    return Verdict(not led, f"{c.server} leads {both(led)}" if led else f"{c.server} leads nothing")


@check(
    m.ReplicasCurrent,
    lambda c, _: f"stream {c.stream} has a leader and all {c.replicas} replicas are current",
)
def _replicas_current(c: m.ReplicasCurrent, ctx: CheckContext, now: float) -> Verdict:
    found = ctx.state.jetstream.streams.get(c.stream)
    if found is None or not found.leader:
        return _leaderless(c.stream)
    behind = [f"{r.name} behind by {r.lag}" for r in found.replicas if not r.current]
    peers = 1 + len(found.replicas)
    said = f"leader {found.leader}; " + (
        "; ".join(behind) if behind else f"{', '.join(r.name for r in found.replicas)} current"
    )
    return Verdict(not behind and peers == c.replicas, said + f" ({peers} of {c.replicas} seen)")


@check(
    m.AckedLost,
    lambda c, _: f"{c.client}: at most {counted(c.at_most, 'acknowledged message')} lost",
)
def _acked_lost(c: m.AckedLost, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.clients.get(c.client)
    verdict = view.verified if view is not None else None
    if verdict is None or verdict.at < ctx.step_started_at:
        return Verdict(False, f"{c.client} has not been verified in this step")
    said = (
        f"{verdict.missing} of {verdict.acked} acknowledged missing from {verdict.stream}"
        + (f" (e.g. {', '.join(verdict.missing_ids[:3])})" if verdict.missing else "")
        + f"; {verdict.duplicates} duplicates; {verdict.failed} failed publishes"
    )
    return Verdict(verdict.missing <= c.at_most, said, figure=float(verdict.missing))


STALL_SEEN = 0.5


def longest_publish_gap(view: ClientView, since: float, now: float) -> tuple[float, int]:
    """(seconds, failed publishes) of a ledger's longest stretch without an ack since
    `since`; a stretch still going counts up to `now`."""
    gaps = [
        (end - max(start, since), failed) for start, end, failed in view.publish_gaps if end > since
    ]
    # A stretch still going is known only through the counts, which arrive every 0.25 s:
    # count it once it is clearly a stall, so their cadence is never taken for a gap.
    going = now - max(view.last_ack_at or now, since)
    return max([(going if going > STALL_SEEN else 0.0, 0), *gaps])


@check(
    m.PublishGapAtMost,
    lambda c, _: f"{c.client} went at most {c.at_most:g} s without an acknowledged publish",
)
def _publish_gap(c: m.PublishGapAtMost, ctx: CheckContext, now: float) -> Verdict:
    view = ctx.state.clients.get(c.client)
    if view is None or view.last_ack_at is None:
        return Verdict(False, f"{c.client} has had no publish acknowledged")
    longest, failed = longest_publish_gap(view, ctx.step_started_at, now)
    publishes = "publish" if failed == 1 else "publishes"
    said = f"longest {longest * 1000:.0f} ms in this step ({failed} failed {publishes})"
    return Verdict(longest <= c.at_most, said, figure=round(longest, 3))


@check(m.Report, lambda c, _: f"measured: the {c.what} of {who(c.clients)}")
def _report(c: m.Report, ctx: CheckContext, now: float) -> Verdict:
    """Waits until the numbers are final (every client settled), then always passes."""
    kind = {"spread": None, "ledger": "ledger"}.get(c.what, "subscriber")
    views = select(ctx.state, c.clients, kind)
    waiting = [f"{v.name} is {v.state}" for v in views if v.state != ClientState.CONNECTED]
    if c.what == "loss":
        waiting += _unsettled(views)
    if waiting:
        return Verdict(False, _summarise(waiting))
    if c.what == "loss":
        return Verdict(True, _bill(views, ctx), figure=float(sum(v.lost for v in views)))
    if c.what == "gaps":
        gaps = [v.last_gap_ms for v in views if v.last_gap_ms is not None]
        return Verdict(True, _gaps(views), figure=max(gaps) / 1000 if gaps else None)
    if c.what == "ledger":
        return Verdict(True, _ledger_bill(ctx, now))
    counts: dict[str, int] = {}
    for v in views:
        if v.server:
            counts[v.server] = counts.get(v.server, 0) + 1
    items = [f"{s}: {n}" for s, n in sorted(counts.items())]
    return Verdict(True, ", ".join(items) or "nothing to report")


STALL_MS = 1000  # a gap this long is a wait in nats-py, not the time a move takes


def _gaps(views: list[ClientView]) -> str:
    """Each move's gap; the long ones with how long the client had been on the server it lost,
    since nats-py waits reconnect_wait before dialling a server it dialled less than that ago
    (client.py, _select_next_server: a successful connect counts as an attempt)."""
    moved = [v for v in views if v.last_gap_ms is not None]
    items = []
    for v in moved:
        item = f"{v.name} {v.previous_server or '?'}->{v.server} in {v.last_gap_ms:.0f} ms"
        if v.last_gap_ms is not None and v.last_gap_ms >= STALL_MS and v.last_tenure is not None:
            tenure = v.last_tenure
            held = f"{tenure * 1000:.0f} ms" if tenure < 1 else f"{tenure:.1f} s"
            item += f" (it had been on {v.previous_server} {held})"
        items.append(item)
    stalled = sum(1 for v in moved if (v.last_gap_ms or 0) >= STALL_MS)
    head = f"{stalled} of {len(moved)} waited over {STALL_MS / 1000:g} s" if moved else ""
    return "; ".join(filter(None, [head, ", ".join(items)])) or "nothing to report"


def _bill(views: list[ClientView], ctx: CheckContext) -> str:
    """Each subscriber's loss in all, and the group's loss step by step: a loss belongs to the
    step it began in (the last message before its gap), not the one whose next message showed
    it (leaf-nodes billed a lost link's messages to the step that healed it)."""
    total = sum(v.lost for v in views)
    starts = ctx.step_starts
    by_step = []
    for (number, start), following in zip(starts, [*starts[1:], (0, None)], strict=True):
        lost = sum(v.lost_between(start, following[1], began=True) for v in views)
        if lost:
            by_step.append(f"step {number}: {lost}")
    where = f" ({', '.join(by_step)})" if by_step else ""
    each = ", ".join(f"{v.name} {v.lost}" for v in views)
    return f"{counted(total, 'message')} lost in all{where}; {each}"


def _ledger_bill(ctx: CheckContext, now: float) -> str:
    """Each step's longest stretch without an acknowledged publish, for every ledger, from
    the step it started in. A stretch belongs to the step it began in, and names the later
    step it ended in: an outage is billed to the step that caused it, not to the one that
    ended it (quorum-loss's showed under "B comes back", from the learner's walk)."""
    starts = ctx.step_starts
    spans = list(zip(starts, [*starts[1:], (0, now)], strict=True))

    def step_of(moment: float) -> int:
        return next((n for (n, s), (_, e) in spans if s <= moment < e), spans[-1][0][0])

    parts = []
    for view in ctx.state.lab_clients():
        if view.kind != "ledger" or view.connected_at is None:
            continue
        steps = []
        for (number, start), following in spans:
            if following[1] < view.connected_at:
                continue  # before the ledger started
            gaps = [
                (end - begin, failed, step_of(end))
                for begin, end, failed in view.publish_gaps
                if start <= begin < following[1]
            ]
            longest, _, ended = max(gaps) if gaps else (0.0, 0, number)
            shown = f"{longest * 1000:.0f} ms" if gaps else "under 20 ms"
            # No stretch of its own, inside one from an earlier step: "under 20 ms" would say
            # the opposite of a step without a single ack (quorum-loss's, from the walk).
            within = next((b for b, e, _ in view.publish_gaps if b < start < e), None)
            if within is not None and not gaps:
                shown = f"within step {step_of(within)}'s stretch"
            # Every failure of the step's own stretches, so that the steps add up to the total.
            failed = sum(f for _, f, _ in gaps)
            notes = [f"{failed} failed"] if failed else []
            notes += [f"until step {ended}"] if ended != number else []
            steps.append(f"step {number}: {shown}" + (f" ({', '.join(notes)})" if notes else ""))
        verdict = view.verified
        lost = f"; {verdict.missing} acknowledged lost" if verdict else ""
        parts.append(f"{view.name}: " + ", ".join(steps) + lost)
    return "; ".join(parts) or "no ledger"
