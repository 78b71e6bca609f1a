"""JetStream membership, as an operator changes it: peer-remove a server or a stream's
replica, wipe or damage a stopped server's store; and freezing a server (SIGSTOP) and
letting it go."""

from __future__ import annotations

import asyncio
import json
import shutil
from typing import Any

import nats.errors

from natslab.errors import ServerStateError, TimedOutError
from natslab.lab.jetstream_ops import API_TIMEOUT, api_connection
from natslab.lab.operations import (
    DamageStore,
    Done,
    PauseServer,
    RemoveServer,
    RemoveStreamPeer,
    ResumeServer,
    WipeStore,
)
from natslab.lab.operator import Operator, performs

NOT_A_MEMBER = 10044  # JSClusterServerNotMemberErr, nats-server errors.json
# JSClusterServerMemberChangeInflightErr: one membership change at a time (jetstream_api.go
# jsLeaderServerRemoveRequest); it passes once the one in flight has committed.
MEMBER_CHANGE_IN_PROGRESS = 10202


async def _request(
    lab: Operator, through: str, subject: str, body: dict[str, str], system: bool, timeout: float
) -> dict[str, Any]:
    """One API request, asked again while nobody answers (no meta leader yet), until
    `timeout`; its JSON answer, or a sentence when nobody ever answered."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    tries = 0
    async with api_connection(lab.client_url(through), system=system) as nc:
        while True:
            tries += 1
            try:
                msg = await nc.request(subject, json.dumps(body).encode(), timeout=API_TIMEOUT)
                code = (json.loads(msg.data or b"{}").get("error") or {}).get("err_code")
                if code != MEMBER_CHANGE_IN_PROGRESS or loop.time() + 0.5 > deadline:
                    break
                await asyncio.sleep(0.5)  # another membership change is committing: again
            except (nats.errors.TimeoutError, nats.errors.NoRespondersError):
                if loop.time() + API_TIMEOUT > deadline:
                    raise TimedOutError(
                        f"Nobody answered {subject} through {through} within {timeout:g} s: "
                        "only the meta leader answers it, and there was none."
                    ) from None
                await asyncio.sleep(0.5)
    answer: dict[str, Any] = json.loads(msg.data or b"{}")
    answer["retried"] = tries > 1
    return answer


def refused(what: str, answer: dict[str, Any]) -> ServerStateError:
    error = answer.get("error") or {}
    return ServerStateError(
        f"{what} was refused: {error.get('description', 'no reason given')} "
        f"(error {error.get('err_code', '?')})."
    )


@performs(RemoveServer)
async def _remove_server(op: RemoveServer, lab: Operator) -> Done:
    # jetstream_api.go jsLeaderServerRemoveRequest: the system account, {"peer": name}.
    answer = await _request(
        lab, op.through, "$JS.API.SERVER.REMOVE", {"peer": op.server}, True, op.timeout
    )
    # An earlier try the leader took but answered too late leaves "not a member" (10044) for
    # the next one: the removal did happen.
    late = answer.get("retried") and (answer.get("error") or {}).get("err_code") == NOT_A_MEMBER
    if not answer.get("success") and not late:
        raise refused(f"Removing {op.server} from the meta group", answer)
    return Done(f"{op.server} is no longer a member of the JetStream meta group",
                command=lab.by_hand(op))  # fmt: skip


@performs(RemoveStreamPeer)
async def _remove_stream_peer(op: RemoveStreamPeer, lab: Operator) -> Done:
    subject = f"$JS.API.STREAM.PEER.REMOVE.{op.stream}"
    answer = await _request(lab, op.through, subject, {"peer": op.server}, False, op.timeout)
    if not answer.get("success"):
        raise refused(f"Removing {op.server}'s replica of {op.stream}", answer)
    return Done(f"{op.server}'s replica of {op.stream} removed; the meta leader places another",
                command=lab.by_hand(op))  # fmt: skip


@performs(WipeStore)
async def _wipe_store(op: WipeStore, lab: Operator) -> Done:
    supervisor = lab.supervisor
    if supervisor.is_running(op.server):
        raise ServerStateError(f"Server {op.server} is running; stop it before wiping its store.")
    store = supervisor.run.path / "jetstream" / op.server
    files = sum(1 for p in store.rglob("*") if p.is_file()) if store.exists() else 0
    shutil.rmtree(store, ignore_errors=True)
    return Done(f"deleted {op.server}'s JetStream store ({files} files)", command=lab.by_hand(op))


@performs(DamageStore)
async def _damage_store(op: DamageStore, lab: Operator) -> Done:
    supervisor = lab.supervisor
    if supervisor.is_running(op.server):
        raise ServerStateError(f"Server {op.server} is running; stop it before damaging its store.")
    block, at = lab.damage_target(op)
    if block is None:
        store = supervisor.run.path / "jetstream" / op.server
        raise ServerStateError(
            f"{op.server} holds no message block of {op.stream} larger than {op.size} bytes "
            f"(looked in {store})."
        )
    command = lab.by_hand(op)
    with block.open("r+b") as f:
        f.seek(at)
        f.write(b"\xff" * op.size)
    return Done(
        f"overwrote {op.size} bytes at offset {at} of {block.name}, {op.server}'s newest block "
        f"of {op.stream}",
        command=command,
    )


@performs(PauseServer)
async def _pause_server(op: PauseServer, lab: Operator) -> Done:
    if not lab.supervisor.process(op.server).pause():
        raise ServerStateError(f"Server {op.server} is not running, so it cannot be paused.")
    return Done(f"paused {op.server} (SIGSTOP): every socket open, nothing answered",
                command=lab.by_hand(op))  # fmt: skip


@performs(ResumeServer)
async def _resume_server(op: ResumeServer, lab: Operator) -> Done:
    if not lab.supervisor.process(op.server).resume():
        raise ServerStateError(f"Server {op.server} is not running, so it cannot be resumed.")
    return Done(f"resumed {op.server} (SIGCONT)", command=lab.by_hand(op))
