"""The JetStream operations: create a stream, run and verify the ledger, move a leader."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any, TypeVar

import nats
import nats.errors
from nats.aio.client import Client
from nats.errors import NoRespondersError
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError, ServiceUnavailableError

from natslab.clients.ledger import LedgerPublisher, LedgerReader
from natslab.cluster.jetstream import SYSTEM_PASSWORD, SYSTEM_USER
from natslab.errors import ClientSetupError, ServerStateError
from natslab.lab.operations import CreateStream, Done, MoveLeader, StartLedger, VerifyLedger
from natslab.lab.operator import Operator, performs

API_TIMEOUT = 5.0
READY_TIMEOUT = 20.0  # for the cluster to elect its first meta leader
MOVE_TIMEOUT = 15.0  # for a group between leaders to answer again
T = TypeVar("T")


@asynccontextmanager
async def _connection(url: str, system: bool = False) -> AsyncIterator[Client]:
    """A short-lived connection for one API call; the system account's user if asked."""
    creds = {"user": SYSTEM_USER, "password": SYSTEM_PASSWORD} if system else {}
    try:
        nc = await nats.connect(url, connect_timeout=2, max_reconnect_attempts=0, **creds)
    except Exception as exc:
        raise ServerStateError(f"Cannot reach {url} for the JetStream API: {exc}.") from exc
    try:
        yield nc
    finally:
        await nc.close()


async def _retrying(call: Callable[[], Awaitable[T]], timeout: float) -> T:
    """A JetStream API call, again until `timeout`: just after the servers start there is
    no meta leader yet, and the API does not answer."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        try:
            return await call()
        except (TimeoutError, nats.errors.TimeoutError, ServiceUnavailableError, NoRespondersError):
            if asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.2)


@performs(CreateStream)
async def _create_stream(op: CreateStream, lab: Operator) -> Done:
    storage = StorageType.FILE if op.storage == "file" else StorageType.MEMORY
    config = StreamConfig(
        name=op.name, subjects=list(op.subjects), num_replicas=op.replicas, storage=storage
    )
    async with _connection(lab.client_url(op.server)) as nc:
        try:
            info = await _retrying(
                lambda: nc.jetstream(timeout=API_TIMEOUT).add_stream(config), READY_TIMEOUT
            )
        except BadRequestError as exc:
            raise ServerStateError(
                f"Stream {op.name} could not be created: {exc.description}."
            ) from exc
        except Exception as exc:
            raise ServerStateError(f"Stream {op.name} could not be created: {exc}.") from exc
    leader = info.cluster.leader if info.cluster else op.server
    return Done(
        f"stream {op.name}: R{op.replicas} {op.storage}, leader {leader}",
        command=lab.by_hand(op),
    )


@performs(StartLedger)
async def _start_ledger(op: StartLedger, lab: Operator) -> Done:
    seeds = [lab.client_url(s) for s in op.seeds]
    publisher, reader = await lab.fleet.start_ledger(seeds, op.stream, op.subject, op.rate, op.name)
    return Done(
        f"{publisher.name} publishes {op.rate:g} msg/s to {op.stream} and waits for each ack; "
        f"{reader.name} reads and acknowledges",
        command=lab.by_hand(op),
    )


@performs(VerifyLedger)
async def _verify_ledger(op: VerifyLedger, lab: Operator) -> Done:
    publisher = lab.fleet.clients.get(op.name)
    if not isinstance(publisher, LedgerPublisher):
        raise ClientSetupError(f"There is no ledger named {op.name}.")
    reader = lab.fleet.clients.get(f"{op.name}-reader")
    try:
        verdict = await publisher.verify(
            op.stream, reader if isinstance(reader, LedgerReader) else None
        )
    except Exception as exc:
        raise ServerStateError(f"Stream {op.stream} could not be read back: {exc}.") from exc
    lab.fleet.bus.emit(verdict)
    return Done(
        f"{verdict.acked} acknowledged, {verdict.missing} of them missing from {op.stream}; "
        f"{verdict.duplicates} duplicates; longest stretch without an ack "
        f"{verdict.longest_gap_ms:.0f} ms; {verdict.failed} failed publishes; "
        f"{verdict.redeliveries} redeliveries",
        command=lab.by_hand(op),
    )


@performs(MoveLeader)
async def _move_leader(op: MoveLeader, lab: Operator) -> Done:
    """A stream's leader moves with its consumers': each consumer is a Raft group of its own,
    and one left behind on a server still makes that server a leader worth moving."""
    body = json.dumps({"placement": {"preferred": op.to}} if op.to else {}).encode()
    async with _connection(lab.client_url(op.server), system=op.stream is None) as nc:
        if not op.stream:
            said = await _step_down(nc, "$JS.API.META.LEADER.STEPDOWN", body, "the meta leader")
            return _moved("the meta leader", op, said, lab)
        what = f"stream {op.stream}'s leader"
        said = await _step_down(nc, f"$JS.API.STREAM.LEADER.STEPDOWN.{op.stream}", body, what)
        listed = await _request(nc, f"$JS.API.CONSUMER.LIST.{op.stream}", b"{}", "consumers")
        # Every consumer led elsewhere is asked. One listed with replicas has a Raft group and
        # must move; one listed without may be an ephemeral R1 one (the ledger's read-back:
        # no group to move, maybe gone by now), or a replicated one whose replicas a busy
        # server did not list this time (seen under load): asked all the same, refusals
        # tolerated, and the lesson's checks say whether it moved.
        consumers = sorted(
            (c["name"], bool((c.get("cluster") or {}).get("replicas")))
            for c in listed.get("consumers") or []
            if c.get("name") and (c.get("cluster") or {}).get("leader") != op.to
        )
        moved = []
        for name, replicated in consumers:
            subject = f"$JS.API.CONSUMER.LEADER.STEPDOWN.{op.stream}.{name}"
            what = f"consumer {name}'s leader"
            try:
                await _step_down(nc, subject, body, what, gone_ok=True)
            except ServerStateError:
                if replicated:
                    raise
                continue
            moved.append(name)
    also = f", and its consumers' ({', '.join(moved)})" if moved else ""
    return _moved(what + also, op, said, lab)


async def _request(nc: Client, subject: str, body: bytes, what: str) -> dict[str, Any]:
    """One API request, again while nobody answers or the group answering is between
    leaders (a 503): right after a stream's leader steps down, its consumers' API is briefly
    without one."""

    async def ask() -> dict[str, Any]:
        reply = await nc.request(subject, body, timeout=API_TIMEOUT)
        answer: dict[str, Any] = json.loads(reply.data or b"{}")
        if (answer.get("error") or {}).get("code") == 503:
            raise ServiceUnavailableError(description=answer["error"].get("description", ""))
        return answer

    try:
        return await _retrying(ask, MOVE_TIMEOUT)
    except Exception as exc:
        raise ServerStateError(f"Asking for {what} failed: {exc}.") from exc


async def _step_down(
    nc: Client, subject: str, body: bytes, what: str, gone_ok: bool = False
) -> str:
    """Ask one Raft group's leader to step down; a refusal other than "already leader" (or,
    with `gone_ok`, "not found": deleted meanwhile) is an error sentence. Returns the
    server's remark, if any."""
    answer = await _request(nc, subject, body, f"a move of {what}")
    error = (answer.get("error") or {}).get("description", "")
    if gone_ok and "not found" in error:
        return ""
    if error and "already leader" not in error:
        raise ServerStateError(f"Moving {what} was refused: {error}.")
    return str(error)


def _moved(what: str, op: MoveLeader, error: str, lab: Operator) -> Done:
    where = f" to {op.to}" if op.to else ""
    said = f" ({error})" if error else ""
    return Done(f"asked {what} to step down{where}{said}", command=lab.by_hand(op))
