"""Probing JetStream as an application would: one request through one server, and what came
back, in the words a check can hold it to ("ok", "no_response", "timeout", an error code)."""

from __future__ import annotations

import asyncio

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.js.api import StreamConfig

from natslab.clients.events import OWN_CONNECTION, JetStreamProbed
from natslab.errors import TimedOutError
from natslab.lab.operations import Done, ProbeJetStream
from natslab.lab.operator import Operator, performs

# The answer a probe waited for, as a sentence ends with it ("... never succeeded").
ANSWERS = {"ok": "succeeded", "no_response": "went unanswered", "timeout": "timed out"}

PROBE_TIMEOUT = 2.0  # each request's own wait; nats-py's default for a JetStream call is 5 s
AGAIN_AFTER = 0.5  # between tries while waiting for `until`


async def ask(nc: Client, op: ProbeJetStream) -> tuple[str, str]:
    """One request; (answer, in words)."""
    js = nc.jetstream(timeout=PROBE_TIMEOUT)
    try:
        if op.request == "publish":
            ack = await js.publish(op.subject, b"probe", timeout=PROBE_TIMEOUT)
            return "ok", f"acknowledged by stream {ack.stream} as message {ack.seq}"
        if op.request == "create_stream":
            config = StreamConfig(name=op.stream, subjects=[f"{op.stream.lower()}.>"],
                                  num_replicas=op.replicas)  # fmt: skip
            info = await js.add_stream(config)
            leader = info.cluster.leader if info.cluster else "?"
            return "ok", f"stream {op.stream} created, R{op.replicas}, leader {leader}"
        account = await js.account_info()
        return "ok", f"the account has {account.streams} streams"
    except nats.js.errors.NoStreamResponseError:
        return "no_response", "no response from stream: nobody answers for that subject now"
    except nats.js.errors.APIError as exc:
        return str(exc.err_code), f"error {exc.err_code} (HTTP {exc.code}): {exc.description}"
    except (nats.errors.TimeoutError, TimeoutError):
        return "timeout", f"no answer within {PROBE_TIMEOUT:g} s"
    except nats.errors.NoRespondersError:
        return "no_response", "no responders: nobody answers the JetStream API"


@performs(ProbeJetStream)
async def _probe(op: ProbeJetStream, lab: Operator) -> Done:
    url = lab.client_url(op.server)
    loop = asyncio.get_running_loop()
    started = loop.time()
    wanted = None if op.until is None else str(op.until)
    tries = 0
    nc = await nats.connect(url, name=OWN_CONNECTION, connect_timeout=2, allow_reconnect=False)
    try:
        while True:
            tries += 1
            answer, said = await ask(nc, op)
            lab.fleet.bus.emit(
                JetStreamProbed(server=op.server, request=op.request, answer=answer, detail=said)
            )
            took = loop.time() - started
            if wanted is None or answer == wanted:
                # How long it took to get there, even at once: a lesson points at this line.
                times = "1 try" if tries == 1 else f"{tries} tries"
                after = "" if wanted is None else f" (after {times}, {took:.1f} s)"
                return Done(f"{op.request} through {op.server}: {said}{after}",
                            command=lab.by_hand(op))  # fmt: skip
            if took > op.timeout and op.or_give_up:
                never = ANSWERS.get(str(wanted), f"refused with {wanted}")
                return Done(
                    f"{op.request.replace('_', ' ')} through {op.server}, asked for "
                    f"{op.timeout:g} s ({tries} tries), never {never}; "
                    f"the last answer: {said}",
                    command=lab.by_hand(op),
                )
            if took > op.timeout:
                raise TimedOutError(
                    f"{op.request} through {op.server} still did not answer {wanted} after "
                    f"{op.timeout:g} s ({tries} tries); the last answer: {said}."
                )
            await asyncio.sleep(AGAIN_AFTER)
    finally:
        await nc.close()
