"""Turns successive JetStream views into events: leader changes and replicas that fall
behind or catch up, on the timeline and in events.jsonl (the polls themselves are not kept).
The lab and natslab watch both report them through JetStreamChanges."""

from __future__ import annotations

from natslab.bus import EventBus
from natslab.cluster import events as ev
from natslab.cluster.jetstream import JetStreamView
from natslab.state import LabState


class JetStreamChanges:
    """Each view of the cluster's JetStream in turn; out comes what changed since the last."""

    def __init__(self) -> None:
        self.last = JetStreamView()

    def diff(self, view: JetStreamView, at: float) -> list[ev.JetStreamChange]:
        if not view.enabled and not self.last.enabled:
            return []
        before, self.last = self.last, view
        changes: list[ev.JetStreamChange] = []
        if view.meta_leader != before.meta_leader:
            changes.append(
                ev.MetaLeaderChanged(server=view.meta_leader, at=at, previous=before.meta_leader)
            )
        for name, stream in view.streams.items():
            old = before.streams.get(name)
            if old is None or old.leader != stream.leader:
                previous = old.leader if old else ""
                changes.append(
                    ev.StreamLeaderChanged(
                        server=stream.leader, at=at, stream=name, previous=previous
                    )
                )
            if not stream.leader:
                continue  # without a leader, nobody can say how current the others are
            was = {r.name: r.current for r in old.replicas} if old and old.leader else {}
            if was.get(stream.leader) is False:  # a replica that was behind now leads
                changes.append(
                    ev.ReplicaChanged(server=stream.leader, at=at, stream=name, current=True, lag=0)
                )
            changes += [
                ev.ReplicaChanged(
                    server=replica.name, at=at, stream=name, current=replica.current,
                    lag=replica.lag,
                )
                for replica in stream.replicas
                if was.get(replica.name, True) != replica.current
            ]  # fmt: skip
        return changes


class JetStreamWatch:
    """A bus listener placed after LabState: it compares LabState's view after each poll or
    exit with the one before, and emits what changed."""

    def __init__(self, state: LabState, bus: EventBus) -> None:
        self.state = state
        self.bus = bus
        self.changes = JetStreamChanges()

    def __call__(self, event: object) -> None:
        if isinstance(event, ev.ServerPolled | ev.ServerExited):
            for change in self.changes.diff(self.state.jetstream, event.at):
                self.bus.emit(change)
