"""A watched cluster for the watch tests: three nats-server processes of the test itself
(not natslab's lab), with a system account, and the loop that polls until a condition."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from natslab.cluster.binary import ServerBinary
from natslab.cluster.ports import find_free_offset, ports_for
from natslab.present.watch_printer import describe
from natslab.watch.login import SystemLogin
from natslab.watch.runner import Watch
from natslab.watch.system import SystemRounds
from tests.helpers import wait_until


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A key and a self-signed certificate for 127.0.0.1 (openssl), for a TLS port."""
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


WATCHER = ("watcher", "watch-only")  # the system-account user a watch logs in as
# Accounts as production clusters have them: applications in APP (a client without a login
# lands there), and a system account whose watch user may only ask: a request to anything
# but $SYS.REQ.SERVER.* and $SYS.REQ.USER.INFO is a permissions violation. It may listen to
# its inbox and to the servers' own lame-duck announcements.
ACCOUNTS = """
accounts {
  SYS { users = [ { user: watcher, password: watch-only, permissions: {
      publish: { allow: ["$SYS.REQ.SERVER.>", "$SYS.REQ.USER.INFO"] },
      subscribe: { allow: ["_INBOX.>", "$SYS.SERVER.*.LAMEDUCK"] } } } ] }
  APP { jetstream: enabled, users = [ { user: app, password: app-secret } ] }
}
system_account: SYS
no_auth_user: app
"""


class Cluster:
    """Three JetStream servers, each a plain nats-server process of this test, with a system
    account. Their ports come from this worker's lane below the ephemeral range: a port the
    kernel once handed out as free can be any outgoing connection's source port a moment
    later."""

    def __init__(
        self, binary: ServerBinary, tmp: Path, names: dict[str, str] | None = None
    ) -> None:
        self.binary, self.tmp = binary, tmp
        # Each server's own name (-n): X, Y and Z unless a test names them as deployments do.
        self.names = names or {n: n for n in "XYZ"}
        offset = find_free_offset("ABC")
        self.ports = {
            n: (p.client, p.cluster, p.monitor)
            for n, p in zip("XYZ", (ports_for(lab, offset) for lab in "ABC"), strict=True)
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        self.config = tmp / "accounts.conf"
        self.config.write_text(ACCOUNTS)

    def monitor(self, name: str) -> str:
        return f"http://127.0.0.1:{self.ports[name][2]}"

    def client(self, name: str) -> str:
        return f"nats://127.0.0.1:{self.ports[name][0]}"

    def start(self, name: str) -> None:
        client, cluster, monitor = self.ports[name]
        routes = ",".join(f"nats://127.0.0.1:{p[1]}" for p in self.ports.values())
        self.procs[name] = subprocess.Popen(
            [str(self.binary.path), "-a", "127.0.0.1", "-p", str(client), "-m", str(monitor),
             "-n", self.names[name], "--cluster_name", "watched", "-cluster", f"nats://127.0.0.1:{cluster}",
             "-routes", routes, "-js", "-sd", str(self.tmp / name), "-c", str(self.config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_until(lambda: listening(monitor) and listening(client), 20, what=f"{name} up")

    def stop(self, name: str) -> None:
        proc = self.procs.pop(name)
        proc.send_signal(signal.SIGINT)
        proc.wait(10)

    def close(self) -> None:
        for name in list(self.procs):
            self.procs[name].kill()
            self.procs.pop(name).wait(10)


@pytest.fixture
def cluster(binary: ServerBinary, tmp_path: Path) -> Iterator[Cluster]:
    servers = Cluster(binary, tmp_path)
    try:
        for name in "XYZ":
            servers.start(name)
        yield servers
    finally:
        servers.close()


async def rounds_until(watch: Watch, seen: list, condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition(seen):
        if time.monotonic() > deadline:
            lines = [describe(e) for e in seen]
            raise AssertionError(f"timed out waiting for {what}; saw: {lines}")
        await watch.round()
        await asyncio.sleep(0.1)


def of(kind, seen: list) -> list:
    return [e for e in seen if isinstance(e, kind)]


def system_rounds(cluster: Cluster, on: str = "Y") -> SystemRounds:
    """The watch's user of the system account, logged in through server `on` alone."""
    login = SystemLogin(url=cluster.client(on), user=WATCHER[0], password=WATCHER[1])
    return SystemRounds(login, 0.1)


def system_watch(cluster: Cluster, on: str = "Y") -> tuple[Watch, list[object]]:
    """A watch through the system account, and the list of every event it emits."""
    watch = Watch(system_rounds(cluster, on), interval=0.1)
    seen: list[object] = []
    watch.bus.subscribe(seen.append)
    return watch, seen
