"""Features a user reaches through the command line: versions by number, reports, --expose."""

import json
import signal

import psutil
import pytest

from natslab.cluster import versions
from tests.cli_process import NatslabProcess, run_natslab

TINY = """
id = "tiny"
title = "Tiny"
servers = ["A"]

[[steps]]
title = "A and a subscriber"
narrative = "One server, one client."

[[steps.actions]]
type = "start_server"
server = "A"
routes = []

[[steps.actions]]
type = "start_clients"
seeds = ["A"]

[[steps.checks]]
type = "client_on"
servers = ["A"]
"""


# Any lesson takes --from/--to (they are the tutorial command's): this one is the shortest
# that upgrades a server and checks the new binary's version.
UPGRADE_ONE = """
id = "upgrade-one"
title = "Upgrade one server"
servers = ["A"]

[[steps]]
title = "A on the first binary"

[[steps.actions]]
type = "start_server"
server = "A"
routes = []

[[steps]]
title = "A on the upgrade binary"

[[steps.actions]]
type = "restart_server"
server = "A"
binary = "upgrade"

[[steps.checks]]
type = "server_version"
server = "A"
binary = "upgrade"
"""


def upgrade_between(old: str, new: str, results, timeout: float, lesson: str = "upgrade"):
    """`tutorial LESSON --from OLD --to NEW` headless; the run and the first check of a
    server's version (its observation reads /varz)."""
    done = run_natslab(
        "tutorial", lesson, "--headless", "--port-offset", "auto",
        "--from", old, "--to", new, "--json", str(results),
        timeout=timeout,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    checks = (c for s in json.loads(results.read_text())["steps"] for c in s["checks"])
    version = next(c for c in checks if c["observation"].startswith("/varz of "))
    return done, version


def test_server_install_then_list_as_commands(cache, local_index):
    empty = run_natslab("server", "list")
    assert empty.returncode == 0
    assert f"No other versions installed in {cache / 'servers'}." in empty.stdout
    done = run_natslab("server", "install", local_index, timeout=120)
    assert done.returncode == 0, done.stderr
    assert f"✓ nats-server {local_index} at {cache / 'servers' / local_index}" in done.stdout
    listed = run_natslab("server", "list")
    assert listed.stdout.split() == [
        local_index,
        str(cache / "servers" / local_index / "nats-server"),
    ]


@pytest.mark.slow
def test_versions_by_number_go_through_the_resolver_end_to_end(
    cache,
    local_index,
    tmp_path,
):
    """--nats-server VERSION and --from/--to VERSION install on first use, then run. The
    lesson is a one-server upgrade: resolving versions needs no more, and the upgrade lesson
    itself runs elsewhere (headless, in Pilot, in tmux)."""
    lesson = tmp_path / "upgrade-one.toml"
    lesson.write_text(UPGRADE_ONE)
    done, version = upgrade_between(
        local_index, local_index, tmp_path / "out.json", 240, lesson=str(lesson)
    )
    installed = cache / "servers" / local_index / "nats-server"
    assert f"Upgrades use {installed}" in done.stdout
    assert version["ok"] and local_index in version["observation"]
    doctor = run_natslab("--nats-server", local_index, "doctor")
    assert str(installed) in doctor.stdout


@pytest.mark.network
@pytest.mark.slow(seconds=20)
def test_a_real_version_upgrade_shows_old_and_new(tmp_path, cache):
    """--from an older release --to the bundled one: every upgrade step reports both."""
    bundled = versions.find_binary(None).version
    _, version = upgrade_between("2.11.0", bundled, tmp_path / "out.json", 300)
    assert f"2.11.0 before the restart, {bundled} now" in version["observation"]


def test_report_of_a_named_run_directory(tmp_path, state_dir):
    lesson = tmp_path / "tiny.toml"
    lesson.write_text(TINY)
    ran = run_natslab("tutorial", str(lesson), "--headless", "--port-offset", "auto", timeout=60)
    assert ran.returncode == 0, ran.stdout
    (run_dir,) = state_dir.glob("runs/*")
    moved = tmp_path / "kept-run"
    run_dir.rename(moved)
    done = run_natslab("report", str(moved))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == str(moved / "report.html")
    markdown = (moved / "report.md").read_text()
    assert "### Step 1: A and a subscriber — passed" in markdown
    assert "could not be read" not in markdown
    missing = run_natslab("report", str(tmp_path))
    assert missing.returncode == 1
    assert "it is not a natslab run directory" in missing.stderr


def test_expose_really_listens_on_every_interface(offset):
    natslab = NatslabProcess(
        "lab", "--headless", "--servers", "A", "--port-offset", str(offset), "--expose"
    )
    try:
        natslab.wait_for("Full mesh", timeout=30)
        (server,) = [
            p for p in psutil.Process(natslab.proc.pid).children() if p.name() == "nats-server"
        ]
        listening = {
            (c.laddr.ip, c.laddr.port)
            for c in server.net_connections(kind="tcp")
            if c.status == psutil.CONN_LISTEN
        }
        client_port = offset + 4222
        assert any(ip in {"0.0.0.0", "::"} and port == client_port for ip, port in listening), (
            listening
        )
        natslab.proc.send_signal(signal.SIGINT)
        assert natslab.wait(30) == 0
    finally:
        natslab.close()
