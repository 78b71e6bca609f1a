"""LabState folds recorded histories; no servers needed, since it is pure."""

import dataclasses
from pathlib import Path

from natslab.clients import events as cev
from natslab.cluster import events as sev
from natslab.cluster.snapshot import Connection, RoutePeer, ServerStatus
from natslab.present.timeline_words import words
from natslab.state import ClientState, LabState, ServerState

PORTS = {"A": 4222, "B": 4333, "C": 4444, "D": 4555, "E": 4666}


def started(name, at):
    port = PORTS[name]
    return sev.ServerStarted(
        server=name,
        at=at,
        pid=100 + port % 10,
        argv=(),
        binary=Path("/bin/nats-server"),
        version="2.15.1",
        client_port=port,
        cluster_port=port + 2000,
        monitor_port=port + 4000,
    )


def polled(name, at, peers=(), conns=()):
    status = ServerStatus(
        server=name,
        up=True,
        at=at,
        version="2.15.1",
        healthy=True,
        route_peers=tuple(RoutePeer(p, f"id{p}", 4) for p in peers),
        connections=tuple(conns),
    )
    return sev.ServerPolled(server=name, at=at, status=status)


def ready(name, at):
    return sev.ServerReady(server=name, at=at, level="INF", text="Server is ready")


def cluster(state, names="ABC", at=1.0):
    for name in names:
        state.apply_all([started(name, at), ready(name, at + 0.01)])
    for name in names:
        state.apply(polled(name, at + 0.5, peers=[p for p in names if p != name]))


def connected(client, server, url, pool, discovered=(), at=2.0):
    return cev.ClientConnected(
        client=client,
        at=at,
        url=url,
        server_name=server,
        client_id=7,
        pool=pool,
        discovered=discovered,
    )


def test_servers_and_mesh_follow_events():
    state = LabState()
    cluster(state)
    assert {v.state for v in state.servers.values()} == {ServerState.RUNNING}
    assert state.is_full_mesh("ABC")
    state.apply(sev.ServerExited(server="A", at=5.0, returncode=0, expected=True))
    assert state.servers["A"].state == ServerState.STOPPED
    assert state.route_pairs() == {frozenset("BC")}
    assert [words(e) for e in state.timeline if e.kind == "route"][-2:] == [
        "route A-B down",
        "route A-C down",
    ]
    # A poll answered just before the exit must not bring A back.
    state.apply(polled("A", 5.1, peers="BC"))
    assert state.servers["A"].route_peers == frozenset()


def test_unexpected_exit_is_a_crash():
    state = LabState()
    cluster(state, "A")
    state.apply(sev.ServerExited(server="A", at=3.0, returncode=2, expected=False))
    assert state.servers["A"].state == ServerState.CRASHED
    assert words(state.timeline[-1]) == "A exited unexpectedly (exit code 2)"


def test_a_stop_natslab_did_not_send_is_a_stop_not_a_crash():
    """A learner's `kill -INT` (logged as trapped, exit 0) or `kill -9` stops a server; an
    exit code of 2 with no trapped signal stays a crash."""
    state = LabState()
    cluster(state, "AB")
    trapped = 'Trapped "interrupt" signal'
    state.apply(
        sev.SignalTrapped(server="A", at=3.0, level="INF", text=trapped, signal="interrupt")
    )
    state.apply(sev.ServerExited(server="A", at=3.1, returncode=0, expected=False))
    assert state.servers["A"].state == ServerState.STOPPED
    assert state.servers["A"].stopped_from_outside == 'the "interrupt" signal'
    assert words(state.timeline[-1]) == (
        'A stopped on the "interrupt" signal, which natslab did not send (exit code 0)'
    )
    state.apply(sev.ServerExited(server="B", at=3.2, returncode=-9, expected=False))
    assert state.servers["B"].state == ServerState.STOPPED
    assert state.servers["B"].stopped_from_outside == "SIGKILL"
    # A trapped signal belongs to one process: a restarted A that then dies is a crash.
    state.apply_all([started("A", 4.0), ready("A", 4.1)])
    state.apply(sev.ServerExited(server="A", at=5.0, returncode=2, expected=False))
    assert state.servers["A"].state == ServerState.CRASHED


def test_client_position_knowledge_and_duplicates():
    state = LabState()
    cluster(state)
    state.apply(
        cev.ClientStarting(
            client="sub-1", at=1.9, kind="subscriber", seeds=("nats://localhost:4222",), options={}
        )
    )
    state.apply(
        connected(
            "sub-1",
            "A",
            "localhost:4222",
            pool=("localhost:4222", "127.0.0.1:4222", "127.0.0.1:4333"),
            discovered=("127.0.0.1:4222", "127.0.0.1:4333"),
        )
    )
    view = state.clients["sub-1"]
    assert (view.server, view.state) == ("A", ClientState.CONNECTED)
    assert view.known_servers() == {"A", "B"}
    assert view.learned_by_gossip() == {"B"}
    assert view.duplicates() == {"A": ["localhost:4222", "127.0.0.1:4222"]}

    state.apply(
        cev.ServersDiscovered(
            client="sub-1",
            at=3.0,
            pool=("localhost:4222", "127.0.0.1:4222", "127.0.0.1:4333", "127.0.0.1:4444"),
            discovered=("127.0.0.1:4222", "127.0.0.1:4333", "127.0.0.1:4444"),
        )
    )
    assert view.learned_at("C") == 3.0 and view.learned_at("B") == 2.0
    assert words(state.timeline[-1]) == "sub-1 learned C by gossip"
    assert state.client_counts() == {"A": 1, "B": 0, "C": 0}


def test_gossip_that_outruns_the_start_event_is_named_when_the_server_starts():
    """Seen under load: sub-1 heard of C 20 ms after C's process started, before the lab
    had published ServerStarted for C, and the check then said sub-1 knew only A and B."""
    state = LabState()
    cluster(state, names="AB")
    state.apply(connected("sub-1", "A", "127.0.0.1:4222", pool=("127.0.0.1:4222",)))
    state.apply(
        cev.ServersDiscovered(
            client="sub-1",
            at=3.0,
            pool=("127.0.0.1:4222", "127.0.0.1:4333", "127.0.0.1:4444"),
            discovered=("127.0.0.1:4333", "127.0.0.1:4444"),
        )
    )
    view = state.clients["sub-1"]
    assert view.known_servers() == {"A", "B"}
    state.apply(started("C", 3.05))
    assert view.known_servers() == {"A", "B", "C"}
    assert view.learned_by_gossip() == {"B", "C"}
    assert view.learned_at("C") == 3.0
    assert words(state.timeline[-1]) == "sub-1 learned C by gossip"
    state.apply(started("C", 9.0))  # a restart names nothing twice
    assert words(state.timeline[-1]).startswith("C started")


def test_failover_records_move_gap_and_what_is_remembered():
    state = LabState()
    cluster(state)
    pool = ("127.0.0.1:4222", "127.0.0.1:4333", "127.0.0.1:4444")
    state.apply(connected("sub-1", "A", "127.0.0.1:4222", pool, pool[1:]))
    state.apply(sev.ServerExited(server="A", at=4.0, returncode=0, expected=True))
    state.apply(cev.ClientDisconnected(client="sub-1", at=4.001, url="127.0.0.1:4222"))
    assert state.clients["sub-1"].state == ClientState.RECONNECTING
    assert state.clients_on("A") == []
    # The INFO name is unknown here, so the port decides: never a raw address.
    state.apply(
        cev.ClientReconnected(
            client="sub-1",
            at=4.003,
            url="127.0.0.1:4444",
            server_name="",
            client_id=9,
            gap_ms=2.4,
            pool=pool,
            discovered=pool[1:],
        )
    )
    view = state.clients["sub-1"]
    assert (view.server, view.previous_server, view.reconnects) == ("C", "A", 1)
    assert view.last_gap_ms == 2.4
    assert words(state.timeline[-1]) == "sub-1 moved A -> C after 2 ms"
    assert state.known_but_down("sub-1") == {"A"}


def test_reconnect_to_the_same_server_is_not_a_move():
    state = LabState()
    cluster(state, "A")
    state.apply(connected("sub-1", "A", "127.0.0.1:4222", ("127.0.0.1:4222",)))
    state.apply(
        cev.ClientReconnected(
            client="sub-1",
            at=5.0,
            url="127.0.0.1:4222",
            server_name="A",
            client_id=3,
            gap_ms=2004.0,
            pool=("127.0.0.1:4222",),
            discovered=(),
        )
    )
    assert state.clients["sub-1"].previous_server is None
    assert words(state.timeline[-1]) == "sub-1 reconnected to A after 2004 ms"


def test_external_clients_come_from_connz_and_lab_clients_are_cross_checked():
    state = LabState()
    cluster(state)
    state.apply(connected("sub-1", "A", "127.0.0.1:4222", ("127.0.0.1:4222",)))
    app = Connection(
        cid=12, name="my-app", ip="127.0.0.1", port=50000, lang="nats.js", version="2.29.3"
    )
    lab = Connection(cid=7, name="sub-1", ip="127.0.0.1", port=50001)
    state.apply(polled("A", 3.0, peers="BC", conns=[lab]))
    state.apply(polled("B", 3.0, peers="AC", conns=[app]))
    assert state.clients["sub-1"].seen_in_connz_on == "A"
    # natslab's own short-lived connections (an API call, a round of requests) are no clients.
    own = Connection(cid=13, name=cev.OWN_CONNECTION, ip="127.0.0.1", port=50002)
    state.apply(polled("B", 3.0, peers="AC", conns=[app, own]))
    assert cev.OWN_CONNECTION not in state.clients
    ext = state.clients["my-app"]
    assert ext.external and ext.server == "B" and ext.state == ClientState.CONNECTED
    assert state.client_counts() == {"A": 1, "B": 1, "C": 0}
    # Its own library shows under Kind; "Srv ver" is B's, and is labelled so.
    from natslab.present.renderings import CLIENT_COLUMNS, client_row

    row = dict(zip(CLIENT_COLUMNS, (c.plain for c in client_row(state, ext, 3.0)), strict=True))
    assert (row["Kind"], row["Srv ver"]) == ("nats.js 2.29.3", "2.15.1")
    assert client_row(state, state.clients["sub-1"], 3.0)[-1].plain == "client"
    state.apply(polled("C", 4.0, peers="AB", conns=[app]))
    assert (ext.server, ext.previous_server) == ("C", "B")
    state.apply(polled("C", 5.0, peers="AB"))
    assert ext.state == ClientState.CLOSED


def test_counts_lame_duck_notices_and_errors():
    state = LabState()
    cluster(state, "A")
    state.apply(connected("sub-1", "A", "127.0.0.1:4222", ("127.0.0.1:4222",)))
    state.apply(cev.MessageCounts(client="sub-1", at=3.0, received=90, lost=10))
    state.apply(
        cev.LameDuckNotice(
            client="sub-1", at=3.1, url="127.0.0.1:4222", server_name="A", honored=False
        )
    )
    state.apply(
        cev.ClientError(client="sub-1", at=3.2, message="UnexpectedEOF: nats: unexpected EOF")
    )
    state.apply(cev.ClientClosed(client="sub-1", at=4.0, reason="stopped by the lab"))
    view = state.clients["sub-1"]
    assert (view.received, view.lost, view.lame_duck_notices, view.errors) == (90, 10, 1, 1)
    assert view.state == ClientState.CLOSED
    assert "staying until the server closes it" in words(state.timeline[-2])


def test_unknown_events_are_ignored():
    state = LabState()
    state.apply(object())
    state.apply(sev.LogLines(server="A", lines=("x",)))
    assert state.servers == {} and list(state.timeline) == []


def test_nameless_connections_are_dropped_when_they_go():
    state = LabState()
    cluster(state, "A")
    # A lab client caught by /connz before its CONNECT arrived has no name yet: not external.
    nameless = Connection(cid=5, name="", ip="127.0.0.1", port=1)
    state.apply(polled("A", 3.0, conns=[nameless]))
    assert "cid:5@A" not in state.clients
    # Nameless in two polls in a row: an external client that gave no name.
    state.apply(polled("A", 3.5, conns=[nameless]))
    assert state.clients["cid:5@A"].external
    state.apply(polled("A", 4.0, conns=[Connection(cid=5, name="sub-1", ip="127.0.0.1", port=1)]))
    assert "cid:5@A" not in state.clients


def test_crash_names_the_error_line():
    state = LabState()
    cluster(state, "A")
    lines = (
        "[9] 2026/11/26 03:30:45.719014 [INF] Server is ready",
        "[9] 2026/11/26 03:31:00.000000 [FTL] Error listening on port: 127.0.0.1:4222",
    )
    state.apply(
        sev.ServerExited(server="A", at=3.0, returncode=1, expected=False, last_lines=lines)
    )
    assert words(state.timeline[-1]) == (
        "A exited unexpectedly (exit code 1): [FTL] Error listening on port: 127.0.0.1:4222"
    )


def test_log_events_the_polls_cannot_tell_are_folded_and_reset_by_a_restart():
    from natslab.cluster.logformat import parse_line

    state = LabState()
    cluster(state, "AB")
    view = state.servers["B"]
    assert (view.name_conflicts, view.last_route_closed, view.warnings) == (0, "", 0)
    prefix = "[9] 2026/11/26 01:25:49.100000"
    for line in (
        f"{prefix} [ERR] 127.0.0.1:6222 - rid:5 - Rejecting connection, cluster name "
        '"x" does not match "y"',
        f"{prefix} [INF] 127.0.0.1:6222 - rid:5 - Router connection closed: "
        "Cluster Name Conflict - Remote: A",
        f"{prefix} [WRN] something odd",
        f"{prefix} [INF] Initiating Shutdown...",
    ):
        event = parse_line("B", line)
        assert event is not None, line
        state.apply(event)
    assert view.name_conflicts == 1
    assert view.last_route_closed == "Cluster Name Conflict (remote A)"
    assert view.warnings == 1 and view.shutting_down_at is not None
    state.apply(started("B", 9.0))
    assert (view.name_conflicts, view.warnings, view.shutting_down_at) == (0, 0, None)


def test_a_watched_named_clients_move_is_on_the_timeline_once():
    state = LabState()
    app = Connection(cid=3, name="orders-node", ip="10.0.0.5", port=50000)
    for name in ("n1", "n2"):
        state.apply(
            sev.WatchedServerUp(server=name, at=1.0, url=f"http://{name}:8222", version="2.15.1")
        )
    state.apply(polled("n1", 2.0, conns=[app]))
    state.apply(polled("n1", 3.0))
    state.apply(polled("n2", 3.0, conns=[app]))
    state.apply(
        sev.WatchedClientMoved(server="n2", at=3.0, client="orders-node", previous="n1", gap=0.495)
    )
    moves = [words(e) for e in state.timeline if "moved" in words(e)]
    assert moves == ["orders-node moved n1 -> n2 (unseen for 495 ms between polls)"]

    # Outside a watch (the lab), the external client's move is the only note of it.
    lab = LabState()
    lab.apply(polled("A", 2.0, conns=[app]))
    lab.apply(polled("A", 3.0))
    lab.apply(polled("B", 3.0, conns=[app]))
    assert [words(e) for e in lab.timeline if "moved" in words(e)] == [
        "external client orders-node moved A -> B"
    ]


def test_a_poll_that_only_refreshed_cpu_and_memory_is_not_a_new_revision():
    state = LabState()
    cluster(state, names="AB")

    def poll(at: float, cpu: float, peers: str = "B") -> None:
        status = ServerStatus(
            server="A", up=True, at=at, version="2.15.1", healthy=True, cpu_percent=cpu,
            rss_bytes=1000, route_peers=tuple(RoutePeer(p, f"id{p}", 4) for p in peers),
        )  # fmt: skip
        state.apply(sev.ServerPolled(server="A", at=at, status=status))

    poll(3.0, cpu=1.0)
    before = state.revision
    poll(3.5, cpu=7.5)
    assert state.revision == before and state.servers["A"].cpu_percent == 7.5
    poll(4.0, cpu=7.5, peers="")  # the route to B went: a real change
    assert state.revision > before
    changed = state.revision
    state.apply(cev.MessageCounts(client="nobody", at=4.5, received=1))
    assert state.revision > changed


def test_a_cluster_name_clash_says_why_once_when_no_name_was_given():
    state = LabState()
    cluster(state, names="AB")
    for at in (3.0, 3.5):
        state.apply(sev.ClusterNameConflict(server="A", at=at, level="ERR", text="conflict"))
    why = [words(e) for e in state.timeline if "cluster name" in words(e)]
    assert why == [
        "A turned away a route over the cluster name: without --cluster_name each server made "
        "one up, and the one whose name sorts lower takes the other's; the route is dialled "
        "again a second later"
    ]
    named = LabState()
    named.apply(dataclasses.replace(started("A", 1.0), argv=("--cluster_name", "lab")))
    named.apply(sev.ClusterNameConflict(server="A", at=3.0, level="ERR", text="conflict"))
    assert not [e for e in named.timeline if "turned away" in words(e)]


def test_a_crash_is_marked_on_the_timeline_and_a_stop_is_not():
    """Screens colour what went wrong from the entry's mark, not by searching its words."""
    state = LabState()
    for name, expected in (("A", True), ("B", False)):
        state.apply(sev.ServerStarted(server=name, at=1.0, pid=10, argv=(), binary=Path("x"),
                                      version="2.15.1", client_port=4222, cluster_port=6222,
                                      monitor_port=8222))  # fmt: skip
        state.apply(sev.ServerExited(server=name, at=2.0, returncode=1, expected=expected))
    exits = [e for e in state.timeline if "exit code" in words(e)]
    assert [(words(e).split()[0], e.alarm) for e in exits] == [("A", False), ("B", True)]


def test_the_timeline_holds_facts_and_present_words_them():
    """A note is data (who, where, how long), so the report and the screens word it alike,
    and a reader can use the facts without parsing a sentence."""
    from natslab.state import notes

    state = LabState()
    state.apply(
        cev.ClientConnected(
            client="sub-1",
            at=1.0,
            url="nats://127.0.0.1:4222",
            server_name="A",
            client_id=1,
            pool=(),
            discovered=(),
        )
    )
    state.apply(cev.ClientReconnected(client="sub-1", at=2.0, url="nats://127.0.0.1:4223",
                                      server_name="B", client_id=2, gap_ms=41.6, pool=(),
                                      discovered=()))  # fmt: skip
    note = state.timeline[-1].note
    assert note == notes.ReconnectedNote("sub-1", "B", "A", 41.6)
    assert words(state.timeline[-1]) == "sub-1 moved A -> B after 42 ms"


def test_a_stalled_ledger_shows_its_gap_while_it_lasts_and_a_stopped_one_does_not():
    """A ledger publishing into a deleted stream failed two hundred times a second, and the
    panel said "Last gap -" until the restore ended it (from the learner's walk)."""
    from natslab.present.renderings import CLIENT_COLUMNS, client_row

    state = LabState()
    cluster(state, names="AB")
    state.apply(cev.ClientStarting(client="ledger", at=1.0, kind="ledger", seeds=(), options={}))
    state.apply(connected("ledger", "A", "nats://127.0.0.1:4222", pool=(), at=1.5))

    def gap(now: float) -> tuple[str, str]:
        cells = client_row(state, state.clients["ledger"], now)
        row = dict(zip(CLIENT_COLUMNS, cells, strict=True))
        return row["Last gap"].plain, str(row["Last gap"].style)

    state.apply(cev.LedgerCounts(client="ledger", at=5.0, acked=200, failed=3, last_ack_at=5.0))
    assert gap(7.0) == ("-", "")  # acknowledged, or stopped: nothing going on
    state.apply(cev.LedgerCounts(client="ledger", at=8.0, acked=200, failed=400, last_ack_at=5.0))
    assert gap(9.5) == ("4.5 s…", "bold red")  # failing since its last ack
    state.apply(cev.LedgerCounts(client="ledger", at=10.0, acked=201, failed=400, last_ack_at=10.0))
    assert gap(12.0) == ("-", "")  # acknowledged again: the gap ended


def test_the_timeline_says_who_acted_the_learner_from_the_palette_or_the_lesson():
    """A lesson's own actions were labelled "you:" (from the learner's walk)."""
    from natslab.state import ActionTaken, LessonActionNoted

    state = LabState()
    state.apply(ActionTaken(title="Delete stream LEDGER", ok=True, detail="deleted", at=1.0))
    state.apply(LessonActionNoted(title="Back up stream LEDGER", ok=True, detail="8 kB", at=2.0))
    assert [words(e) for e in state.timeline if e.kind == "action"] == [
        "you: Delete stream LEDGER — deleted",
        "lesson: Back up stream LEDGER — 8 kB",
    ]


def test_a_replica_on_a_stopped_server_reads_down_not_a_lag():
    """The leader reports a stopped server's replica as merely behind (and only later as
    offline): the panel said "C lag 310" for a server the lab had stopped."""
    from natslab.cluster.snapshot import JetStreamStatus, ReplicaStatus, StreamStatus
    from natslab.present.renderings import mesh_text

    state = LabState()
    cluster(state, names="ABC")
    replicas = (ReplicaStatus("B", True), ReplicaStatus("C", False, lag=310))
    js = JetStreamStatus(meta_leader="A", streams=(StreamStatus("LEDGER", "A", replicas),))
    status = ServerStatus(server="A", up=True, at=3.0, healthy=True, jetstream=js)
    state.apply(sev.ServerPolled(server="A", at=3.0, status=status))
    assert "LEDGER ★A B✓ C lag 310" in mesh_text(state).plain  # C is up: only behind
    state.apply(sev.ServerExited(server="C", at=4.0, returncode=0, expected=True))
    assert "LEDGER ★A B✓ C down" in mesh_text(state).plain


def test_the_ledger_report_bills_an_outage_to_the_step_that_began_it():
    """quorum-loss's outage began when B and C stopped (step 2) and ended when B came back
    (step 4): the report said "step 4: 26198 ms" (from the learner's walk)."""
    from types import SimpleNamespace

    from natslab.lessons.checks import _ledger_bill
    from natslab.lessons.lab_protocol import CheckContext

    state = LabState()
    cluster(state, names="A")
    state.apply(cev.ClientStarting(client="ledger", at=0.9, kind="ledger", seeds=(), options={}))
    state.apply(connected("ledger", "A", "nats://127.0.0.1:4222", pool=(), at=1.0))
    state.apply(cev.PublishGap(client="ledger", at=11.3, start=11.0, failed=2))
    state.apply(cev.PublishGap(client="ledger", at=35.0, start=12.0, failed=900))
    state.apply(cev.PublishGap(client="ledger", at=36.2, start=36.0, failed=0))
    ctx = CheckContext(SimpleNamespace(state=state))  # type: ignore[arg-type]
    ctx.step_starts.extend([(1, 0.5), (2, 10.0), (3, 20.0), (4, 30.0)])
    # Step 3 had no ack at all, and says so; step 2's failures are both its stretches'
    # (the steps add up to the total; the walk found 2 shown against 3 in all).
    assert _ledger_bill(ctx, 40.0) == (
        "ledger: step 1: under 20 ms, step 2: 23000 ms (902 failed, until step 4), "
        "step 3: within step 2's stretch, step 4: 200 ms"
    )


def test_the_loss_report_bills_a_loss_to_the_step_it_began_in():
    """A link lost in step 4 shows its gap when messages cross again in step 5: the report
    says step 4 (leaf-nodes said "step 5: 3057" for a loss of step 4, from the walk)."""
    from types import SimpleNamespace

    from natslab.lessons.checks import _bill
    from natslab.lessons.lab_protocol import CheckContext

    state = LabState()
    cluster(state, names="A")
    state.apply(cev.ClientStarting(client="far-1", at=0.9, kind="subscriber", seeds=(), options={}))
    state.apply(connected("far-1", "A", "nats://127.0.0.1:4222", pool=(), at=1.0))
    state.apply(cev.MessageCounts(client="far-1", at=12.0, received=50, lost=2, loss_began=11.5))
    state.apply(cev.MessageCounts(client="far-1", at=41.0, received=90, lost=30, loss_began=33.0))
    ctx = CheckContext(SimpleNamespace(state=state))  # type: ignore[arg-type]
    ctx.step_starts.extend([(3, 10.0), (4, 30.0), (5, 40.0)])
    assert _bill([state.clients["far-1"]], ctx) == (
        "30 messages lost in all (step 3: 2, step 4: 28); far-1 30"
    )
    # A step's own check still counts what it found: step 5's next message showed 28.
    assert state.clients["far-1"].lost_between(40.0) == 28


def test_a_route_is_dated_by_the_log_line_that_says_it_came_up():
    """The poll of /routez came 150 ms after a client had learned of C through the route,
    and the check read "learned C 1064 ms after it started, its first route 1218 ms"."""
    state = LabState()
    state.apply(started("A", 1.0))
    state.apply(polled("A", 1.5))
    state.apply(started("C", 10.0))
    up = sev.RouteConnected(
        server="C", at=11.0, level="INF", text="Route connection created", address="x", rid=3
    )
    state.apply(up)
    state.apply(polled("C", 11.2, peers=("A",)))
    assert state.servers["C"].routed_at == 11.0
    state.apply(started("D", 20.0))
    state.apply(polled("D", 21.5, peers=("A",)))  # a route the log did not say: the poll's time
    assert state.servers["D"].routed_at == 21.5
