"""A server dies with the natslab process that started it, even when it has nothing to log."""

import asyncio
import subprocess
import sys

from tests.helpers import server_alive, wait_until

# A quiet server (no -D, no routes) writes nothing after start-up, so a broken pipe
# cannot end it: only the parent-death signal can.
SUPERVISING_SCRIPT = """
import asyncio, sys
from natslab.cluster.binary import find_binary
from natslab.cluster.rundir import RunDir
from natslab.cluster.spec import walkthrough_spec
from natslab.cluster.supervisor import Supervisor

async def main():
    sup = Supervisor(find_binary(), RunDir.create())
    for name in "AB":
        await sup.start(walkthrough_spec(name, int(sys.argv[1]), route_to=(), log_flags=()))
    print(" ".join(str(p.pid) for p in sup.processes.values()), flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def test_quiet_servers_die_within_two_seconds_of_a_sigkilled_supervisor(offset):
    owner = subprocess.Popen(
        [sys.executable, "-c", SUPERVISING_SCRIPT, str(offset)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None
        pids = [int(p) for p in owner.stdout.readline().split()]
        assert len(pids) == 2 and all(server_alive(p) for p in pids)
        owner.kill()
        owner.wait(10)
        wait_until(lambda: not any(server_alive(p) for p in pids), 10.0, what="servers to die")
    finally:
        owner.kill()
        owner.wait()


async def test_stop_escalates_to_sigkill_when_sigint_is_ignored(tmp_path):
    from natslab.cluster.process import ServerProcess

    stubborn = (
        "import signal, sys, time\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "print('[1] 2026/01/01 00:00:00.000000 [INF] Server is ready', flush=True)\n"
        "time.sleep(60)\n"
    )
    seen = []
    proc = ServerProcess("X", [sys.executable, "-c", stubborn], tmp_path / "X.log", seen.append)
    await proc.spawn()
    await asyncio.wait_for(proc.ready.wait(), 10)
    assert await proc.stop(timeout=0.5) == -9
    (exited,) = [e for e in seen if type(e).__name__ == "ServerExited"]
    assert exited.expected and exited.returncode == -9
    assert "Server is ready" in (tmp_path / "X.log").read_text()


def test_a_log_with_a_limit_stops_growing_and_says_so(tmp_path):
    """The room's server logs a line for each permissions violation a participant provokes:
    its log file stops at its limit, with one line saying the rest was not kept."""
    from natslab.cluster.process import ServerProcess

    path = tmp_path / "server.log"
    process = ServerProcess("room", ["nats-server"], path, lambda _: None, log_limit=1 << 20)
    process._log = path.open("ab")
    line = b'[1] 2026/12/06 [ERR] Publish Violation - User "UABC", Subject "x"\n'
    for _ in range(40_000):  # about 2.6 MiB offered
        process._keep(line)
    process._log.close()
    kept = path.read_bytes()
    assert len(kept) <= (1 << 20) + 200
    assert kept.endswith(b"natslab: this log reached 1 MiB; the rest of what the server said "
                         b"is not kept here\n")  # fmt: skip
