"""What a lab server needs to run JetStream: a store inside the run directory, a JetStream
account every unauthenticated client lands in, and a system account for the server APIs."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from natslab.cluster.snapshot import JetStreamStatus, ReplicaStatus, StreamStatus

SYSTEM_USER = "sys"  # the lab's user in the system account ($JS.API.META.*, $SYS.*)
SYSTEM_PASSWORD = "sys"  # loopback-only lab servers; written in the run directory's config
JETSTREAM_ACCOUNT = "LAB"


def config_fragment(store_dir: Path) -> str:
    """The config lines that turn JetStream on. `no_auth_user` keeps every lab client (and
    the user's own, unauthenticated) working as before, now in a JetStream-enabled account."""
    return (
        f'jetstream {{ store_dir: "{store_dir}" }}\n'
        "accounts {\n"
        f"  {JETSTREAM_ACCOUNT} {{ jetstream: enabled, users: [{{user: lab, password: lab}}] }}\n"
        f"  SYS {{ users: [{{user: {SYSTEM_USER}, password: {SYSTEM_PASSWORD}}}] }}\n"
        "}\n"
        "system_account: SYS\n"
        "no_auth_user: lab\n"
    )


@dataclass(frozen=True)
class JetStreamView:
    """The cluster's JetStream as the running servers report it: the meta leader, and each
    stream as its own leader sees it (a follower's idea of its peers is not current)."""

    meta_leader: str = ""
    streams: dict[str, StreamStatus] = field(default_factory=dict)
    enabled: frozenset[str] = frozenset()  # servers that answered /jsz
    consumer_leaders: dict[str, str] = field(default_factory=dict)  # "STREAM/consumer": leader

    def led_by(self, server: str) -> list[str]:
        """Every leadership `server` holds: the meta group, streams, consumers."""
        led = ["the meta group"] if self.meta_leader == server else []
        led += [f"stream {s}" for s, st in sorted(self.streams.items()) if st.leader == server]
        led += [
            f"consumer {c}" for c, lead in sorted(self.consumer_leaders.items()) if lead == server
        ]
        return led

    def lagging(self, stream: str) -> list[ReplicaStatus]:
        found = self.streams.get(stream)
        return [r for r in found.replicas if not r.current] if found else []


def cluster_view(reports: dict[str, JetStreamStatus]) -> JetStreamView:
    """From each running server's latest /jsz: a leader counts when it says so itself."""
    claims = [name for name, js in reports.items() if js.meta_leader == name]
    seen = Counter(js.meta_leader for js in reports.values() if js.meta_leader in reports)
    meta = claims[0] if claims else (seen.most_common(1)[0][0] if seen else "")
    streams: dict[str, StreamStatus] = {}
    consumers: dict[str, str] = {}
    for name, js in sorted(reports.items()):
        for stream in js.streams:
            if stream.leader == name:
                streams[stream.name] = stream
            elif stream.name not in streams:
                streams[stream.name] = StreamStatus(stream.name, "", stream.replicas)
            for consumer, leader in stream.consumers:
                key = f"{stream.name}/{consumer}"
                if leader == name or key not in consumers:  # its own word wins
                    consumers[key] = leader if leader in reports else ""
    return JetStreamView(
        meta_leader=meta, streams=streams, enabled=frozenset(reports), consumer_leaders=consumers
    )
