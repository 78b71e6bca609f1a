"""The JetStream operations: create, mirror, edit and promote a stream, run and verify the
ledger, move a leader."""

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
from nats.js.api import Placement, StorageType, StreamConfig, StreamSource
from nats.js.errors import APIError, BadRequestError, ServiceUnavailableError

from natslab.clients.events import OWN_CONNECTION
from natslab.clients.ledger import LedgerPublisher, LedgerReader
from natslab.cluster.jetstream import SYSTEM_PASSWORD, SYSTEM_USER
from natslab.errors import ClientSetupError, ServerStateError
from natslab.lab.operations import (
    CreateStream,
    Done,
    EditStream,
    MoveLeader,
    PromoteMirror,
    StartLedger,
    VerifyLedger,
)
from natslab.lab.operator import Operator, performs

API_TIMEOUT = 5.0
# A change to a stream goes through the meta group and the stream's own before it is
# answered, and is not safe to send twice: one long wait, not retries (a CI run under load
# timed out at 5 s on a promotion the servers then refused in words).
CHANGE_TIMEOUT = 15.0
READY_TIMEOUT = 20.0  # for the cluster to elect its first meta leader
MOVE_TIMEOUT = 15.0  # for a group between leaders to answer again, or a move to finish
MOVE_IN_PROGRESS = 10124  # JSStreamMoveInProgressErr, nats-server errors.json
STEADY_LOOKS = 3  # consumers seen on their new leader this many looks in a row: moved
T = TypeVar("T")


@asynccontextmanager
async def api_connection(url: str, system: bool = False) -> AsyncIterator[Client]:
    """A short-lived connection for one API call; the system account's user if asked."""
    creds = {"user": SYSTEM_USER, "password": SYSTEM_PASSWORD} if system else {}
    try:
        nc = await nats.connect(
            url, name=OWN_CONNECTION, connect_timeout=2, allow_reconnect=False, **creds
        )
    except Exception as exc:
        who = "the system account's user" if system else "the lab's user"
        raise ServerStateError(f"Cannot reach {url} as {who}: {exc}.") from exc
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


async def _while_peers_join(call: Awaitable[T], tagged: bool) -> T:
    """A placement refused just after the servers started, because the meta leader has not
    heard from enough of them yet, is asked again, as the API's silence then is: nats-server
    2.15 says "no suitable peers for placement, peer offline", 2.10 only "no suitable peers
    for placement" (both met in full runs under load). With placement tags that refusal may
    be the tags' (a typo): it stands, as any other does."""
    try:
        return await call
    except BadRequestError as exc:
        said = exc.description or ""
        if "peer offline" in said or (not tagged and "no suitable peers" in said):
            raise ServiceUnavailableError(description=said) from exc
        raise


@performs(CreateStream)
async def _create_stream(op: CreateStream, lab: Operator) -> Done:
    storage = StorageType.FILE if op.storage == "file" else StorageType.MEMORY
    config = StreamConfig(
        name=op.name,
        subjects=list(op.own_subjects) or None,
        mirror=StreamSource(name=op.mirror) if op.mirror else None,
        sources=[StreamSource(name=name) for name in op.sources] or None,
        num_replicas=op.replicas,
        storage=storage,
        placement=Placement(tags=list(op.tags)) if op.tags else None,
    )
    async with api_connection(lab.client_url(op.server)) as nc:
        try:
            info = await _retrying(
                lambda: _while_peers_join(
                    nc.jetstream(timeout=API_TIMEOUT).add_stream(config), tagged=bool(op.tags)
                ),
                READY_TIMEOUT,
            )
        except BadRequestError as exc:
            raise ServerStateError(
                f"Stream {op.name} could not be created: {exc.description}."
            ) from exc
        except Exception as exc:
            raise ServerStateError(f"Stream {op.name} could not be created: {exc}.") from exc
    leader = info.cluster.leader if info.cluster else op.server
    mirroring = f", a mirror of {op.mirror}" if op.mirror else ""
    mirroring += f", gathering {', '.join(op.sources)}" if op.sources else ""
    return Done(
        f"stream {op.name}: R{op.replicas} {op.storage}{mirroring}, leader {leader}",
        command=lab.by_hand(op),
    )


@performs(EditStream)
async def _edit_stream(op: EditStream, lab: Operator) -> Done:
    async with api_connection(lab.client_url(op.server)) as nc:
        js = nc.jetstream(timeout=CHANGE_TIMEOUT)
        async with _refused_as(f"Stream {op.name} was not changed"):
            config = (await js.stream_info(op.name)).config
            before = _placed(config)
            if op.replicas is not None:
                config.num_replicas = op.replicas
            if op.tags is not None:
                config.placement = Placement(tags=list(op.tags)) if op.tags else None
            await _after_any_move(lambda: js.update_stream(config))
    return Done(
        f"stream {op.name}: {before} -> {_placed(config)}; the servers move its data to fit",
        command=lab.by_hand(op),
    )


@performs(PromoteMirror)
async def _promote_mirror(op: PromoteMirror, lab: Operator) -> Done:
    # stream.go configUpdateCheck: from 2.12.0 an update may drop the mirror (nothing else
    # about it may change); before, "stream mirror configuration can not be updated".
    async with api_connection(lab.client_url(op.server)) as nc:
        js = nc.jetstream(timeout=CHANGE_TIMEOUT)
        async with _refused_as(f"Mirror {op.name} was not promoted"):
            config = (await js.stream_info(op.name)).config
            origin = config.mirror.name if config.mirror else ""
            if not origin:
                raise ServerStateError(f"Stream {op.name} is not a mirror: nothing to promote.")
            config.mirror = None
            if op.subjects:
                config.subjects = list(op.subjects)
            state = (await js.update_stream(config)).state
    taking = f", taking {', '.join(op.subjects)}" if op.subjects else ""
    return Done(
        f"{op.name} no longer mirrors {origin}: a stream of its own, {state.messages} messages "
        f"up to {state.last_seq}{taking}",
        command=lab.by_hand(op),
    )


@asynccontextmanager
async def _refused_as(what: str) -> AsyncIterator[None]:
    """A stream change refused, as one sentence: `what`, then the server's own words and
    code ("no suitable peers for placement", …); natslab's own sentences pass as they are."""
    try:
        yield
    except ServerStateError:
        raise
    except APIError as exc:
        raise ServerStateError(f"{what}: {exc.description} (error {exc.err_code}).") from exc
    except Exception as exc:
        raise ServerStateError(f"{what}: {exc}.") from exc


async def _after_any_move(call: Callable[[], Awaitable[T]]) -> T:
    """A stream change, asked again while the stream's last move is still finishing: its
    replicas may already be where they were sent while the old ones are being let go, and
    nats-server refuses any change meanwhile ("stream move already in progress", 10124; met
    under load right after a move that stream_peers already showed done)."""
    deadline = asyncio.get_running_loop().time() + MOVE_TIMEOUT
    while True:
        try:
            return await call()
        except APIError as exc:
            if exc.err_code != MOVE_IN_PROGRESS or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)


def _placed(config: StreamConfig) -> str:
    """A stream's replicas and placement in words: R3, tags zone:b (or no placement tags)."""
    tags = config.placement.tags if config.placement and config.placement.tags else []
    where = f"tags {', '.join(tags)}" if tags else "no placement tags"
    return f"R{config.num_replicas}, {where}"


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
    async with api_connection(lab.client_url(op.server), system=op.stream is None) as nc:
        # A preferred server in a step-down came with nats-server 2.11 (Placement.Preferred);
        # 2.10 refuses any body for a stream's or consumer's step-down, and its own pick is
        # another current peer (raft.go StepDown): asked again until `to` leads.
        old = _before_preferred(nc)
        body = (
            b""
            if old
            else json.dumps({"placement": {"preferred": op.to}} if op.to else {}).encode()
        )
        leader: Callable[[Client], Awaitable[str]]
        if not op.stream:
            what, subject = "the meta leader", "$JS.API.META.LEADER.STEPDOWN"
            leader = _meta_leader
        else:
            what, subject = (
                f"stream {op.stream}'s leader",
                f"$JS.API.STREAM.LEADER.STEPDOWN.{op.stream}",
            )
            leader = _stream_leader(op.stream)
        said = await _step_down(nc, subject, body, what)
        if old and op.to:
            said = await _again_until(nc, op.to, leader, subject, what) or said
        moved = await _move_consumers(nc, op.stream, op.to, body) if op.stream else []
    also = f", and its consumers' ({', '.join(moved)})" if moved else ""
    return _moved(what + also, op, said, lab, old)


def _before_preferred(nc: Client) -> bool:
    """The server this asks runs nats-server 2.10 or older: no preferred leader."""
    version = nc.connected_server_version
    return (version.major, version.minor) < (2, 11)


async def _meta_leader(nc: Client) -> str:
    answer = await _request(nc, "$SYS.REQ.SERVER.PING.JSZ", b"{}", "the meta leader")
    return str(((answer.get("data") or {}).get("meta_cluster") or {}).get("leader") or "")


def _stream_leader(stream: str) -> Callable[[Client], Awaitable[str]]:
    async def leader(nc: Client) -> str:
        info = await _request(nc, f"$JS.API.STREAM.INFO.{stream}", b"", f"stream {stream}")
        return str((info.get("cluster") or {}).get("leader") or "")

    return leader


async def _again_until(
    nc: Client, to: str, leader: Callable[[Client], Awaitable[str]], subject: str, what: str
) -> str:
    """Step down again until `to` leads (2.10: each step-down elects another current peer)."""
    deadline = asyncio.get_running_loop().time() + MOVE_TIMEOUT
    while (now := await leader(nc)) != to:
        if asyncio.get_running_loop().time() > deadline:
            return f"{now or 'nobody'} leads after {MOVE_TIMEOUT:g} s of asking"
        if now:  # between leaders: looked at again
            await _step_down(nc, subject, b"", what)
        await asyncio.sleep(0.3)
    return ""


async def _move_consumers(nc: Client, stream: str, to: str | None, body: bytes) -> list[str]:
    """Move the leader of every consumer of the stream that has a Raft group (replicas, or a
    durable name: a busy server may list a durable one without its replicas) to `to`, and
    keep looking until they have stayed there for STEADY_LOOKS looks in a row: a consumer's
    group can elect anew while its stream's leadership moves, so one that was on `to` a
    moment ago may not be any more (seen under load). An ephemeral R1 consumer (the ledger's
    read-back) has no group to move. When the time is up, the lesson's checks say where
    each one is."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + MOVE_TIMEOUT
    moved: set[str] = set()
    steady = 0
    while True:
        listed = await _request(nc, f"$JS.API.CONSUMER.LIST.{stream}", b"{}", "consumers")
        away = sorted(
            c["name"]
            for c in listed.get("consumers") or []
            if c.get("name")
            and (
                (c.get("cluster") or {}).get("replicas")
                or (c.get("config") or {}).get("durable_name")
            )
            and (c.get("cluster") or {}).get("leader") != to
        )
        steady = 0 if away else steady + 1
        for name in away:
            subject = f"$JS.API.CONSUMER.LEADER.STEPDOWN.{stream}.{name}"
            try:
                await _step_down(nc, subject, body, f"consumer {name}'s leader", gone_ok=True)
            except ServerStateError:
                if loop.time() > deadline:
                    raise
                continue  # between leaders, say: asked again on the next look
            moved.add(name)
        if to is None or steady >= STEADY_LOOKS or loop.time() > deadline:
            return sorted(moved)
        await asyncio.sleep(0.3)


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


def _moved(what: str, op: MoveLeader, error: str, lab: Operator, old: bool = False) -> Done:
    where = f" to {op.to}" if op.to else ""
    said = f" ({error})" if error else ""
    command = lab.by_hand(op)
    if old and op.to:  # natscli's --preferred and --host need 2.11: what works on 2.10
        command = command.replace(f" --preferred {op.to}", "").replace(f" --host {op.to}", "")
        command += f"   # 2.10 has no --preferred or --host: repeat until {op.to} leads"
    return Done(f"asked {what} to step down{where}{said}", command=command)
