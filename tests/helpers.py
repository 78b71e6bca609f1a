"""Waiting on conditions with a deadline (the only way tests here synchronise), and the
other helpers the tests share."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import shutil
import socket
import time
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import psutil

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T],
    timeout: float,
    interval: float = 0.05,
    what: str | Callable[[], str] = "",
) -> T:
    """Poll predicate until it returns something truthy; fail the test at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() >= deadline:
            described = what() if callable(what) else what
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {described or predicate}"
            )
        time.sleep(interval)


async def async_wait_until(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float,
    interval: float = 0.05,
    what: str | Callable[[], str] = "",
) -> T:
    """The asyncio twin of wait_until; predicate may be sync or async."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if asyncio.iscoroutine(result) or isinstance(result, asyncio.Future):
            result = await result
        if result:
            return result  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            described = what() if callable(what) else what
            raise AssertionError(
                f"timed out after {timeout:g} s waiting for {described or predicate}"
            )
        await asyncio.sleep(interval)


def server_alive(pid: int) -> bool:
    """Running, and not merely a zombie waiting for a parent to reap it."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def run_server_pids(state_dir: Path) -> set[int]:
    """Every server pid the run-state files under state_dir record right now."""
    pids: set[int] = set()
    for state_file in state_dir.glob("runs/*/run.json"):
        try:
            servers = json.loads(state_file.read_text())["servers"]
        except (ValueError, OSError):
            continue  # caught mid-write; the atomic replace makes this rare
        pids |= {record["pid"] for record in servers.values()}
    return pids


@contextlib.contextmanager
def listening_on(port: int) -> Iterator[socket.socket]:
    """A listener of this test's on a port, bound the way nats-server binds (SO_REUSEADDR),
    so that an earlier test's connection in TIME_WAIT on that port does not get in the way."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", port))
        sock.listen()
        yield sock


def offsets_apart(count: int, names: str = "ABCDE") -> list[int]:
    """`count` port offsets, each free now, whose blocks cannot overlap: for lessons run at
    once in one test. `--port-offset auto` in each would pick at random in this worker's
    lane, and two blocks overlap when their offsets are equal or 2,000 or 4,000 apart (see
    natslab/cluster/ports.py, _lane); a CI run of three lessons at once met it."""
    from natslab.cluster.ports import find_free_offset

    chosen: list[int] = []
    while len(chosen) < count:
        offset = find_free_offset(names)
        if all(abs(offset - other) not in (0, 2000, 4000) for other in chosen):
            chosen.append(offset)
    return chosen


def check_verdict(ctx, kind: str, **fields):
    """One lesson check of `kind`, validated as a lesson file would give it, judged now."""
    import time

    from pydantic import TypeAdapter

    from natslab.lessons import checks
    from natslab.lessons import model as m

    item = TypeAdapter(m.Check).validate_python({"type": kind, **fields})
    return checks.evaluate(item, ctx, time.time())


def judged(ctx, kind: str, **fields):
    """What a prediction's judge of `kind` (as a lesson file would give it) measures now."""
    import time

    from pydantic import TypeAdapter

    from natslab.lessons import model as m
    from natslab.lessons.predictions import measure

    judge = TypeAdapter(m.Judgement).validate_python({"type": kind, **fields})
    return measure(judge, ctx, time.time())


def built_once(tmp_path_factory, name: str, build: Callable[[Path], None]) -> Path:
    """A worker's own copy of a folder that `build` fills once for the whole xdist session.

    The first worker to ask builds it under a file lock; the others wait on the lock, then
    copy it, so an expensive fixture (two recorded lessons) is made once, not once a worker.
    Without xdist the basetemp has no session folder above it, so it is built in place."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        here = tmp_path_factory.mktemp(name)
        build(here)
        return here
    shared = tmp_path_factory.getbasetemp().parent / f"shared-{name}"
    with shared.with_suffix(".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (shared / ".built").exists():
            shutil.rmtree(shared, ignore_errors=True)
            shared.mkdir()
            build(shared)
            (shared / ".built").touch()
    copy = tmp_path_factory.mktemp(name)
    shutil.copytree(shared, copy, dirs_exist_ok=True, ignore=shutil.ignore_patterns(".built"))
    return copy
