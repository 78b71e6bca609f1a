"""Backing up, deleting and restoring a stream through the JetStream API, in the layout
`nats stream backup` writes (backup.json and stream.tar.s2), so natscli can restore
natslab's backups and the other way round."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import nats.errors
from nats.aio.client import Client
from nats.aio.msg import Msg

from natslab.errors import ServerStateError
from natslab.lab.jetstream_admin import refused
from natslab.lab.jetstream_ops import API_TIMEOUT, api_connection
from natslab.lab.operations import BackupStream, DeleteStream, Done, RestoreStream
from natslab.lab.operator import Operator, performs
from natslab.words import counted

CHUNK = 128 * 1024  # what the server sends per message (jsm.go's default)
RESTORE_CHUNK = 64 * 1024  # what natscli sends per request when restoring
DATA, META = "stream.tar.s2", "backup.json"
NO_CONSUMER_STATE = "failed to get consumer state"


async def _ask(nc: Client, subject: str, data: bytes, what: str, timeout: float) -> dict[str, Any]:
    """One request of the API (or of a restore's data); its answer, or the server's refusal
    as a sentence."""
    try:
        reply = await nc.request(subject, data, timeout=timeout)
    except (nats.errors.TimeoutError, nats.errors.NoRespondersError) as exc:
        raise ServerStateError(f"{what} got no answer within {timeout:g} s ({exc}).") from exc
    answer: dict[str, Any] = json.loads(reply.data) if reply.data else {}
    if answer.get("error"):
        raise refused(what, answer)
    return answer


@performs(BackupStream)
async def _backup_stream(op: BackupStream, lab: Operator) -> Done:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + op.timeout
    async with api_connection(lab.client_url(op.server)) as nc:
        while True:
            meta, data, failed = await _snapshot(nc, op.name, deadline - loop.time())
            # nats-server 2.15 (stream_backup.go) asks each clustered consumer for its state
            # first; a consumer just created may have no leader to answer yet. Again, then.
            if not (NO_CONSUMER_STATE in failed and loop.time() + 0.5 < deadline):
                break
            await asyncio.sleep(0.5)
    if failed:
        raise ServerStateError(f"The backup of {op.name} failed: {failed}.")
    where = lab.backup_dir(op.name)
    where.mkdir(parents=True, exist_ok=True)
    (where / DATA).write_bytes(bytes(data))
    (where / META).write_text(
        json.dumps({"config": meta.get("config"), "state": meta.get("state")}, indent=2)
    )
    state = meta.get("state") or {}
    return Done(
        f"backed up {op.name}: {counted(int(state.get('messages', 0)), 'message')} up to "
        f"{state.get('last_seq', 0)}, {counted(len(data), 'byte')} compressed, in {where}",
        command=lab.by_hand(op),
    )


async def _snapshot(
    nc: Client, stream: str, timeout: float
) -> tuple[dict[str, Any], bytearray, str]:
    """One snapshot of `stream`: the API's answer (config and state), the data, and what the
    server said went wrong at the end ("" when nothing did)."""
    data = bytearray()
    finished: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def chunk(msg: Msg) -> None:
        if not msg.data:  # the end: a bare 204, or a status saying what went wrong
            headers = msg.headers or {}
            status, why = headers.get("Status", ""), headers.get("Description", "")
            if not finished.done():
                finished.set_result("" if status in ("", "204") else f"{status} {why}".strip())
            return
        if msg.reply:  # flow control: the server waits for these within its window
            await msg.respond(b"")
        data.extend(msg.data)

    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox, cb=chunk, pending_msgs_limit=-1, pending_bytes_limit=-1)
    try:
        body = json.dumps({"deliver_subject": inbox, "chunk_size": CHUNK}).encode()
        subject = f"$JS.API.STREAM.SNAPSHOT.{stream}"
        meta = await _ask(nc, subject, body, f"A backup of {stream}", API_TIMEOUT)
        try:
            failed = await asyncio.wait_for(finished, max(timeout, API_TIMEOUT))
        except TimeoutError:
            raise ServerStateError(
                f"The backup of {stream} did not finish within {timeout:g} s "
                f"({counted(len(data), 'byte')} received)."
            ) from None
    finally:
        await sub.unsubscribe()
    return meta, data, failed


@performs(DeleteStream)
async def _delete_stream(op: DeleteStream, lab: Operator) -> Done:
    async with api_connection(lab.client_url(op.server)) as nc:
        subject = f"$JS.API.STREAM.DELETE.{op.name}"
        await _ask(nc, subject, b"", f"Deleting {op.name}", API_TIMEOUT)
    return Done(f"deleted stream {op.name} and its messages", command=lab.by_hand(op))


@performs(RestoreStream)
async def _restore_stream(op: RestoreStream, lab: Operator) -> Done:
    where = lab.backup_dir(op.name)
    if not (where / META).is_file() or not (where / DATA).is_file():
        raise ServerStateError(f"There is no backup of {op.name} in this run ({where}).")
    request = (where / META).read_bytes()
    data = (where / DATA).read_bytes()
    what = f"Restoring {op.name}"
    async with api_connection(lab.client_url(op.server)) as nc:
        door = await _ask(nc, f"$JS.API.STREAM.RESTORE.{op.name}", request, what, API_TIMEOUT)
        deliver = str(door.get("deliver_subject") or "")
        for start in range(0, len(data), RESTORE_CHUNK):
            await _ask(nc, deliver, data[start : start + RESTORE_CHUNK], what, API_TIMEOUT)
        # The last, empty, message asks the server to build the stream: it answers when done.
        created = await _ask(nc, deliver, b"", what, op.timeout)
    state = created.get("state") or {}
    return Done(
        f"restored {op.name}: {counted(int(state.get('messages', 0)), 'message')} up to "
        f"{state.get('last_seq', 0)}, from {where}",
        command=lab.by_hand(op),
    )
