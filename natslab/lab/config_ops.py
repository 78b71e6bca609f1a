"""The configuration operations: write a server's config file, validate it, reload it."""

from __future__ import annotations

import json

import nats.errors

from natslab.cluster import jetstream
from natslab.cluster.logformat import message_of
from natslab.cluster.ports import with_ports
from natslab.errors import ServerStateError
from natslab.lab.jetstream_ops import api_connection
from natslab.lab.operations import Done, EditConfig, ReloadConfig, ValidateConfig
from natslab.lab.operator import Operator, performs


@performs(EditConfig)
async def _edit_config(op: EditConfig, lab: Operator) -> Done:
    supervisor = lab.supervisor
    spec = supervisor.specs.get(op.server)
    config = with_ports(op.config, lab.settings.offset)
    if spec is not None and spec.jetstream:
        # The lab's own JetStream lines stay: the lesson's part is what it edits.
        store = supervisor.run.path / "jetstream" / op.server
        config = jetstream.config_fragment(store) + config
    supervisor.rewrite_config(op.server, config)
    lines = op.config.strip().count("\n") + 1
    return Done(
        f"wrote {op.server}'s config file ({lines} lines of the lesson's); nothing reads it "
        "until a reload or a restart",
        command=lab.by_hand(op),
    )


@performs(ValidateConfig)
async def _validate_config(op: ValidateConfig, lab: Operator) -> Done:
    valid, said = await lab.supervisor.validate_config(op.server)
    verdict = "valid" if valid else "invalid"
    words = said.splitlines()[-1] if said else f"exit status {'0' if valid else 'not 0'}"
    if verdict != op.expect:
        raise ServerStateError(
            f"nats-server -t found {op.server}'s config {verdict}, not {op.expect}: {words}"
        )
    return Done(f"nats-server -t: {op.server}'s config is {verdict}: {words}",
                command=lab.by_hand(op))  # fmt: skip


@performs(ReloadConfig)
async def _reload_config(op: ReloadConfig, lab: Operator) -> Done:
    command = lab.by_hand(op)
    if op.via == "system":
        said, command = await _reload_through_the_system_account(op, lab)
    else:
        said = message_of(await lab.supervisor.reload(op.server, timeout=op.timeout))
    if "Failed to reload" in said:
        return Done(f"{op.server} refused the reload, and runs on as before: {said}", command)
    return Done(f"{op.server} reloaded its config: {said}", command=command)


async def _reload_through_the_system_account(op: ReloadConfig, lab: Operator) -> tuple[str, str]:
    """$SYS.REQ.SERVER.<id>.RELOAD (events.go `reloadConfig`, which calls `Reload`): a
    refusal comes back in the reply's `error`, and is not logged; a reload that worked is
    logged as a signal's is (reload.go `applyOptions`). Returns the verdict and the command
    with the server's id in it."""
    supervisor = lab.supervisor
    if not supervisor.is_running(op.server):
        raise ServerStateError(f"Server {op.server} is not running, so it cannot reload.")
    seen = supervisor.process(op.server).line_count
    spec = supervisor.specs[op.server]
    status = await supervisor.monitor.poll(op.server, spec.monitor_url, None)
    if not status.server_id:
        raise ServerStateError(f"{op.server}'s /varz gave no server id: {status.error}")
    subject = f"$SYS.REQ.SERVER.{status.server_id}.RELOAD"
    command = (
        lab.by_hand(op).split("   #")[0].replace(f"<{op.server}'s server id>", status.server_id)
    )
    async with api_connection(lab.client_url(op.server), system=True) as nc:
        try:
            reply = await nc.request(subject, b"", timeout=op.timeout)
        except (nats.errors.NoRespondersError, nats.errors.TimeoutError) as exc:
            raise ServerStateError(
                f"Nobody answered {subject} through {op.server} ({type(exc).__name__}): "
                "reloading this way needs the system account, which natslab sets up only "
                "for servers running JetStream."
            ) from None
    try:
        error = json.loads(reply.data).get("error")
    except (ValueError, AttributeError):
        error = {"description": f"an answer natslab cannot read: {reply.data[:80]!r}"}
    if error:
        return f"Failed to reload server configuration: {error.get('description', error)}", command
    return message_of(await supervisor.reload_verdict(op.server, seen, op.timeout)), command
