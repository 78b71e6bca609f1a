"""Find and reap servers that a crashed natslab run left behind, and nothing else."""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path

import psutil

from natslab.cluster.rundir import RUN_STATE_FILE, RunState, ServerRecord, runs_dir

# create_time is stored as a float; allow for rounding in the JSON round trip.
_TIME_TOLERANCE = 0.05


@dataclass(frozen=True)
class Leftover:
    """A nats-server still running from a natslab run whose owner is gone."""

    run_dir: Path
    server: ServerRecord

    def describe(self) -> str:
        return (
            f"server {self.server.name} (pid {self.server.pid}, client port "
            f"{self.server.client_port}) from run {self.run_dir.name}"
        )


def find_leftovers(base: Path | None = None) -> list[Leftover]:
    """Servers recorded in run-state files that are alive, match pid and command line,
    and whose natslab process is no longer running."""
    found: list[Leftover] = []
    for state_file in sorted((base or runs_dir()).glob(f"*/{RUN_STATE_FILE}")):
        try:
            state = RunState.load(state_file)
        except (OSError, ValueError, TypeError, json.JSONDecodeError):
            continue
        if _alive(state.owner_pid, state.owner_create_time):
            continue
        found += [
            Leftover(state_file.parent, rec) for rec in state.servers.values() if _is_ours(rec)
        ]
    return found


def reap(leftovers: list[Leftover], timeout: float = 3.0) -> list[Leftover]:
    """Stop each leftover (SIGTERM, then SIGKILL); return those that were stopped."""
    procs: dict[psutil.Process, Leftover] = {}
    for left in leftovers:
        if not _is_ours(left.server):
            continue  # re-checked at the last moment: the pid may have been reused
        with contextlib.suppress(psutil.Error):
            proc = psutil.Process(left.server.pid)
            proc.terminate()
            procs[proc] = left
    _, alive = psutil.wait_procs(list(procs), timeout=timeout)
    for proc in alive:
        with contextlib.suppress(psutil.Error):
            proc.kill()
    psutil.wait_procs(alive, timeout=timeout)
    return list(procs.values())


def _alive(pid: int, create_time: float) -> bool:
    try:
        proc = psutil.Process(pid)
        return abs(proc.create_time() - create_time) < _TIME_TOLERANCE and proc.is_running()
    except psutil.Error:
        return False


def _is_ours(rec: ServerRecord) -> bool:
    """Same pid, same start time and same command line: only then is it our server."""
    try:
        proc = psutil.Process(rec.pid)
        if proc.status() == psutil.STATUS_ZOMBIE:
            return False
        same_start = abs(proc.create_time() - rec.create_time) < _TIME_TOLERANCE
        return same_start and proc.cmdline() == rec.argv
    except psutil.Error:
        return False
