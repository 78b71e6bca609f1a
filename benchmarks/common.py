"""What every benchmark shares: the report line, CPU shares, the flood publishers."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil

NATSLAB = str(Path(sys.executable).parent / "natslab")
PACED_PUBLISHER = """
import asyncio, sys, nats
async def main():
    async def quiet(e): pass
    nc = await nats.connect(sys.argv[1], error_cb=quiet)
    loop = asyncio.get_running_loop()
    rate, end = float(sys.argv[2]), loop.time() + float(sys.argv[3])
    sent, start = 0, loop.time()
    while loop.time() < end:
        await nc.publish("flood", b"x" * 16)
        sent += 1
        ahead = sent / rate - (loop.time() - start)
        if ahead > 0:
            await asyncio.sleep(ahead)
    await nc.close()
asyncio.run(main())
"""
FLOOD_PUBLISHER = """
import asyncio, sys, nats
async def main():
    async def quiet(e): pass
    nc = await nats.connect(sys.argv[1], error_cb=quiet)
    end = asyncio.get_running_loop().time() + float(sys.argv[2])
    while asyncio.get_running_loop().time() < end:
        for _ in range(200):
            await nc.publish("flood", b"x" * 16)
        await nc.flush()
    await nc.close()
asyncio.run(main())
"""


def report(name: str, value: str, target: str) -> None:
    print(f"{name:<58} {value:>22}   target {target}", flush=True)


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def cpu_share(process: psutil.Process, seconds: float) -> float:
    """Percent of one core this process used over the next `seconds` of wall time."""
    cpu, wall = cpu_seconds(process), time.perf_counter()
    await asyncio.sleep(seconds)
    return 100 * (cpu_seconds(process) - cpu) / (time.perf_counter() - wall)


def natslab_processes(state_dir: str) -> list[psutil.Process]:
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        try:
            if NATSLAB in (proc.info["cmdline"] or [])[1:2] and (
                proc.environ().get("NATSLAB_STATE_DIR") == state_dir
            ):
                found.append(proc)
        except psutil.Error:
            continue
    return found


def headless_lesson(lesson: str) -> tuple[float, list[dict[str, Any]]]:
    """Run `natslab tutorial LESSON --headless` in a throwaway state dir, as a user would:
    its wall time and the steps of its --json results."""
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.json"
        start = time.perf_counter()
        subprocess.run(
            [NATSLAB, "tutorial", lesson, "--headless", "--port-offset", "auto",
             "--json", str(results)],
            capture_output=True, check=True, env=os.environ | {"NATSLAB_STATE_DIR": tmp},
        )  # fmt: skip
        wall = time.perf_counter() - start
        steps: list[dict[str, Any]] = json.loads(results.read_text())["steps"]
    return wall, steps
