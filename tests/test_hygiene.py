"""No server outlives natslab, and leftovers are found by pid and command line, never guessed."""

import json
import signal
import subprocess
import sys
import time

import psutil
import pytest

from natslab.cluster.leftovers import Leftover, find_leftovers, reap
from natslab.cluster.rundir import RunDir, ServerRecord, runs_dir
from natslab.cluster.spec import walkthrough_spec
from tests.cli_process import NatslabProcess, run_natslab
from tests.helpers import server_alive, wait_until


def test_sigkill_of_natslab_takes_its_servers_down(offset, state_dir):
    natslab = NatslabProcess("lab", "--headless", "--servers", "A,B", "--port-offset", str(offset))
    try:
        natslab.wait_for("Full mesh", timeout=30)
        (state_file,) = state_dir.glob("runs/*/run.json")
        pids = [rec["pid"] for rec in json.loads(state_file.read_text())["servers"].values()]
        assert len(pids) == 2 and all(server_alive(pid) for pid in pids)

        natslab.proc.send_signal(signal.SIGKILL)
        natslab.wait(10)
        wait_until(lambda: not any(server_alive(pid) for pid in pids), 10.0, what="servers to die")
    finally:
        natslab.close()
    doctor = run_natslab("doctor", "--port-offset", str(offset))
    assert "No servers left over from earlier runs." in doctor.stdout


@pytest.fixture
def orphan(binary, offset):
    """A server as a crashed run on a system without parent-death signals would leave it:
    started outside natslab, recorded in a run-state file whose owner is dead."""
    spec = walkthrough_spec("A", offset, route_to=())
    argv = spec.argv(binary.path)
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    dead_owner = subprocess.Popen([sys.executable, "-c", "pass"])
    dead_owner.wait()
    run = RunDir.create()
    run.state.owner_pid = dead_owner.pid
    run.state.owner_create_time = time.time() - 3600
    run.record(
        ServerRecord(
            name="A",
            pid=proc.pid,
            create_time=psutil.Process(proc.pid).create_time(),
            argv=argv,
            client_port=spec.ports.client,
            cluster_port=spec.ports.cluster,
            monitor_port=spec.ports.monitor,
            binary=str(binary.path),
            version=binary.version,
        )
    )
    yield proc, run
    proc.kill()
    proc.wait()


def test_leftover_is_reported_and_cleaned_up(orphan):
    proc, _run = orphan
    (leftover,) = find_leftovers()
    assert leftover.server.pid == proc.pid

    report = run_natslab("doctor")
    assert report.returncode == 1
    assert f"Leftover server A (pid {proc.pid}" in report.stdout
    assert "natslab doctor --cleanup" in report.stdout

    cleaned = run_natslab("doctor", "--cleanup")
    assert f"Stopped leftover server A (pid {proc.pid}" in cleaned.stdout
    assert proc.wait(5) is not None
    assert find_leftovers() == []


def test_unrelated_process_with_a_recorded_pid_is_never_touched(orphan):
    _proc, run = orphan
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        record = run.state.servers["A"]
        record.pid = bystander.pid
        record.create_time = psutil.Process(bystander.pid).create_time()
        run.save()
        assert find_leftovers() == []
        # Even handed the record directly, reap re-checks the command line and leaves it be.
        assert reap([Leftover(run.path, record)]) == []
        cleanup = run_natslab("doctor", "--cleanup")
        assert cleanup.returncode == 0
        assert "No servers left over from earlier runs." in cleanup.stdout
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_live_natslab_run_is_not_a_leftover(orphan):
    _proc, run = orphan
    me = psutil.Process()
    run.state.owner_pid = me.pid
    run.state.owner_create_time = me.create_time()
    run.save()
    assert find_leftovers() == []


def test_unreadable_run_state_files_are_skipped(orphan):
    broken = runs_dir() / "broken"
    broken.mkdir()
    (broken / "run.json").write_text("{not json")
    assert len(find_leftovers()) == 1
