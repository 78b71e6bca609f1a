"""Turns successive JetStream views into events: leader changes and replicas that fall
behind or catch up, on the timeline and in events.jsonl (the polls themselves are not kept)."""

from __future__ import annotations

from natslab.bus import EventBus
from natslab.cluster import events as ev
from natslab.cluster.jetstream import JetStreamView
from natslab.state import LabState


class JetStreamWatch:
    """A bus listener placed after LabState: it compares LabState's view after each poll or
    exit with the one before, and emits what changed."""

    def __init__(self, state: LabState, bus: EventBus) -> None:
        self.state = state
        self.bus = bus
        self.last = JetStreamView()

    def __call__(self, event: object) -> None:
        if not isinstance(event, ev.ServerPolled | ev.ServerExited):
            return
        view = self.state.jetstream
        if not view.enabled and not self.last.enabled:
            return
        before, self.last = self.last, view
        at = event.at
        if view.meta_leader != before.meta_leader:
            self.bus.emit(
                ev.MetaLeaderChanged(server=view.meta_leader, at=at, previous=before.meta_leader)
            )
        for name, stream in view.streams.items():
            old = before.streams.get(name)
            if old is None or old.leader != stream.leader:
                previous = old.leader if old else ""
                self.bus.emit(
                    ev.StreamLeaderChanged(
                        server=stream.leader, at=at, stream=name, previous=previous
                    )
                )
            if not stream.leader:
                continue  # without a leader, nobody can say how current the others are
            was = {r.name: r.current for r in old.replicas} if old and old.leader else {}
            if was.get(stream.leader) is False:  # a replica that was behind now leads
                self.bus.emit(
                    ev.ReplicaChanged(server=stream.leader, at=at, stream=name, current=True, lag=0)
                )
            for replica in stream.replicas:
                if was.get(replica.name, True) != replica.current:
                    self.bus.emit(
                        ev.ReplicaChanged(
                            server=replica.name,
                            at=at,
                            stream=name,
                            current=replica.current,
                            lag=replica.lag,
                        )
                    )
