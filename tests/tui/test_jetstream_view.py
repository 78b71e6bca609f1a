"""Pilot: with JetStream running, the panes' headers say who leads the meta group and the
stream, the client panel shows each replica, and a killed leader leaves both."""

import pytest

from natslab.lab import operations as ops
from natslab.tui.app import NatsLabApp
from tests.tui.pilot import pane_title, wait_for


def title(app, server: str) -> str:
    return pane_title(app, server)


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
