"""Free-form lab through the palette: start servers, add clients, stop one, see them move."""

from natslab.state import ClientState
from natslab.tui.app import NatsLabApp
from tests.tui.pilot import client_cell, pane_title, run_palette, server_pane, wait_for


async def test_add_clients_stop_a_server_and_watch_them_move(session, offset):
    app = NatsLabApp(session, ["A", "B", "C"], start_servers=True)
    state = session.state
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: state.is_full_mesh("ABC"), 20, "the mesh A-B-C")
        titles = [entry.title for entry in app.palette()]
        assert "Add 5 subscribers to A" in titles and "Start server D (routes to A and B)" in titles

        await run_palette(pilot, "Add 5 subscribers to A")
        subs = [f"sub-{n}" for n in range(1, 6)]
        await wait_for(
            pilot,
            lambda: all(client_cell(app, s, 1) == "A" for s in subs),
            15,
            "five subscribers shown on A",
        )

        # A routez mesh can come before A's INFO tells its clients about B and C; a client
        # that only knows A has nowhere to go.
        await wait_for(
            pilot,
            lambda: all({"B", "C"} <= state.clients[s].known_servers() for s in subs),
            15,
            "every subscriber to know B and C",
        )
        await run_palette(pilot, "Stop server A")
        # nats-py's reconnect may sit out a 2 s wait and a flush of up to 10 s.
        await wait_for(
            pilot,
            lambda: all(client_cell(app, s, 1)[-1:] in {"B", "C"} for s in subs),
            30,
            "the subscribers shown on B or C",
        )
        assert all(state.clients[s].state == ClientState.CONNECTED for s in subs)
        assert not session.source.supervisor.is_running("A")
        assert "stopped" in pane_title(app, "A")

        # Start a server the lab did not have: a pane appears for it.
        await run_palette(pilot, "Start server D (routes to A and B)")
        await wait_for(pilot, lambda: server_pane(app, "D") is not None, 15, "a pane for D")
        await wait_for(pilot, lambda: session.source.supervisor.is_running("D"), 15, "D running")
