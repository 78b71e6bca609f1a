"""An existing NATS deployment for `class start --server`: a real nats-server in operator
mode (JWT accounts, as company clusters and cloud accounts run), on loopback, with users'
.creds files. The JWTs are written here with nkeys: header, claims, ed25519 signature."""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import nkeys

from natslab.cluster.binary import find_binary
from natslab.room.jwt import creds as creds_text
from natslab.room.jwt import encode as jwt


def new_key(prefix: int) -> nkeys.KeyPair:
    return nkeys.from_seed(nkeys.encode_seed(os.urandom(32), prefix))


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise RuntimeError(log.read_text())
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no nats-server listening on {port}") from None
            time.sleep(0.05)  # polling for the port: the condition, not a fixed wait


def _free_port() -> int:
    return _free_ports(1)[0]


def _free_ports(count: int) -> list[int]:
    """`count` distinct free ports: each probe stays bound until all are chosen, since the
    kernel may hand a port just released to the next probe (a CI run met two servers given
    the same route port: "Duplicate route entry detected")."""
    with contextlib.ExitStack() as held:
        probes = [held.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [int(probe.getsockname()[1]) for probe in probes]


UNLIMITED = {"subs": -1, "data": -1, "payload": -1, "imports": -1, "exports": -1,
             "wildcards": True, "conn": -1, "leaf": -1}  # fmt: skip
JETSTREAM = {"mem_storage": -1, "disk_storage": -1, "streams": -1, "consumer": -1}


@dataclass
class Deployment:
    """One operator, a system account and a WORKSHOP account with JetStream."""

    folder: Path
    port: int = 0
    operator: nkeys.KeyPair = field(default_factory=lambda: new_key(nkeys.PREFIX_BYTE_OPERATOR))
    system: nkeys.KeyPair = field(default_factory=lambda: new_key(nkeys.PREFIX_BYTE_ACCOUNT))
    account: nkeys.KeyPair = field(default_factory=lambda: new_key(nkeys.PREFIX_BYTE_ACCOUNT))
    # A signing key of the WORKSHOP account, as an operator gives one to an instructor.
    signing: nkeys.KeyPair = field(default_factory=lambda: new_key(nkeys.PREFIX_BYTE_ACCOUNT))
    process: subprocess.Popen[bytes] | None = None
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    leaf_port: int = 0
    _shared: list[str] = field(default_factory=list)  # operator and accounts, for a leaf
    ports: list[int] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def creds(
        self,
        name: str,
        pub: list[str] | None = None,
        sub: list[str] | None = None,
        system: bool = False,
    ) -> Path:
        """A user of the WORKSHOP account (or of the system account), limited to `pub`/`sub`
        when given."""
        user = new_key(nkeys.PREFIX_BYTE_USER)
        claims: dict = {"type": "user", "subs": -1, "data": -1, "payload": -1}
        claims["pub"] = {"allow": pub} if pub is not None else {}
        claims["sub"] = {"allow": sub} if sub is not None else {}
        token = jwt(self.system if system else self.account, user.public_key.decode(), name, claims)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{name}.creds"
        path.write_text(creds_text(token, user.seed.decode()))
        return path

    def start(self, size: int = 1, leafnodes: bool = False) -> None:
        """One server, or a cluster of `size` routed to each other (JetStream clustered);
        with `leafnodes`, the first also takes leaf node connections (see `leaf`)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        chosen = _free_ports(2 * size + 1)  # clients, routes, and one for leaf nodes
        self.ports = chosen[:size]
        self.port = self.ports[0]
        routes = chosen[size : 2 * size] if size > 1 else []
        op = self.operator.public_key.decode()
        sys_pub, acc_pub = self.system.public_key.decode(), self.account.public_key.decode()
        operator_jwt = jwt(self.operator, op, "test-operator",
                           {"type": "operator", "system_account": sys_pub})  # fmt: skip
        system_jwt = jwt(self.operator, sys_pub, "SYS",
                         {"type": "account", "limits": UNLIMITED})  # fmt: skip
        account_jwt = jwt(self.operator, acc_pub, "WORKSHOP",
                          {"type": "account", "limits": {**UNLIMITED, **JETSTREAM},
                           "signing_keys": [self.signing.public_key.decode()]})  # fmt: skip
        for i, port in enumerate(self.ports):
            lines = [
                f"server_name: s{i}",
                f"listen: 127.0.0.1:{port}",
                f"operator: {json.dumps(operator_jwt)}",
                f"system_account: {sys_pub}",
                "resolver: MEMORY",
                f"resolver_preload: {{ {sys_pub}: {json.dumps(system_jwt)}, "
                f"{acc_pub}: {json.dumps(account_jwt)} }}",
                f"jetstream {{ store_dir: {json.dumps(str(self.folder / f'js{i}'))} }}",
            ]
            if leafnodes and i == 0:
                self.leaf_port = chosen[-1]
                lines.append(f"leafnodes {{ listen: 127.0.0.1:{self.leaf_port} }}")
            if routes:
                peers = ", ".join(f"nats://127.0.0.1:{r}" for r in routes)
                lines.append(f"cluster {{ name: workshop, listen: 127.0.0.1:{routes[i]}, "
                             f"routes: [{peers}] }}")  # fmt: skip
            self._shared = lines[2:6]
            config = self.folder / f"s{i}.conf"
            config.write_text("\n".join(lines) + "\n")
            log = (self.folder / f"s{i}.log").open("wb")
            self.processes.append(subprocess.Popen(
                [str(find_binary().path), "-c", str(config)],
                stdout=subprocess.DEVNULL, stderr=log,
            ))  # fmt: skip
        self.process = self.processes[0]
        deadline = time.monotonic() + 30
        for i, port in enumerate(self.ports):
            while True:
                if self.processes[i].poll() is not None:
                    raise RuntimeError((self.folder / f"s{i}.log").read_text())
                try:
                    socket.create_connection(("127.0.0.1", port), 0.2).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise TimeoutError("the deployment's nats-server did not listen") from None
                    time.sleep(0.05)  # polling for the port: the condition, not a fixed wait

    def leaf(self, creds: Path) -> tuple[subprocess.Popen[bytes], int]:
        """A leaf node, as on the instructor's laptop in the room: no JetStream of its own,
        linked to the first server as the WORKSHOP account with `creds`; (process, port)."""
        port = _free_port()
        account = self.account.public_key.decode()
        remote = (f'{{ url: "nats-leaf://127.0.0.1:{self.leaf_port}", '
                  f'credentials: "{creds}", account: "{account}" }}')  # fmt: skip
        config = self.folder / "leaf.conf"
        config.write_text("\n".join(["server_name: leaf", f"listen: 127.0.0.1:{port}",
                                      *self._shared, f"leafnodes {{ remotes: [{remote}] }}"])
                          + "\n")  # fmt: skip
        process = subprocess.Popen([str(find_binary().path), "-c", str(config)],
                                   stdout=subprocess.DEVNULL,
                                   stderr=(self.folder / "leaf.log").open("wb"))  # fmt: skip
        self.processes.append(process)
        _wait_for_port(port, process, self.folder / "leaf.log")
        return process, port

    def restart(self, index: int) -> None:
        """Start server `index` again from its config (after a kill or a stop)."""
        config = self.folder / f"s{index}.conf"
        log = (self.folder / f"s{index}.again.log").open("wb")
        self.processes[index] = subprocess.Popen([str(find_binary().path), "-c", str(config)],
                                                 stdout=subprocess.DEVNULL, stderr=log)  # fmt: skip
        _wait_for_port(
            self.ports[index], self.processes[index], self.folder / f"s{index}.again.log"
        )

    async def jetstream_ready(self, creds: Path) -> None:
        """Until JetStream answers `creds`: a cluster does once it has its meta leader."""
        import asyncio

        import nats

        deadline = time.monotonic() + 60
        while True:
            try:
                nc = await nats.connect(self.urls, user_credentials=str(creds), connect_timeout=2)
                try:
                    await nc.jetstream().account_info()
                    return
                finally:
                    await nc.close()
            except Exception:
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)  # polling for the condition, not a fixed wait

    def signing_key_file(self) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / "workshop-signing.nk"
        path.write_text(self.signing.seed.decode() + "\n")
        return path

    @property
    def urls(self) -> list[str]:
        return [f"nats://127.0.0.1:{port}" for port in self.ports]

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
                process.wait(10)
