"""The palette's JetStream entries, from what the servers report: create, mirror, promote,
resize, step down, back up, delete and restore a stream; run and verify the ledger; step
down the meta leader; and, for a server that is down, remove it from the meta group or from
a stream, or wipe its store once it is stopped."""

from __future__ import annotations

from natslab.lab.operations import (
    STREAM_NAME,
    BackupStream,
    CreateStream,
    DeleteStream,
    EditStream,
    MoveLeader,
    PaletteEntry,
    PromoteMirror,
    RemoveServer,
    RemoveStreamPeer,
    RestoreStream,
    StartLedger,
    StopPublisher,
    VerifyLedger,
    WipeStore,
)
from natslab.lab.titles import entry
from natslab.state import LabState

MIRROR_SUFFIX = "-BACKUP"


def jetstream_entries(
    state: LabState, ledger: str | None, stopped_stores: list[str], backups: list[str]
) -> list[PaletteEntry]:
    """What an operator could do to JetStream now. `ledger` is the running ledger's name, if
    any; `stopped_stores` the stopped servers that have a JetStream store to wipe; `backups`
    the streams this run has backed up."""
    js = state.jetstream
    up = sorted(n for n, v in state.servers.items() if v.up and v.jetstream is not None)
    entries = [entry(WipeStore(server=name)) for name in stopped_stores]
    if not up:
        return entries
    through = js.meta_leader if js.meta_leader in up else up[0]
    if "LEDGER" not in js.streams:
        entries.append(entry(CreateStream(server=through, replicas=min(3, len(up)))))
    elif ledger is None:
        entries.append(entry(StartLedger(seeds=(through,))))
    else:
        entries += [entry(VerifyLedger(name=ledger)), entry(StopPublisher(name=ledger))]
    for name, stream in sorted(js.streams.items()):
        if not stream.leader or not STREAM_NAME.match(name):
            # Between leaders, or lost: the API would not answer for it. A name the lab's
            # own streams could not have (a learner's `orders`) is left to natscli.
            continue
        size = 1 + len(stream.replicas)
        resized = 1 if size > 1 else min(3, len(up))
        entries += [
            entry(MoveLeader(server=through, stream=name)),
            entry(BackupStream(name=name, server=through)),
            entry(DeleteStream(name=name, server=through)),
        ]
        if resized != size:
            entries.append(entry(EditStream(name=name, server=through, replicas=resized)))
        backup = f"{name}{MIRROR_SUFFIX}"
        if stream.mirror:
            entries.append(entry(PromoteMirror(name=name, server=through)))
        elif backup not in js.streams and STREAM_NAME.match(backup):
            entries.append(
                entry(CreateStream(name=backup, mirror=name, server=through, replicas=size))
            )
        # A replica is removed only to be placed again: with no running server outside the
        # stream's peers, nats-server refuses it ("peer remap failed", 10075).
        placed = {stream.leader, *(r.name for r in stream.replicas)}
        if any(n not in placed for n in up):
            entries += [
                entry(RemoveStreamPeer(stream=name, server=r.name, through=through))
                for r in stream.replicas
                if _down(state, r.name)
            ]
    entries += [
        entry(RestoreStream(name=name, server=through))
        for name in backups
        if name not in js.streams and STREAM_NAME.match(name)
    ]
    entries.append(entry(MoveLeader(server=through)))
    view = state.servers[through]
    meta = view.jetstream.meta_replicas if view.jetstream is not None else ()
    entries += [
        entry(RemoveServer(server=r.name, through=through)) for r in meta if _down(state, r.name)
    ]
    return entries


def _down(state: LabState, server: str) -> bool:
    """One of the lab's servers, not up. A peer the servers cannot name yet ("Server name
    unknown at this time") is nobody the palette can offer to remove."""
    view = state.servers.get(server)
    return view is not None and not view.up
