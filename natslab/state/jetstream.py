"""Folds of JetStream's changes: the meta leader, stream leaders and replicas."""

from __future__ import annotations

from natslab.cluster import events as sev
from natslab.state import notes as n
from natslab.state.base import StateBase


class JetStreamFolds(StateBase):
    """JetStream's leaders and replicas, on the timeline (the view itself is polled)."""

    def _on_meta_leader(self, e: sev.MetaLeaderChanged) -> None:
        self._note(e.at, "jetstream", n.DescribedNote(e))

    def _on_stream_leader(self, e: sev.StreamLeaderChanged) -> None:
        self._note(e.at, "jetstream", n.DescribedNote(e))

    def _on_replica(self, e: sev.ReplicaChanged) -> None:
        self._note(e.at, "jetstream", n.DescribedNote(e))
