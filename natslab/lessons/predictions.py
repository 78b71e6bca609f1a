"""Judgements: what a prediction's question measures in the run, and which answer that makes
right. Each kind reads LabState the way the checks do; none holds an answer of its own."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from natslab.lessons import model as m
from natslab.lessons.checks import (
    dropped_in_step,
    latest_probe,
    latest_requests,
    longest_publish_gap,
    select,
)
from natslab.lessons.lab_protocol import CheckContext
from natslab.state import ClientState
from natslab.words import counted, tally


@dataclass(frozen=True)
class Measured:
    """What the run showed: `value` (a number, a server, or "never"), in words, and whether
    it is final (a loss is not final until every subscriber has had a message since)."""

    value: float | str
    text: str
    final: bool = True


def _waiting(text: str, value: float | str = m.NEVER) -> Measured:
    return Measured(value, text, final=False)


Measure = Callable[[Any, CheckContext, float], Measured]
_REGISTRY: dict[type, Measure] = {}


def judgement(kind: type) -> Callable[[Measure], Measure]:
    def register(measure: Measure) -> Measure:
        _REGISTRY[kind] = measure
        return measure

    return register


def registered() -> set[type]:
    return set(_REGISTRY)


def measure(judge: m.Judgement, ctx: CheckContext, now: float) -> Measured:
    return _REGISTRY[type(judge)](judge, ctx, now)


def right_answers(prediction: m.Prediction, value: float | str) -> tuple[int, ...]:
    """The (0-based) answers the measured value makes right: one, or none when no answer
    covers it (the lesson's ranges leave a gap)."""
    return tuple(i for i, answer in enumerate(prediction.answers) if answer.matches(value))


def seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.1f} s"


@judgement(m.JudgeClientServer)
def _client_server(j: m.JudgeClientServer, ctx: CheckContext, now: float) -> Measured:
    view = ctx.state.clients.get(j.client)
    if view is None:
        return _waiting(f"{j.client} has not started", m.NO_SERVER)
    if view.state == ClientState.CONNECTED and view.server:
        came = f", from {view.previous_server}" if view.previous_server else ""
        return Measured(view.server, f"{j.client} is on {view.server}{came}")
    if view.state == ClientState.CLOSED:  # closed for good: on no server, and final
        return Measured(m.NO_SERVER, f"{j.client} is closed ({view.last_error or 'no error'})")
    return _waiting(f"{j.client} is {view.state}", m.NO_SERVER)


@judgement(m.JudgeClientsOn)
def _clients_on(j: m.JudgeClientsOn, ctx: CheckContext, now: float) -> Measured:
    views = select(ctx.state, j.clients)
    on = sum(v.server == j.server for v in views if v.state == ClientState.CONNECTED)
    text = f"{on} of {counted(len(views), 'client')} on {j.server}"
    away = [v for v in views if v.state != ClientState.CONNECTED]
    if away or not views:
        return _waiting(f"{text}; {len(away)} not connected", on)
    others: dict[str, int] = {}
    for v in views:
        if v.server != j.server and v.server:
            others[v.server] = others.get(v.server, 0) + 1
    rest = ", ".join(f"{n} on {s}" for s, n in sorted(others.items()))
    return Measured(on, text + (f" ({rest})" if rest else ""))


@judgement(m.JudgeGossipDelay)
def _gossip_delay(j: m.JudgeGossipDelay, ctx: CheckContext, now: float) -> Measured:
    server = ctx.state.servers.get(j.server)
    views = [v for v in select(ctx.state, j.clients) if v.connected_at is not None]
    if server is None or server.started_at is None or not views:
        return _waiting(f"{j.server} has not started, or no client matches {j.clients!r}")
    learned = [v.learned_at(j.server) for v in views]
    if any(at is None for at in learned):
        missing = sum(at is None for at in learned)
        return _waiting(f"{counted(missing, 'client')} still do not know {j.server}")
    delay = max(max(at for at in learned if at is not None) - server.started_at, 0.0)
    return Measured(delay, f"{seconds(delay)} after {j.server} started")


@judgement(m.JudgeMostLost)
def _most_lost(j: m.JudgeMostLost, ctx: CheckContext, now: float) -> Measured:
    views = select(ctx.state, j.clients, "subscriber")
    if not views:
        return _waiting(f"no subscriber matches {j.clients!r}", 0)
    worst = max(views, key=lambda v: v.lost)
    text = f"at most {counted(worst.lost, 'message')} ({worst.name})"
    if not all(v.settled for v in views):  # a loss shows only at the next message
        return _waiting(f"{text}, so far", worst.lost)
    return Measured(worst.lost, text)


@judgement(m.JudgeLongestGap)
def _longest_gap(j: m.JudgeLongestGap, ctx: CheckContext, now: float) -> Measured:
    views = select(ctx.state, j.clients)
    moved = [
        v for v in views if v.last_gap_ms is not None and (v.moved_at or 0.0) >= ctx.step_started_at
    ]
    if not moved or any(v.state != ClientState.CONNECTED for v in views):
        return _waiting(f"{counted(len(moved), 'client')} moved so far", 0.0)
    worst = max(moved, key=lambda v: v.last_gap_ms or 0.0)
    gap = (worst.last_gap_ms or 0.0) / 1000
    return Measured(gap, f"{seconds(gap)} ({worst.name}, of {counted(len(moved), 'move')})")


@judgement(m.JudgeDrainTime)
def _drain_time(j: m.JudgeDrainTime, ctx: CheckContext, now: float) -> Measured:
    state = ctx.state
    view = state.servers.get(j.server)
    start = view.lame_duck_at if view is not None else None
    if start is None:
        return _waiting(f"{j.server} has not entered lame duck mode")
    if state.not_yet_left(j.server):
        return _waiting(f"{len(state.not_yet_left(j.server))} clients still on {j.server}")
    moves = [
        v.moved_at
        for v in state.lab_clients()
        if v.previous_server == j.server and v.moved_at is not None and v.moved_at >= start
    ]
    took = max(moves) - start if moves else 0.0
    return Measured(took, f"{seconds(took)} from lame duck to the last client leaving")


@judgement(m.JudgeDropped)
def _dropped(j: m.JudgeDropped, ctx: CheckContext, now: float) -> Measured:
    drops = dropped_in_step(ctx.state, j.clients, ctx.step_started_at)
    lost = [v.name for v, n in drops if n]
    text = f"{len(lost)} of {counted(len(drops), 'client')} lost their server"
    if not drops or any(v.state == ClientState.RECONNECTING for v, _ in drops):
        return _waiting(f"{text} so far", len(lost))
    return Measured(len(lost), text + (f" ({', '.join(lost[:6])})" if lost else ""))


@judgement(m.JudgeJetStreamAnswer)
def _jetstream_answer(j: m.JudgeJetStreamAnswer, ctx: CheckContext, now: float) -> Measured:
    latest = latest_probe(ctx, j.request)
    if latest is None:
        return _waiting(f"no {j.request} was probed in this step", m.NEVER)
    return Measured(latest.answer, f"through {latest.server}: {latest.detail}")


@judgement(m.JudgeAnsweredBy)
def _answered_by(j: m.JudgeAnsweredBy, ctx: CheckContext, now: float) -> Measured:
    latest = latest_requests(ctx, j.server)
    if latest is None:
        return _waiting(f"no requests were sent through {j.server or 'any server'} yet", 0)
    by = sum(1 for name in latest.answered_by if name and fnmatch.fnmatchcase(name, j.clients))
    return Measured(by, f"{by} of {len(latest.answered_by)} answered by {j.clients}: "
                        f"{tally(latest.answered_by)}")  # fmt: skip


@judgement(m.JudgeStreamPeers)
def _stream_peers(j: m.JudgeStreamPeers, ctx: CheckContext, now: float) -> Measured:
    found = ctx.state.jetstream.streams.get(j.stream)
    if found is None or not found.leader:
        return _waiting(f"{j.stream} has no leader right now", m.NEVER)
    placed = ",".join(sorted({found.leader, *(r.name for r in found.replicas)}))
    return Measured(placed, f"{j.stream}'s replicas are on {placed.replace(',', ', ')}")


@judgement(m.JudgeMetaMembers)
def _meta_members(j: m.JudgeMetaMembers, ctx: CheckContext, now: float) -> Measured:
    view = ctx.state.servers.get(j.server)
    js = view.jetstream if view is not None and view.up else None
    if js is None or not js.meta_leader:
        return _waiting(f"{j.server} knows no meta leader right now", m.NEVER)
    members = ",".join(sorted({j.server, *(r.name for r in js.meta_replicas)}))
    return Measured(members, f"{j.server} counts the meta group as {members.replace(',', ', ')}")


@judgement(m.JudgeAckedLost)
def _acked_lost(j: m.JudgeAckedLost, ctx: CheckContext, now: float) -> Measured:
    view = ctx.state.clients.get(j.client)
    verified = view.verified if view is not None else None
    if verified is None or verified.at < ctx.step_started_at:
        return _waiting(f"{j.client} has not been verified in this step")
    said = f"{verified.missing} of {verified.acked} acknowledged missing from {verified.stream}"
    return Measured(verified.missing, said)


@judgement(m.JudgePublishGap)
def _publish_gap(j: m.JudgePublishGap, ctx: CheckContext, now: float) -> Measured:
    view = ctx.state.clients.get(j.client)
    if view is None or view.last_ack_at is None:
        return _waiting(f"{j.client} has had no publish acknowledged", 0.0)
    longest, failed = longest_publish_gap(view, ctx.step_started_at, now)
    text = f"{seconds(longest)} without an ack ({failed} failed publishes)"
    if now - view.last_ack_at > 0.5:  # still in a gap: not a final figure
        return _waiting(text, longest)
    return Measured(longest, text)
