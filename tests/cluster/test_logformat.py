"""logparse against lines captured from a real nats-server 2.15.1 (tests/data)."""

from pathlib import Path

import pytest

from natslab.cluster import events as ev
from natslab.cluster.logformat import parse_line

DATA = Path(__file__).parent.parent / "data"


def parsed(server: str) -> list[ev.LogEvent]:
    lines = (DATA / f"nats-server-2.15.1-{server}.log").read_text().splitlines()
    return [e for e in (parse_line(server, line) for line in lines) if e is not None]


def of(kind, events):
    return [e for e in events if isinstance(e, kind)]


def test_ready_is_found_once():
    assert len(of(ev.ServerReady, parsed("A"))) == 1


def test_route_connect_errors_before_b_starts_carry_target_and_attempt():
    errors = of(ev.RouteConnectError, parsed("A"))
    assert len(errors) == 6  # attempts 1-3, twice: two route dials run side by side
    assert {e.target for e in errors} == {"127.0.0.1:16333"}
    assert [e.attempt for e in errors[:4]] == [1, 1, 2, 2]
    # Attempt 1 is logged as an error, later attempts only at debug level.
    assert errors[0].level == "ERR" and errors[2].level == "DBG"
    assert errors[0].error.endswith("connect: connection refused")


def test_older_route_error_wording_without_attempt():
    line = (
        "[41] 2020/05/01 10:00:00.000000 [ERR] Error trying to connect to route: "
        "dial tcp localhost:6333: connect: connection refused"
    )
    event = parse_line("A", line)
    assert isinstance(event, ev.RouteConnectError)
    assert (event.target, event.attempt) == ("localhost:6333", None)


def test_route_created_and_closed_name_the_peer_and_reason():
    events = parsed("B")
    created = of(ev.RouteConnected, events)
    assert created[0].address == "127.0.0.1:16222" and created[0].rid == 5
    closed_by_a = [e for e in of(ev.RouteClosed, events) if e.remote == "A"]
    assert {e.reason for e in closed_by_a} >= {"Client Closed", "Duplicate Route"}
    conflict = [e for e in of(ev.RouteClosed, events) if e.reason == "Cluster Name Conflict"]
    assert len(conflict) >= 1 and conflict[0].remote is None


def test_shutdown_of_a_seen_from_a_names_remotes():
    closed = [e for e in of(ev.RouteClosed, parsed("A")) if e.reason == "Server Shutdown"]
    assert {e.remote for e in closed} == {"B", "C"}
    (shutdown,) = of(ev.ShutdownStarted, parsed("A"))
    assert shutdown.level == "INF" and shutdown.text.startswith("Initiating Shutdown")


def test_client_connect_and_close_with_name():
    events = parsed("A")
    (created,) = of(ev.ClientConnectionCreated, events)
    (closed,) = of(ev.ClientConnectionClosed, events)
    assert (created.address, created.cid) == ("127.0.0.1:54004", 17)
    assert (closed.cid, closed.client_name, closed.reason) == (17, "sub-1", "Client Closed")


def test_client_closed_without_info_part_and_with_colons_in_name():
    bare = parse_line(
        "A",
        "[1] 2026/01/01 00:00:00.000000 [DBG] 1.2.3.4:5 - cid:9 - Client connection closed: EOF",
    )
    assert isinstance(bare, ev.ClientConnectionClosed) and bare.client_name is None
    named = parse_line(
        "A",
        '[1] 2026/01/01 00:00:00.000000 [DBG] 1.2.3.4:5 - cid:9 - "v2:go:a:b" - '
        "Client connection closed: Stale Connection",
    )
    assert isinstance(named, ev.ClientConnectionClosed) and named.client_name == "a:b"


def test_cluster_name_conflict_and_update():
    events = parsed("A")
    (updated,) = of(ev.ClusterNameUpdated, events)
    assert updated.cluster_name == "ok1eGhdNY01W2WZkiiXDsM"
    (conflict,) = of(ev.ClusterNameConflict, events)
    assert conflict.level == "ERR" and 'does not match "ok1eGhdNY01W2WZkiiXDsM"' in conflict.text


def test_lame_duck_entered():
    assert len(of(ev.LameDuckEntered, parsed("C"))) == 1


def test_trapped_signals_name_the_signal():
    """Recorded from real 2.15.1 servers: Ctrl+C on A and B, lame duck on C."""
    trapped = [e for name in "ABC" for e in parsed(name) if isinstance(e, ev.SignalTrapped)]
    assert [(e.server, e.signal) for e in trapped] == [
        ("A", "interrupt"),
        ("B", "interrupt"),
        ("C", "user defined signal 2"),
    ]


def test_generated_cluster_name_warning_is_a_problem():
    problems = of(ev.LogProblem, parsed("A"))
    assert any("dynamically generated" in p.text and p.level == "WRN" for p in problems)


@pytest.mark.parametrize(
    "line",
    [
        "[1] 2026/11/26 03:30:49.742203 [DBG] 127.0.0.1:16333 - rid:8 - Router Ping Timer",
        "[1] 2026/11/26 03:30:45.714279 [INF]   Version:  2.15.1",
        "not a log line at all",
        "",
    ],
)
def test_routine_lines_are_not_events(line):
    assert parse_line("A", line) is None


def test_a_line_is_taken_apart_once_for_every_reader():
    from natslab.cluster.logformat import message_of, notability, split_line

    line = (
        "[41] 2026/11/26 01:27:42.539214 [DBG] 127.0.0.1:48814 - cid:19 - "
        '"v2.16.0:python3:crowd-6" - Client connection closed: Client Closed'
    )
    parts = split_line(line)
    assert parts is not None
    assert (parts.pid, parts.time, parts.level) == (41, "01:27:42.539", "DBG")
    assert (parts.connection, parts.client_name) == ("cid:19", "crowd-6")
    assert parts.message == "Client connection closed: Client Closed"
    assert message_of(line).startswith("[DBG] 127.0.0.1:48814")
    assert notability(line) == "cyan"
    assert notability("[41] 2026/11/26 01:27:42.539214 [DBG] Ping Timer") is None
    assert split_line("Usage: nats-server [options]") is None


def test_a_pane_folds_repeats_and_hides_noise_behind_counts():
    from natslab.cluster.logformat import LogFolder

    folder = LogFolder(1000)
    for line in (DATA / "nats-server-2.15.1-A.log").read_text().splitlines():
        folder.add(line)
    summaries = [entry.summary() for entry in folder.entries]
    # A's six refused dials of B (two dial loops, attempts 1-3) are one entry, shown at the
    # first line's level (ERR): it says that only the first attempts were logged as errors.
    refused = [s for s in summaries if s.startswith("route to 127.0.0.1:16333 refused")]
    assert refused == [
        "route to 127.0.0.1:16333 refused ×6 (2 ERR, 4 DBG), attempts 1–3, last 03:30:47.723"
    ]
    assert folder.hidden["route dials"] == 11 and folder.hidden["ping timers"] == 8
    assert not any("Ping Timer" in s or "Trying to connect" in s for s in summaries)
    assert any(s.startswith("Route connection created ×5") for s in summaries)
    # Negative control: with folding off every line is an entry of its own.
    everything = LogFolder(1000, fold=False)
    lines = (DATA / "nats-server-2.15.1-A.log").read_text().splitlines()
    for line in lines:
        everything.add(line)
    assert len(everything.entries) == len(lines) > len(folder.entries)


def test_a_pane_line_is_compact_and_tags_the_connection():
    from natslab.cluster.logformat import LogFolder
    from natslab.present.renderings import entry_text

    folder = LogFolder(10)
    folder.add(
        "[41] 2026/11/26 01:27:42.539214 [DBG] 127.0.0.1:48814 - cid:19 - "
        '"v2.16.0:python3:crowd-6" - Client connection closed: Client Closed'
    )
    (entry,) = folder.entries
    assert entry_text(entry).plain == (
        "01:27:42.539 DBG cid:19 crowd-6 Client connection closed: Client Closed"
    )
    assert entry_text(entry, raw=True).plain == entry.raw
