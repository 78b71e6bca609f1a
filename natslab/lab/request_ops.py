"""Services in the lab: queue-group responders, and rounds of requests that record which
member of the group the servers chose for each one."""

from __future__ import annotations

import asyncio

import nats
import nats.errors

from natslab.clients.events import OWN_CONNECTION, RequestsAnswered
from natslab.errors import TimedOutError
from natslab.lab.operations import Done, SendRequests, StartResponders
from natslab.lab.operator import Operator, client_options, performs
from natslab.words import counted, tally

NAME_LIMIT = 40  # a reply is the responder's name; anything longer is not one of ours
AGAIN_AFTER = 0.5  # between rounds while waiting for one answered in full


@performs(StartResponders)
async def _start_responders(op: StartResponders, lab: Operator) -> Done:
    seeds = [lab.client_url(s) for s in op.seeds]
    members = await lab.fleet.start_responders(
        op.count, seeds, client_options(op.options), op.subject, op.queue, op.prefix
    )
    names = f"{members[0].name}..{members[-1].name}" if len(members) > 1 else members[0].name
    return Done(
        f"started {counted(len(members), 'responder')} ({names}) in queue group {op.queue} "
        f"on {op.subject}",
        command=lab.by_hand(op),
    )


@performs(SendRequests)
async def _send_requests(op: SendRequests, lab: Operator) -> Done:
    loop = asyncio.get_running_loop()
    started, rounds = loop.time(), 0
    while True:
        rounds += 1
        answered_by, why = await _one_round(op, lab)
        lab.fleet.bus.emit(
            RequestsAnswered(server=op.server, subject=op.subject, answered_by=tuple(answered_by))
        )
        met = f" ({', '.join(sorted(why))})" if why else ""
        said = f"{counted(op.count, 'request')} through {op.server}: {tally(answered_by)}{met}"
        if not op.until_answered or not why:
            after = f" (round {rounds}, after {loop.time() - started:.1f} s)" if rounds > 1 else ""
            return Done(said + after, command=lab.by_hand(op))
        if loop.time() - started > op.within:
            raise TimedOutError(
                f"No round of requests through {op.server} was answered in full within "
                f"{op.within:g} s ({rounds} rounds); the last: {said}."
            )
        await asyncio.sleep(AGAIN_AFTER)


async def _one_round(op: SendRequests, lab: Operator) -> tuple[list[str], set[str]]:
    """Who answered each request of one round ("" for none), and what the unanswered met."""
    url = lab.client_url(op.server)
    nc = await nats.connect(url, name=OWN_CONNECTION, connect_timeout=2, allow_reconnect=False)
    answered_by: list[str] = []
    why: set[str] = set()
    try:
        for _ in range(op.count):
            try:
                reply = await nc.request(op.subject, b"ping", timeout=op.timeout)
            except nats.errors.NoRespondersError:  # the server's own word: nobody listens
                answered_by.append("")
                why.add("no responders")
                continue
            except (nats.errors.TimeoutError, TimeoutError):
                answered_by.append("")
                why.add(f"no reply within {op.timeout:g} s")
                continue
            # The reply is data from the network (a learner's own `nats reply` may answer).
            answered_by.append(reply.data[:NAME_LIMIT].decode("utf-8", "replace") or "?")
    finally:
        await nc.close()
    return answered_by, why
