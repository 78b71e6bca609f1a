"""Pilot: `natslab watch`'s screen over servers this test started itself: a pane per server
with its changes as lines, the client panel across servers, nothing to perform, and q
quits at once (the watch stopped nothing, so it asks nothing)."""

import pytest

from natslab.tui.app import NatsLabApp
from natslab.watch.runner import HttpRounds
from natslab.watch.source import watch_session
from tests.test_watch import watch_of
from tests.tui.pilot import client_cell, pane_title, server_pane, wait_for
from tests.watched import Cluster


def title(app, server: str) -> str:
    return pane_title(app, server)  # "" until the server is seen


def pane(app, server: str) -> str:
    found = server_pane(app, server)
    return "\n".join(found.log_view.lines) if found is not None and found.is_mounted else ""


@pytest.mark.parametrize("through", ["http", "system account"])
async def test_the_watch_screen_follows_a_stop_and_a_move(binary, tmp_path, state_dir, through):
    import nats

    cluster = Cluster(binary, tmp_path)
    session = watch_of(cluster, through)
    app = NatsLabApp(session, [])
    nc = None
    try:
        for name in "XYZ":  # inside the try: a failed start still stops the ones started
            cluster.start(name)
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for(
                pilot,
                lambda: len(session.state.servers) == 3,
                20,
                f"three panes: {session.waiting()}",
            )
            await wait_for(pilot, lambda: "running" in title(app, "X"), 10, "X running")
            assert app.palette() == []  # read-only: the palette offers nothing
            nc = await nats.connect(cluster.client("X"), name="orders-api", reconnect_time_wait=0.1)
            await wait_for(pilot, lambda: client_cell(app, "orders-api", 1) == "X", 10, "on X")
            cluster.stop("X")
            await wait_for(pilot, lambda: "unreachable" in title(app, "X"), 10, "X unreachable")
            assert "(" not in title(app, "X").split("unreachable")[1][:3]  # no made-up code
            await wait_for(pilot, lambda: "is down" in pane(app, "X"), 10, "the line in X's pane")
            await wait_for(
                pilot, lambda: client_cell(app, "orders-api", 1)[-1:] in {"Y", "Z"}, 15, "moved"
            )
            await pilot.press("q")
            await pilot.pause(0.2)
        assert app.return_code == 0
    finally:
        if nc is not None:
            await nc.close()
        await session.close()
        cluster.close()


async def test_the_watch_screen_counts_unnamed_clients_and_marks_a_lame_duck(
    binary, tmp_path, state_dir
):
    import signal

    import nats

    cluster = Cluster(binary, tmp_path)
    session = watch_session(HttpRounds([cluster.monitor("Z")], 0.1), 0.1)
    app = NatsLabApp(session, [])
    nc = None
    try:
        for name in "XYZ":  # Z's JetStream is healthy once its meta group has a quorum
            cluster.start(name)
        async with app.run_test(size=(160, 45)) as pilot:
            await wait_for(pilot, lambda: "running" in title(app, "Z"), 20, "Z running")
            nc = await nats.connect(cluster.client("Z"), max_reconnect_attempts=0)  # no name
            await wait_for(
                pilot,
                lambda: "1 client without a name here (counted, not followed)" in pane(app, "Z"),
                10,
                "the unnamed client counted",
            )
            assert "cid:" not in str(app.query_one("#client-panel").render())  # not listed
            # Serving first (a JetStream server's /healthz fails while it starts), then SIGUSR2.
            await wait_for(pilot, lambda: session.state.servers["Z"].healthy, 20, "Z healthy")
            cluster.procs["Z"].send_signal(signal.SIGUSR2)
            await wait_for(pilot, lambda: "lame duck" in title(app, "Z"), 10, "Z marked")
            await pilot.press("q")
    finally:
        if nc is not None:
            await nc.close()
        await session.close()
        cluster.close()


async def test_a_watch_whose_only_server_is_down_says_so_and_offers_nothing_idle(
    binary, tmp_path, state_dir
):
    """Before the first answer the panes' place says what is awaited and why it failed; the
    footer offers no search, no maximise and no palette (a watch only reads). Once the
    server answers, its pane takes that place and the search comes back."""
    cluster = Cluster(binary, tmp_path)
    url = cluster.monitor("X")  # its port is free until the server starts
    session = watch_session(HttpRounds([url], 0.1), 0.1)
    app = NatsLabApp(session, [])
    try:
        async with app.run_test(size=(100, 30)) as pilot:

            def waiting() -> str:
                found = app.query("#no-servers")
                return str(found.first().render()) if found else ""

            await wait_for(pilot, lambda: url in waiting(), 10, "the URL it waits for")
            assert "No watched server has answered yet" in waiting()
            assert "refused" in waiting().lower() or "not answer" in waiting().lower()
            assert f"{url}: {url}" not in waiting()  # the URL once, then what it did
            mesh = str(app.query_one(".mesh").render())
            assert mesh == "no watched server answers", mesh  # not "running": it cannot know
            footer = {b.description for _, b, enabled, _ in app.screen.active_bindings.values()
                      if b.show and enabled}  # fmt: skip
            assert not footer & {"Search", "Maximise"}, footer
            assert not app.use_command_palette
            await pilot.press("ctrl+p")
            assert app.screen is app.screen_stack[0]  # no palette opened
            cluster.start("X")
            await wait_for(pilot, lambda: "running" in title(app, "X"), 30, "X's pane")
            assert not app.query("#no-servers")

            def offered() -> set[str]:
                bindings = app.screen.active_bindings.values()
                return {b.description for _, b, enabled, _ in bindings if b.show and enabled}

            await wait_for(pilot, lambda: "Search" in offered(), 5, "the search offered")
    finally:
        await session.close()
        cluster.close()
