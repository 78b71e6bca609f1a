"""natslab killed at random moments of a headless upgrade: no server of that run survives."""

import random
import signal
import time
from pathlib import Path

import psutil
import pytest

from tests.cli_process import NatslabProcess, run_natslab
from tests.helpers import run_server_pids, wait_until

ROUNDS, KILLS = 4, 5  # twenty kills in four rounds, which pytest-xdist can run side by side
FIRST_SERVER_TIMEOUT = 60.0  # a busy machine (six workers on two cores) starts slowly
SERVERS_GONE_TIMEOUT = 20.0


@pytest.mark.timeout(600)  # five upgrade runs, each killed within 4 s of its first server
@pytest.mark.slow(seconds=25)
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_sigkill_at_twenty_random_moments(state_dir, monkeypatch, round_):
    rng = random.Random(20261126 + round_)
    for kill in range(KILLS):
        # Each run in a state directory of its own: its servers are found by that alone.
        own = state_dir / f"kill-{kill}"
        monkeypatch.setenv("NATSLAB_STATE_DIR", str(own))
        natslab = NatslabProcess("tutorial", "upgrade", "--headless", "--port-offset", "auto")
        try:
            # A kill before the first server starts would test nothing: time it from there.
            wait_until(
                lambda own=own, natslab=natslab: (
                    run_server_pids(own) or natslab.proc.poll() is not None
                ),
                FIRST_SERVER_TIMEOUT,
                what="the run's first server",
            )
            assert natslab.proc.poll() is None, natslab.output
            deadline = time.monotonic() + rng.uniform(0.0, 4.0)
            recorded = run_server_pids(own)
            while time.monotonic() < deadline and natslab.proc.poll() is None:
                recorded |= run_server_pids(own)
                time.sleep(0.02)
            assert natslab.proc.poll() is None, "the lesson ended before the kill"
            natslab.proc.send_signal(signal.SIGKILL)
            natslab.wait(10)
            # Survivors are found by what they inherited from this run, not by its records,
            # which a kill can cut short: a server started after the last write counts too.
            wait_until(
                lambda own=own: not servers_of(own),
                SERVERS_GONE_TIMEOUT,
                what=f"every server of killed run {kill} to be gone",
            )
            assert recorded, "the kill landed while none of the run's servers ran"
        finally:
            natslab.close()
        doctor = run_natslab("doctor", "--port-offset", "1")
        assert "No servers left over from earlier runs." in doctor.stdout, doctor.stdout


def servers_of(state_dir: Path) -> set[int]:
    """Live nats-server processes started for the run whose state directory this is."""
    found = set()
    for proc in psutil.process_iter(["name", "status"]):
        try:
            if proc.info["name"] != "nats-server" or proc.info["status"] == psutil.STATUS_ZOMBIE:
                continue
            if proc.environ().get("NATSLAB_STATE_DIR") == str(state_dir):
                found.add(proc.pid)
        except psutil.Error:
            continue
    return found
