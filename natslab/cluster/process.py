"""One nats-server process: spawn it, read every output line, signal it, reap it."""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import ctypes.util
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from natslab.cluster import events as ev
from natslab.cluster.logformat import parse_line

Emit = Callable[[ev.ClusterEvent], None]
DEFAULT_BUFFER_LINES = 5000
_READ_CHUNK = 1 << 16
_PR_SET_PDEATHSIG = 1
_LIBC = (
    ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True) if sys.platform == "linux" else None
)


def _die_with_parent(parent_pid: int) -> Callable[[], None]:
    """A preexec hook: the kernel sends SIGKILL to the server when natslab dies, however it dies."""

    def hook() -> None:
        if _LIBC is not None:
            _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        # natslab may have died between fork and prctl; then nobody would ever reap us.
        if os.getppid() != parent_pid:
            os._exit(1)

    return hook


class ServerProcess:
    """A running nats-server whose output is read continuously into a buffer and a log file."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        log_path: Path,
        emit: Emit,
        buffer_lines: int = DEFAULT_BUFFER_LINES,
        log_limit: int | None = None,
    ) -> None:
        self.name = name
        # Bytes of the log file at most (None: all of it). A server that logs whatever its
        # clients provoke (a permissions violation a line) must not fill the disk.
        self.log_limit = log_limit
        self._logged = 0
        self.argv = tuple(argv)
        self.log_path = log_path
        self.lines: deque[str] = deque(maxlen=buffer_lines)
        self.line_count = 0  # every line read so far: where "the lines since" begin
        self.ready = asyncio.Event()
        self.exited = asyncio.Event()
        self.returncode: int | None = None
        self.stop_requested = False
        self.paused = False  # SIGSTOPped by natslab, and not yet resumed
        self._emit = emit
        self._proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and not self.exited.is_set()

    async def spawn(self) -> None:
        """Start the process; output and exit are then handled by background tasks."""
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                # Own session: a Ctrl+C in natslab's terminal must not reach the servers directly.
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()),
            )
        except OSError:
            self._log.close()
            raise
        self._tasks = [
            asyncio.create_task(self._watch(), name=f"nats-server {self.name}"),
        ]

    def signal(self, signum: int) -> bool:
        """Send a signal if the process is still ours and alive; True when it was sent."""
        if self._proc is None or self.exited.is_set() or self._proc.returncode is not None:
            return False
        with contextlib.suppress(ProcessLookupError):
            self._proc.send_signal(signum)
            return True
        return False

    def pause(self) -> bool:
        """SIGSTOP: frozen, every socket open; True when it was sent."""
        self.paused = self.signal(signal.SIGSTOP)
        if self.paused:
            self._emit(ev.ServerPaused(server=self.name, paused=True))
        return self.paused

    def resume(self) -> bool:
        """SIGCONT: running on from where it stopped; True when it was sent."""
        sent = self.signal(signal.SIGCONT)
        self.paused = False
        if sent:
            self._emit(ev.ServerPaused(server=self.name, paused=False))
        return sent

    def _unfreeze(self) -> None:
        # A paused server must run to act on a SIGINT. Only then: asyncio's send_signal
        # polls the process first (subprocess.Popen.send_signal), and a poll that reaps a
        # server which has just exited leaves asyncio's watcher an exit code of 255.
        if self.paused:
            self.resume()

    async def stop(self, timeout: float = 5.0) -> int:
        """Stop as Ctrl+C does (SIGINT); escalate to SIGKILL after `timeout` seconds."""
        self.stop_requested = True
        self.signal(signal.SIGINT)
        self._unfreeze()
        try:
            await asyncio.wait_for(self.exited.wait(), timeout)
        except TimeoutError:
            return await self.kill()
        return self.returncode if self.returncode is not None else -1

    async def kill(self) -> int:
        """SIGKILL, then wait for the exit to be reaped."""
        self.stop_requested = True
        self.signal(signal.SIGKILL)
        await self.exited.wait()
        return self.returncode if self.returncode is not None else -1

    def interrupt_now(self) -> None:
        """Synchronous Ctrl+C (SIGINT), without waiting: safe to call from a signal handler."""
        self.stop_requested = True
        self.signal(signal.SIGINT)
        self._unfreeze()

    def kill_now(self) -> None:
        """Last-resort synchronous SIGKILL, for when the event loop itself is going away."""
        self.stop_requested = True
        self.signal(signal.SIGKILL)

    async def _watch(self) -> None:
        assert self._proc is not None and self._proc.stdout is not None
        try:
            await self._read(self._proc.stdout)
            self.returncode = await self._proc.wait()
        finally:
            if self._log is not None:
                self._log.close()
            self.exited.set()
        self._emit(
            ev.ServerExited(
                server=self.name,
                returncode=self.returncode,
                expected=self.stop_requested,
                last_lines=tuple(list(self.lines)[-20:]),
            )
        )

    def _keep(self, data: bytes) -> None:
        """Into the log file, until its limit: then one line says the rest was not kept."""
        limit = self.log_limit
        if limit is not None and self._logged >= limit:
            return
        if limit is not None and self._logged + len(data) >= limit:
            data = (f"natslab: this log reached {limit >> 20} MiB; the rest of what the "
                    "server said is not kept here\n").encode()  # fmt: skip
            self._logged = limit
        else:
            self._logged += len(data)
        self._log.write(data)  # type: ignore[union-attr]
        self._log.flush()  # type: ignore[union-attr]

    async def _read(self, stream: asyncio.StreamReader) -> None:
        # Chunked reads keep up with -DV floods far better than readline().
        pending = b""
        while chunk := await stream.read(_READ_CHUNK):
            pending += chunk
            complete, _, pending = pending.rpartition(b"\n")
            if complete:
                self._ingest(complete)
        if pending:
            self._ingest(pending)

    def _ingest(self, block: bytes) -> None:
        assert self._log is not None
        self._keep(block + b"\n")
        lines = block.decode("utf-8", errors="replace").split("\n")
        self.lines.extend(lines)
        self.line_count += len(lines)
        self._emit(ev.LogLines(server=self.name, lines=tuple(lines)))
        for line in lines:
            event = parse_line(self.name, line)
            if event is None:
                continue
            if isinstance(event, ev.ServerReady):
                self.ready.set()
            self._emit(event)
