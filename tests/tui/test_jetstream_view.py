"""Pilot: with JetStream running, the panes' headers say who leads the meta group and the
stream, the client panel shows each replica, and a killed leader leaves both."""

import pytest

from natslab.cluster import events as sev
from natslab.cluster.snapshot import (
    JetStreamStatus,
    ReplicaStatus,
    RoutePeer,
    ServerStatus,
    StreamStatus,
)
from natslab.lab import operations as ops
from natslab.lessons import catalog
from natslab.tui.app import NatsLabApp
from tests.tui.pilot import pane_title, server_pane, wait_for
from tests.tui.test_layout_snapshots import PORTS, recorded_cluster


def title(app, server: str) -> str:
    return pane_title(app, server)


def polled_with(session, js: JetStreamStatus) -> None:
    """Every recorded server polled once more, routed to the others, reporting `js`."""
    for name in PORTS:
        peers = tuple(RoutePeer(p, f"id{p}", 4) for p in PORTS if p != name)
        status = ServerStatus(server=name, up=True, at=104.0, version="2.15.1",
                              healthy=True, route_peers=peers, jetstream=js)  # fmt: skip
        session.bus.emit(sev.ServerPolled(server=name, at=104.0, status=status))


def mesh(app) -> str:
    return str(app.query_one("#client-panel .mesh").render())


@pytest.mark.slow
async def test_leaders_and_replicas_on_screen(session):
    app = NatsLabApp(session, ["A", "B", "C"])
    async with app.run_test(size=(160, 50)) as pilot:
        for name in "ABC":
            await session.source.perform(
                ops.StartServer(
                    server=name, routes=("A", "B", "C"), cluster_name="lab", jetstream=True
                )
            )
        await session.source.perform(ops.CreateStream(server="A"))
        await session.source.perform(ops.MoveLeader(to="B", server="A"))
        await session.source.perform(ops.MoveLeader(stream="LEDGER", to="C", server="A"))
        await wait_for(pilot, lambda: "★meta" in title(app, "B"), 15, "B's header: meta leader")
        await wait_for(pilot, lambda: "★LEDGER" in title(app, "C"), 15, "C's header: leader")
        assert "★" not in title(app, "A")
        await wait_for(pilot, lambda: "JS meta B  LEDGER ★C A✓ B✓" in mesh(app), 15, "replicas")
        await session.source.perform(ops.KillServer(server="C"))
        await wait_for(pilot, lambda: "★C" not in mesh(app), 15, "the killed leader gone")
        await wait_for(
            pilot,
            lambda: "★LEDGER" in title(app, "A") + title(app, "B"),
            30,
            "a new stream leader in a header",
        )


async def test_a_long_jetstream_line_leaves_the_bars_and_the_table_their_room(session):
    """Two streams and a lagging replica made the JetStream line as wide as the panel: the
    per-server bars wrapped into a column and the table lost its last columns (from the
    learner's walk at 120x40). The line now wraps within its share."""
    lagging = (ReplicaStatus("B", True), ReplicaStatus("C", False, lag=123456))
    js = JetStreamStatus(
        meta_leader="A",
        streams=tuple(StreamStatus(n, "A", lagging) for n in ("LEDGER", "LEDGER-BACKUP", "ORDERS")),
    )
    recorded_cluster(session)
    lesson = catalog.load("backup-restore")  # the lesson panel beside: the narrowest share
    app = NatsLabApp(session, lesson.servers, lesson)
    async with app.run_test(size=(120, 40)) as pilot:
        polled_with(session, js)
        await wait_for(pilot, lambda: "ORDERS" in mesh(app), 10, "the three streams drawn")
        await pilot.pause()
        panel = app.query_one("#client-panel")
        bars, drawn = panel.query_one(".bars"), panel.query_one(".mesh")
        assert bars.size.width >= 16, (bars.size, drawn.size)
        assert drawn.size.width <= panel.size.width * 0.7, (drawn.size, panel.size)
        assert "C lag 123456" in mesh(app).replace("\n", " ")
        # Each server's bar on one line of its own, however narrow the share.

        def fitted() -> bool:
            lines = str(bars.render()).splitlines()
            return len(lines) == 3 and all(len(b) <= bars.content_size.width for b in lines)

        await wait_for(pilot, fitted, 5, "each bar on one line within its share")


async def test_a_crowded_header_drops_cpu_and_ports_before_peers_and_leaderships(session):
    """At 120x40 beside a lesson, a header with a leader's badges ran past its pane and the
    badges, last on the line, were cut (from the learners' walk). It now gives up memory,
    CPU, ports, pid and version, in that order, to keep peers and leaderships in view."""
    js = JetStreamStatus(
        meta_leader="A",
        streams=tuple(
            StreamStatus(n, "A", (ReplicaStatus("B", True), ReplicaStatus("C", True)))
            for n in ("LEDGER", "BACKUP")
        ),
    )
    recorded_cluster(session)
    lesson = catalog.load("backup-restore")
    app = NatsLabApp(session, lesson.servers, lesson)
    async with app.run_test(size=(120, 40)) as pilot:
        polled_with(session, js)
        await wait_for(pilot, lambda: "★BACKUP" in title(app, "A"), 10, "A's badges")
        header = server_pane(app, "A").query_one(".title")
        shown = title(app, "A")
        assert len(shown) <= header.content_size.width, (shown, header.content_size)
        assert "peers B C" in shown and "★meta" in shown and "★LEDGER" in shown, shown
        assert f":{PORTS['A']}" not in shown  # the ports gave way first
        # With room to spare, everything is back.
        await pilot.resize_terminal(200, 50)
        await wait_for(pilot, lambda: f":{PORTS['A']}" in title(app, "A"), 10, "the ports back")
