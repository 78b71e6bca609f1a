"""The palette's JetStream entries come from what the servers report: a stream's name is
the servers' word, so a name the lab's operations could not carry is left out, not a crash;
a mirror is offered its promotion, any other stream a mirror of its own."""

from natslab.cluster import events as sev
from natslab.cluster.snapshot import JetStreamStatus, ReplicaStatus, ServerStatus, StreamStatus
from natslab.lab.jetstream_palette import jetstream_entries
from natslab.state import LabState

LONGEST = "X" * 32  # a stream name at the limit: its mirror's name would be over it


def reported(*streams: StreamStatus) -> LabState:
    state = LabState()
    for name in "AB":
        js = JetStreamStatus(meta_leader="B", streams=streams)
        status = ServerStatus(server=name, up=True, at=1.0, healthy=True, jetstream=js)
        state.apply(sev.ServerPolled(server=name, at=1.0, status=status))
    return state


def titles(state: LabState, ledger: str | None = None, backups: tuple[str, ...] = ()) -> list[str]:
    return [e.title for e in jetstream_entries(state, ledger, [], list(backups))]


def test_streams_by_other_names_are_left_out_and_mirrors_are_offered_their_promotion():
    peers = (ReplicaStatus("A", True),)
    state = reported(
        StreamStatus("LEDGER", "B", peers, last_seq=9),
        StreamStatus("BACKUP", "B", (), mirror="LEDGER"),
        StreamStatus("orders", "B", peers),
        StreamStatus("[red]x", "B", peers),
        StreamStatus(LONGEST, "B", peers),
    )
    offered = titles(state)
    assert "Create stream LEDGER-BACKUP (2 replicas, a mirror of LEDGER)" in offered, offered
    assert "Promote mirror BACKUP to a stream of its own" in offered
    assert not any("BACKUP-BACKUP" in t for t in offered)  # a mirror is not mirrored
    assert not any("orders" in t or "[red]" in t for t in offered), offered
    assert f"Edit stream {LONGEST}: 1 replica" in offered
    assert not any(f"{LONGEST}-" in t for t in offered)
    assert "Start ledger ledger on stream LEDGER" in offered
    assert "Verify ledger ledger against stream LEDGER" in titles(state, ledger="ledger")
    # A backup is offered for restoring once its stream is gone, and not while it is there.
    restores = [t for t in titles(state, backups=("LEDGER", "GONE", "lower")) if "Restore" in t]
    assert restores == ["Restore stream GONE from its last backup"], restores


def test_without_a_ledger_stream_the_first_offer_is_to_create_it():
    offered = titles(reported())
    assert offered[0] == "Create stream LEDGER (2 replicas)", offered
