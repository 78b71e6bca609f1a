"""The run directory: each server's full log, generated configs, and a run-state file of pids."""

from __future__ import annotations

import json
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import platformdirs
import psutil

from natslab.errors import RunDirError

STATE_ENV_VAR = "NATSLAB_STATE_DIR"
RUN_STATE_FILE = "run.json"


def state_dir() -> Path:
    """Where natslab keeps its runs: $NATSLAB_STATE_DIR or the user's state dir."""
    override = os.environ.get(STATE_ENV_VAR)
    return Path(override) if override else Path(platformdirs.user_state_dir("natslab"))


def runs_dir() -> Path:
    return state_dir() / "runs"


@dataclass
class ServerRecord:
    """What the run-state file remembers of one server process."""

    name: str
    pid: int
    create_time: float
    argv: list[str]
    client_port: int
    cluster_port: int
    monitor_port: int
    binary: str
    version: str


@dataclass
class RunState:
    """The contents of run.json."""

    owner_pid: int
    owner_create_time: float
    started_at: str
    servers: dict[str, ServerRecord] = field(default_factory=dict)
    ended: bool = False
    ended_at: float = 0.0  # when the run ended: its last event can be long before (a watch)

    @classmethod
    def load(cls, path: Path) -> RunState:
        data = json.loads(path.read_text())
        servers = {name: ServerRecord(**rec) for name, rec in data.pop("servers", {}).items()}
        return cls(servers=servers, **data)


class RunDir:
    """One run's folder under the state dir; kept after exit so a workshop can look back."""

    def __init__(self, path: Path) -> None:
        self.path = path
        me = psutil.Process()
        self.state = RunState(
            owner_pid=me.pid,
            owner_create_time=me.create_time(),
            started_at=datetime.now().isoformat(timespec="seconds"),
        )

    @classmethod
    def create(cls, base: Path | None = None) -> RunDir:
        base = base or runs_dir()
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        try:
            base.mkdir(parents=True, exist_ok=True)
            path = _fresh_folder(base, f"{stamp}-{os.getpid()}")
        except OSError as exc:
            raise RunDirError(
                f"Cannot create the run directory under {base}: {exc.strerror or exc}; "
                f"set {STATE_ENV_VAR} to a writable folder."
            ) from exc
        run = cls(path)
        run.save()
        return run

    def log_path(self, server: str) -> Path:
        return self.path / f"{server}.log"

    def config_path(self, server: str) -> Path:
        return self.path / f"{server}.conf"

    def record(self, server: ServerRecord) -> None:
        self.state.servers[server.name] = server
        self.save()

    def forget(self, server: str) -> None:
        if self.state.servers.pop(server, None) is not None:
            self.save()

    def finish(self) -> None:
        self.state.ended, self.state.ended_at = True, time.time()
        self.save()

    def save(self) -> None:
        """Write run.json atomically, so a crash never leaves half a file behind."""
        target = self.path / RUN_STATE_FILE
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(json.dumps(asdict(self.state), indent=2))
        tmp.replace(target)


def _fresh_folder(base: Path, name: str) -> Path:
    """base/name, or base/name-2, -3, ... when one process starts several runs in a second."""
    for attempt in range(1, 1000):
        path = base / (name if attempt == 1 else f"{name}-{attempt}")
        try:
            path.mkdir()
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"too many runs named {name}")


def process_started_at(pid: int) -> float:
    """The kernel's start time of a process, which pins its identity beyond the pid."""
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return time.time()
