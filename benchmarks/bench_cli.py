"""The natslab command as a user starts it: --help, the headless upgrade, the first frame."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
import time

import psutil
from common import NATSLAB, headless_lesson, natslab_processes, report


def bench_help(runs: int) -> None:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([NATSLAB, "--help"], capture_output=True, check=True)
        times.append(time.perf_counter() - start)
    report("start-up: natslab --help (median)", f"{statistics.median(times):.3f} s", "<= 0.3 s")


def bench_upgrade(runs: int) -> None:
    walls, unavoidable = [], []
    for _ in range(runs):
        wall, steps = headless_lesson("upgrade")
        walls.append(wall)
        # What nats-server and nats-py impose: the 3 s the route-retry quiet window needs
        # (step 2) and the failover steps, where clients may sit out a 2 s reconnect wait.
        unavoidable.append(sum(steps[i]["duration"] for i in (1, 4, 6, 8)))
    report(
        "tutorial upgrade --headless, wall (median)", f"{statistics.median(walls):.1f} s", "<= 15 s"
    )
    report(
        "  of which waits imposed by server/client (median)",
        f"{statistics.median(unavoidable):.1f} s",
        "reported",
    )


def bench_first_frame() -> None:
    """Start the TUI in tmux and time until the lesson panel is on the screen."""
    with tempfile.TemporaryDirectory() as tmp:
        name = f"natslab-bench-{os.getpid()}"
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", name, "-x", "120", "-y", "40", "sleep 60"],
            check=True,
        )
        try:
            start = time.perf_counter()
            subprocess.run(
                [
                    "tmux",
                    "respawn-pane",
                    "-k",
                    "-t",
                    name,
                    f"env -u COLUMNS -u LINES NATSLAB_STATE_DIR={tmp} {NATSLAB} "
                    "tutorial upgrade --port-offset auto",
                ],
                check=True,
            )
            while time.perf_counter() - start < 20:
                screen = subprocess.run(
                    ["tmux", "capture-pane", "-p", "-t", name], capture_output=True, text=True
                ).stdout
                if "Press n to run step 1" in screen:
                    break
                time.sleep(0.01)
            report(
                "start-up: TUI first frame (tmux)",
                f"{time.perf_counter() - start:.2f} s",
                "<= 1.5 s",
            )
        finally:
            subprocess.run(["tmux", "kill-session", "-t", name], capture_output=True)
            # Let natslab finish with its state directory before the directory goes.
            psutil.wait_procs(natslab_processes(tmp), timeout=15)
