"""natslab killed at random moments of a headless upgrade: no server of that run survives."""

import random
import signal
import time

import pytest

from tests.cli_process import NatslabProcess, run_natslab
from tests.helpers import run_server_pids, server_alive, wait_until

ROUNDS, KILLS = 4, 5  # twenty kills in four rounds, which pytest-xdist can run side by side


@pytest.mark.timeout(300)  # five upgrade runs, each killed within 5 s, then reaped
@pytest.mark.slow
@pytest.mark.parametrize("round_", range(ROUNDS))
def test_sigkill_at_twenty_random_moments(state_dir, round_):
    rng = random.Random(20261126 + round_)
    seen_servers = 0
    for _ in range(KILLS):
        natslab = NatslabProcess("tutorial", "upgrade", "--headless", "--port-offset", "auto")
        try:
            # Kill somewhere between start-up and the middle of the lesson.
            deadline = time.monotonic() + rng.uniform(0.2, 5.0)
            pids: set[int] = set()
            while time.monotonic() < deadline and natslab.proc.poll() is None:
                pids |= run_server_pids(state_dir)
                time.sleep(0.02)
            natslab.proc.send_signal(signal.SIGKILL)
            natslab.wait(10)
            pids |= run_server_pids(state_dir)
            seen_servers += len(pids)
            # How fast the kernel reaps them is a benchmark's business; that they go is ours.
            wait_until(
                lambda p=pids: not any(server_alive(pid) for pid in p),
                10.0,
                what="every server of the killed run to be gone",
            )
        finally:
            natslab.close()
    assert seen_servers > KILLS  # the kills really did land while servers were running
    doctor = run_natslab("doctor", "--port-offset", "1")
    assert "No servers left over from earlier runs." in doctor.stdout
