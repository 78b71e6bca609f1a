"""The configuration operations: write a server's config file, validate it, reload it."""

from __future__ import annotations

from natslab.cluster import jetstream
from natslab.cluster.logformat import message_of
from natslab.cluster.ports import with_ports
from natslab.errors import ServerStateError
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
    said = message_of(await lab.supervisor.reload(op.server, timeout=op.timeout))
    if "Failed to reload" in said:
        return Done(f"{op.server} refused the reload, and runs on as before: {said}", command)
    return Done(f"{op.server} reloaded its config: {said}", command=command)
