"""natslab killed at random moments of a headless upgrade: no server of that run survives."""

import json
import random
import signal
import time

import psutil

from tests.cli_process import NatslabProcess, run_natslab
from tests.helpers import wait_until

KILLS = 20


def run_pids(state_dir) -> set[int]:
    pids = set()
    for state_file in state_dir.glob("runs/*/run.json"):
        try:
            servers = json.loads(state_file.read_text())["servers"]
        except (ValueError, OSError):
            continue  # caught mid-write; the atomic replace makes this rare
        pids |= {rec["pid"] for rec in servers.values()}
    return pids


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_sigkill_at_twenty_random_moments(state_dir):
    rng = random.Random(20261126)
    seen_servers = 0
    for _ in range(KILLS):
        natslab = NatslabProcess("tutorial", "upgrade", "--headless", "--port-offset", "auto")
        try:
            # Kill somewhere between start-up and the middle of the lesson.
            deadline = time.monotonic() + rng.uniform(0.2, 5.0)
            pids: set[int] = set()
            while time.monotonic() < deadline and natslab.proc.poll() is None:
                pids |= run_pids(state_dir)
                time.sleep(0.02)
            natslab.proc.send_signal(signal.SIGKILL)
            natslab.wait(10)
            pids |= run_pids(state_dir)
            seen_servers += len(pids)
            wait_until(
                lambda p=pids: not any(alive(pid) for pid in p),
                2.0,
                what="every server of the killed run to be gone",
            )
        finally:
            natslab.close()
    assert seen_servers > KILLS  # the kills really did land while servers were running
    doctor = run_natslab("doctor", "--port-offset", "1")
    assert "No servers left over from earlier runs." in doctor.stdout
