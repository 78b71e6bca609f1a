"""The supervisor against real nats-server processes on loopback."""

import asyncio
import shutil

import httpx
import nats
import psutil
import pytest

from natslab.cluster import events as ev
from natslab.cluster.ports import ports_for
from natslab.cluster.rundir import RunDir
from natslab.cluster.spec import walkthrough_spec
from natslab.cluster.supervisor import Supervisor
from natslab.errors import (
    BinaryNotFoundError,
    PortInUseError,
    ServerStartError,
    ServerStateError,
    TimedOutError,
    UnknownServerError,
)
from tests.helpers import async_wait_until, listening_on

# nats-server retries a missing route every second; allow a few rounds.
ROUTE_TIMEOUT = 10.0


def our_servers() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True) if "nats-server" in p.name()]


async def start_ab(supervisor, offset):
    await supervisor.start(walkthrough_spec("A", offset))
    await supervisor.start(walkthrough_spec("B", offset))
    return await supervisor.wait_for_mesh("AB", timeout=ROUTE_TIMEOUT)


async def test_a_logs_route_errors_until_b_starts_then_both_are_peers(supervisor, events, offset):
    await supervisor.start(walkthrough_spec("A", offset))
    b_cluster = f"127.0.0.1:{ports_for('B', offset).cluster}"
    await async_wait_until(
        lambda: [e for e in events.of(ev.RouteConnectError, "A") if e.target == b_cluster],
        ROUTE_TIMEOUT,
        what="A's route-connect errors towards B",
    )
    assert not events.of(ev.RouteConnected, "A"), "the self-route must not count as a route"

    await supervisor.start(walkthrough_spec("B", offset))
    statuses = await supervisor.wait_for_mesh("AB", timeout=ROUTE_TIMEOUT)
    assert statuses["A"].peer_names == {"B"}
    assert statuses["B"].peer_names == {"A"}

    # 2.10+ pools several connections per peer (they come up one by one, so wait for a
    # second); the peer is still counted once.
    async def pooled() -> bool:
        peers = (await supervisor.status("A")).route_peers
        return len(peers) == 1 and peers[0].connections > 1

    await async_wait_until(pooled, ROUTE_TIMEOUT, what="a second pooled route connection")
    assert statuses["A"].version == supervisor.binaries["A"].version


async def test_sigint_to_a_ends_it_and_b_reports_the_route_to_a_closed(supervisor, events, offset):
    await start_ab(supervisor, offset)
    code = await supervisor.stop("A")
    assert code == 0
    (exited,) = events.of(ev.ServerExited, "A")
    assert exited.expected and exited.returncode == 0
    closed = await async_wait_until(
        lambda: [e for e in events.of(ev.RouteClosed, "B") if e.remote == "A"],
        ROUTE_TIMEOUT,
        what="B's route-closed event naming A",
    )
    assert closed[0].reason
    assert not supervisor.is_running("A") and supervisor.is_running("B")


async def test_restart_with_another_binary_reports_it_and_rejoins(
    supervisor, events, offset, binary, tmp_path
):
    await start_ab(supervisor, offset)
    upgraded = tmp_path / "upgraded" / "nats-server"
    upgraded.parent.mkdir()
    shutil.copy2(binary.path, upgraded)

    proc = await supervisor.restart("A", binary=upgraded)

    started = events.of(ev.ServerStarted, "A")
    assert len(started) == 2
    assert started[-1].binary == upgraded.resolve()
    assert started[-1].version == binary.version
    assert supervisor.binaries["A"].path == upgraded.resolve()
    assert psutil.Process(proc.pid).exe() == str(upgraded.resolve())
    statuses = await supervisor.wait_for_mesh("AB", timeout=ROUTE_TIMEOUT)
    assert statuses["A"].peer_names == {"B"}
    assert statuses["A"].version == binary.version


async def test_restart_with_a_broken_binary_keeps_the_running_server(supervisor, offset, tmp_path):
    await supervisor.start(walkthrough_spec("A", offset))
    with pytest.raises(BinaryNotFoundError, match="does not exist"):
        await supervisor.restart("A", binary=tmp_path / "missing")
    assert supervisor.is_running("A")


async def test_taken_port_is_a_sentence_and_starts_nothing(supervisor, offset):
    port = ports_for("A", offset).monitor
    taken = f"Port {port} \\(monitoring port of server A\\)"
    with listening_on(port), pytest.raises(PortInUseError, match=taken):
        await supervisor.start(walkthrough_spec("A", offset))
    assert our_servers() == []
    assert "A" not in supervisor.processes


async def test_server_that_exits_at_once_is_explained_and_reaped(supervisor, offset):
    spec = walkthrough_spec("A", offset, extra_flags=("--no-such-flag",))
    with pytest.raises(ServerStartError) as info:
        await supervisor.start(spec)
    message = str(info.value)
    assert "Server A exited with code" in message
    assert "flag provided but not defined: -no-such-flag" in message
    assert our_servers() == []


async def test_broken_config_fragment_is_explained(supervisor, offset):
    spec = walkthrough_spec("A", offset, config_fragment="lame_duck_duration: {{{")
    with pytest.raises(ServerStartError, match=r"A\.conf"):
        await supervisor.start(spec)
    assert our_servers() == []


async def test_config_fragment_reaches_the_server(supervisor, events, offset):
    spec = walkthrough_spec(
        "A", offset, config_fragment='lame_duck_duration: "30s"\nmax_payload: 65536\n'
    )
    await supervisor.start(spec)
    # The name goes in the file, where a reload keeps it; the fragment follows as written.
    written = supervisor.run.config_path("A").read_text()
    assert written == 'server_name: "A"\nlame_duck_duration: "30s"\nmax_payload: 65536\n'
    argv = supervisor.processes["A"].argv
    assert "-c" in argv and "-n" not in argv
    async with httpx.AsyncClient() as http:
        varz = (await http.get(f"{spec.monitor_url}/varz")).json()
    assert varz["max_payload"] == 65536  # the default is 1 MiB


async def test_kill_and_lame_duck(supervisor, events, offset):
    await start_ab(supervisor, offset)
    assert await supervisor.kill("B") == -9
    (killed,) = events.of(ev.ServerExited, "B")
    assert killed.expected

    supervisor.lame_duck("A")
    await async_wait_until(lambda: events.of(ev.LameDuckEntered, "A"), 5, what="lame duck line")
    # With no clients to drain, a server in lame duck mode finishes quickly by itself.
    await async_wait_until(lambda: events.of(ev.ServerExited, "A"), 10, what="A's exit")
    assert our_servers() == []


async def test_every_line_reaches_the_log_file_and_the_buffer_is_bounded(supervisor, offset):
    proc = await supervisor.start(walkthrough_spec("A", offset, log_flags=("-DV",)))
    url = supervisor.specs["A"].client_url
    nc = await nats.connect(url, error_cb=_ignore)
    try:
        # At -DV each publish is traced; unread output would fill the pipe and stall the server.
        for i in range(20_000):
            await nc.publish("flood", f"{i}".encode())
        await asyncio.wait_for(nc.flush(), 10)
    finally:
        await nc.close()
    await supervisor.stop("A")
    logged = proc.log_path.read_text().splitlines()
    assert len(logged) > 20_000
    assert "Server is ready" in "\n".join(logged[:40])
    assert len(proc.lines) == proc.lines.maxlen
    assert list(proc.lines) == logged[-len(proc.lines) :]


async def test_run_state_file_tracks_running_servers(supervisor, offset):
    await start_ab(supervisor, offset)
    state = supervisor.run.state
    assert set(state.servers) == {"A", "B"}
    assert state.servers["A"].pid == supervisor.processes["A"].pid
    await supervisor.stop("A")
    await async_wait_until(lambda: "A" not in supervisor.run.state.servers, 5)


async def test_operations_on_unknown_or_running_servers(supervisor, offset):
    with pytest.raises(UnknownServerError, match="no server Z"):
        await supervisor.stop("Z")
    await supervisor.start(walkthrough_spec("A", offset))
    with pytest.raises(ServerStateError, match="already running"):
        await supervisor.start(walkthrough_spec("A", offset))


async def _ignore(_exc):
    pass


async def test_ready_falls_back_to_healthz_when_the_log_goes_elsewhere(
    supervisor, offset, tmp_path
):
    log_file = tmp_path / "own.log"
    proc = await supervisor.start(walkthrough_spec("A", offset, extra_flags=("-l", str(log_file))))
    assert not proc.ready.is_set()  # "Server is ready" went to the file, not to natslab
    assert "Server is ready" in log_file.read_text()
    assert (await supervisor.status("A")).healthy


async def test_a_mesh_that_cannot_form_times_out_with_what_is_missing(supervisor, offset):
    # Two seeds that know nobody: no route can ever form between them.
    for name in "AB":
        await supervisor.start(walkthrough_spec(name, offset, route_to=()))
    with pytest.raises(TimedOutError, match="A has no route to B"):
        await supervisor.wait_for_mesh("AB", timeout=1.0)


async def test_the_supervisor_makes_its_processes_with_the_factory_it_is_given(binary, offset):
    from natslab.cluster.process import ServerProcess

    made = []

    def recording_factory(*args):
        made.append(ServerProcess(*args))
        return made[-1]

    sup = Supervisor(binary, RunDir.create(), process_factory=recording_factory)
    try:
        await sup.start(walkthrough_spec("A", offset, route_to=()))
        assert len(made) == 1 and made[0] is sup.processes["A"]
    finally:
        await sup.aclose()
