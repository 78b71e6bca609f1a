"""Lessons run headless, end to end, against real servers: the way CI and instructors run them."""

import json
import shutil

import pytest

from natslab.lab.recorder import read_events
from tests.cli_process import run_natslab
from tests.helpers import server_alive

IMPOSSIBLE = """
id = "impossible"
title = "A check that cannot pass"
servers = ["A", "B"]

[[steps]]
title = "One client on A, expected on B"
narrative = "B is never started, so the client cannot be there."

[[steps.actions]]
type = "start_server"
server = "A"

[[steps.actions]]
type = "start_clients"
count = 1
seeds = ["A"]

[[steps.checks]]
type = "client_on"
clients = "sub-1"
servers = ["B"]
timeout = 2

[[steps]]
title = "Never reached"

[[steps.actions]]
type = "start_server"
server = "B"
"""


def run_lesson(*args, timeout=300):
    return run_natslab("tutorial", *args, "--headless", "--port-offset", "auto", timeout=timeout)


def no_server_left(state_dir) -> bool:
    """Every server the run started (its ServerStarted records, which outlive the server,
    unlike run.json's list) is gone: none alive, none a zombie."""
    started = started_server_pids(state_dir)
    assert started, "the run recorded no server start: nothing to check"
    return not any(server_alive(pid) for pid in started)


def started_server_pids(state_dir) -> set[int]:
    return {
        record["pid"]
        for events in state_dir.glob("runs/*/events.jsonl")
        for record in read_events(events)
        if record["type"] == "ServerStarted"
    }


def test_upgrade_passes_end_to_end_with_a_real_binary_swap(tmp_path, binary, state_dir):
    upgraded = tmp_path / "new" / "nats-server"
    upgraded.parent.mkdir()
    shutil.copy2(binary.path, upgraded)
    results = tmp_path / "upgrade.json"
    done = run_lesson("upgrade", "--upgrade-binary", str(upgraded), "--json", str(results))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Lesson complete" in done.stdout
    report = json.loads(results.read_text())
    assert report["ok"] is True and len(report["steps"]) == 9
    assert all(check["ok"] for step in report["steps"] for check in step["checks"])
    step5 = report["steps"][4]
    assert step5["title"] == "Stop A with Ctrl+C"
    spread = next(
        c for c in step5["checks"] if c["check"] == "measured: the spread of every client"
    )
    assert "B: " in spread["observation"] and "C: " in spread["observation"]
    restart = report["steps"][5]["actions"][0]["detail"]
    assert f"-> {binary.version} ({upgraded.resolve()})" in restart
    assert no_server_left(state_dir)


@pytest.mark.parametrize(("lesson", "steps"), [("seed", 4), ("seed-failure", 5), ("auth", 4)])
def test_short_lessons_pass_end_to_end(tmp_path, state_dir, lesson, steps):
    done = run_lesson(lesson, "--json", str(tmp_path / "out.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "out.json").read_text())
    assert [s["ok"] for s in report["steps"]] == [True] * steps
    assert no_server_left(state_dir)


def test_herd_shows_the_pile_up_and_the_spread(tmp_path):
    done = run_lesson("herd", "--json", str(tmp_path / "herd.json"))
    report = json.loads((tmp_path / "herd.json").read_text())
    pile = report["steps"][2]["checks"][-1]["observation"]
    spread = report["steps"][4]["checks"][-1]["observation"]
    assert done.returncode == 0
    assert pile == "B: 60"
    counts = dict(part.split(": ") for part in spread.split(", "))
    assert set(counts) == {"B", "C"} and min(int(n) for n in counts.values()) >= 15


@pytest.mark.slow
@pytest.mark.timeout(660)  # the lesson's own deadline is 600 s; the global 120 s would cut it
def test_lame_duck_passes_end_to_end(tmp_path, state_dir):
    done = run_lesson("lame-duck", "--json", str(tmp_path / "ld.json"), timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "ld.json").read_text())
    assert report["ok"] is True
    drained = report["steps"][3]["checks"][0]
    assert drained["check"].startswith("A is drained of clients")
    assert "clients over time: 5@0s" in drained["observation"]


def test_a_check_that_cannot_pass_fails_loudly_and_cleanly(tmp_path, state_dir):
    lesson = tmp_path / "impossible.toml"
    lesson.write_text(IMPOSSIBLE)
    done = run_lesson(str(lesson), timeout=60)
    assert done.returncode == 1
    assert "✗ sub-1 is on B — sub-1 is on A; expected B" in done.stdout
    assert "Lesson failed at step 1" in done.stdout
    assert "Never reached" not in done.stdout
    assert "Traceback" not in done.stdout + done.stderr
    assert no_server_left(state_dir)


def test_a_broken_lesson_never_starts_a_server(tmp_path, state_dir):
    lesson = tmp_path / "broken.toml"
    lesson.write_text(IMPOSSIBLE.replace('servers = ["B"]', 'servers = ["Z"]'))
    done = run_lesson(str(lesson))
    assert done.returncode == 1
    assert "broken.toml, step 1 'One client on A, expected on B', field checks[0].servers[0]" in (
        done.stderr
    )
    assert not list(state_dir.glob("runs/*"))


def test_validate_and_list(tmp_path):
    lesson = tmp_path / "impossible.toml"
    lesson.write_text(IMPOSSIBLE)
    ok = run_natslab("lab", "validate", str(lesson))
    assert ok.returncode == 0
    assert "lesson 'impossible', 2 steps, 1 checks" in ok.stdout
    lesson.write_text(IMPOSSIBLE.replace("count = 1", "count = 0"))
    bad = run_natslab("lab", "validate", str(lesson))
    assert bad.returncode == 1
    assert "field actions[1].count: Input should be greater than or equal to 1" in bad.stderr
    listing = run_natslab("tutorial", "list")
    assert listing.returncode == 0
    listed = {line.split()[0] for line in listing.stdout.splitlines() if line.strip()}
    assert {"upgrade", "seed", "lame-duck", "herd", "seed-failure", "auth"} <= listed
