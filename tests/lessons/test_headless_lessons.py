"""Lessons run headless, end to end, against real servers: the way CI and instructors run them."""

import json
import re
import shutil

import pytest
from nats.aio.client import DEFAULT_RECONNECT_TIME_WAIT

from natslab.lab.recorder import read_events
from natslab.lessons import catalog
from natslab.present.prose import as_text
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


# A learner reads, answers and types: tens of seconds between steps. Every question must have
# the same right answer at that pace as at full speed (issue 23), so both runs expect the same.
# What pace changes is whether a client dialled its server less than nats-py's reconnect wait
# ago (client.py DEFAULT_RECONNECT_TIME_WAIT, 2 s) when the server goes: a second more than
# that puts every step's clients past it, as tens of seconds would (benchmarks/paces.py runs
# every lesson at 10 s).
LEARNER_PACE = str(DEFAULT_RECONNECT_TIME_WAIT + 1)


@pytest.mark.slow(seconds=35)
@pytest.mark.timeout(400)
@pytest.mark.parametrize("pace", ["0", LEARNER_PACE])
def test_upgrade_passes_end_to_end_with_a_real_binary_swap(tmp_path, binary, state_dir, pace):
    upgraded = tmp_path / "new" / "nats-server"
    upgraded.parent.mkdir()
    shutil.copy2(binary.path, upgraded)
    results = tmp_path / "upgrade.json"
    done = run_lesson(
        "upgrade",
        "--upgrade-binary",
        str(upgraded),
        "--json",
        str(results),
        "--answers",
        "2,1,1",
        "--pace",
        pace,
        timeout=360,
    )
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
    assert_predictions_follow_the_run(report, done.stdout)
    assert no_server_left(state_dir)


def assert_predictions_follow_the_run(report: dict, stdout: str) -> None:
    """Each verdict is the run's own measurement, cross-checked here against what the
    lesson's checks observed in the same run (another code path, the same servers)."""
    steps = {s["step"]: s for s in report["steps"]}
    asked = {n: s["prediction"] for n, s in steps.items() if "prediction" in s}
    assert sorted(asked) == [4, 5, 6]
    assert [p["answer"] for p in asked.values()] == [2, 1, 1]
    for p in asked.values():
        assert len(p["right"]) == 1 and p["matched"] == (p["answer"] in p["right"])

    # Step 4: sub-1 learns C while it stays on A, at whatever delay the run measured (the
    # check's figure, the judgement's figure: one measurement, two code paths).
    knows = next(c for c in steps[4]["checks"] if c["check"] == "sub-1 knows A, B and C")
    learned_ms = int(re.search(r"learned C (\d+) ms after it started", knows["observation"])[1])
    assert asked[4]["right"] == [1], (learned_ms, asked[4])
    # Compared in every run, the slow ones too: from a second on the judgement says tenths of
    # a second (predictions.seconds), the check still milliseconds; one delay, rounded twice.
    said = re.fullmatch(r"(?:(\d+) ms|(\d+\.\d) s) after C started", asked[4]["measured"])
    assert said, asked[4]
    if said[1]:
        assert int(said[1]) == learned_ms, (learned_ms, asked[4])
    else:
        assert abs(float(said[2]) * 1000 - learned_ms) <= 50.5, (learned_ms, asked[4])

    # Step 5: the spread report's count on B decides between all, some and none.
    spread = next(c for c in steps[5]["checks"] if c["check"].startswith("measured: the spread"))
    on_b = int(re.search(r"B: (\d+)", spread["observation"])[1])
    assert asked[5]["right"] == [1 if on_b == 21 else 2 if on_b else 3], (on_b, asked[5])
    assert asked[5]["measured"].startswith(f"{on_b} of 21 clients on B")

    # Step 6: nobody moves back to a restarted server: "None" (answer 1) is right.
    assert asked[6]["measured"].startswith("0 of 21 clients on A") and asked[6]["right"] == [1]
    score = report["predictions"]
    assert score["asked"] == score["answered"] == 3
    assert score["matched"] == sum(p["matched"] for p in asked.values())
    assert f"Predictions: {score['matched']} of your 3 answers matched this run" in stdout


@pytest.mark.parametrize(("lesson", "steps"), [("seed", 4), ("seed-failure", 5), ("auth", 4)])
@pytest.mark.slow
def test_short_lessons_pass_end_to_end(tmp_path, state_dir, lesson, steps):
    done = run_lesson(lesson, "--json", str(tmp_path / "out.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "out.json").read_text())
    assert [s["ok"] for s in report["steps"]] == [True] * steps
    # The same lesson as the UI's: its summary first, each step's explanation once it ran.
    loaded = catalog.load(lesson)
    printed = " ".join(done.stdout.split())
    assert " ".join(loaded.summary.split()) in printed
    last = loaded.steps[-1].narrative.strip().split("\n\n")[-1]
    assert as_text(" ".join(last.split())).plain in printed  # as printed: no ** or ` left
    assert no_server_left(state_dir)


@pytest.mark.parametrize("pace", ["0", LEARNER_PACE])
@pytest.mark.slow(seconds=30)
def test_config_reload_passes_and_each_answer_comes_from_the_run(tmp_path, state_dir, pace):
    out = tmp_path / "cr.json"
    done = run_lesson("config-reload", "--json", str(out), "--pace", pace, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = {s["step"]: s for s in json.loads(out.read_text())["steps"]}
    # A good reload drops nobody; a user removed from A only moves its clients to B.
    assert steps[3]["prediction"]["right"] == [1], steps[3]["prediction"]
    assert steps[5]["prediction"]["right"] == [1], steps[5]["prediction"]
    reloaded, refused = steps[3]["checks"][0], steps[6]["checks"][0]
    assert "Reloaded server configuration (sha256:" in reloaded["observation"]
    assert "old=2m0s, new=45s" in refused["observation"], refused
    # bob's subscribers paid, in step 4, for the time step 3 had left them without a
    # subscription: the numbering shows it once B subscribes them again.
    lost = lost_by_client(steps[7], "bob-")
    assert len(lost) == 3 and min(lost.values()) > 0, steps[7]
    assert no_server_left(state_dir)


@pytest.mark.slow(seconds=70)
@pytest.mark.timeout(400)
def test_quorum_loss_stops_jetstream_and_loses_nothing_acknowledged(tmp_path, state_dir):
    out = tmp_path / "ql.json"
    done = run_lesson("quorum-loss", "--json", str(out), timeout=360)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = {s["step"]: s for s in json.loads(out.read_text())["steps"]}
    assert steps[2]["prediction"]["right"] == [2], steps[2]["prediction"]  # no response
    said = {c["check"]: c["observation"] for c in steps[2]["checks"]}
    assert any("not established contact with a meta leader" in o for o in said.values()), said
    assert "0 of" in steps[5]["checks"][1]["observation"], steps[5]["checks"]
    # Two new, empty servers beside A: on the shipped nats-server they cannot vote for B
    # and C (raft.go shouldCountVoteFromPeer, 2.14.4), so no meta leader places a new
    # stream (on 2.12.0 one does: measured); LEDGER's own group stays without one anyway.
    assert steps[6]["prediction"]["right"] == [2], steps[6]["prediction"]
    created = steps[6]["actions"][-2]["detail"]
    assert "asked for 20 s" in created and "never succeeded" in created, created
    assert "error 10008" in created, created
    assert "no response from stream" in steps[6]["checks"][2]["observation"]
    assert no_server_left(state_dir)


@pytest.mark.slow(seconds=20)
@pytest.mark.timeout(400)
def test_replace_node_places_the_replica_only_after_the_peer_remove(tmp_path, state_dir):
    out = tmp_path / "rn.json"
    done = run_lesson("replace-node", "--json", str(out), timeout=360)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = {s["step"]: s for s in json.loads(out.read_text())["steps"]}
    assert steps[3]["prediction"]["right"] == [2], steps[3]["prediction"]  # still A, B, C
    assert "replicas on A, B, D; all current" in steps[4]["checks"][0]["observation"]
    # C back under its old name, minutes after its peer-remove: up and healthy, not counted
    # (raft.go trackPeer keeps a removed peer out for peerRemoveTimeoutDefault, 5 minutes).
    assert steps[5]["prediction"]["right"] == [2], steps[5]["prediction"]  # A, B and D
    assert "A counts the meta group as A, B, D" in steps[5]["prediction"]["measured"]
    said = [c["observation"] for c in steps[5]["checks"]]
    assert said[0] == "/healthz of C: 200 ok" and "replicas on A, B, D" in said[2], said
    assert no_server_left(state_dir)


@pytest.mark.slow(seconds=15)
def test_placement_refuses_a_typo_and_moves_a_stream_by_its_tag(tmp_path, state_dir):
    out = tmp_path / "pl.json"
    done = run_lesson("placement", "--json", str(out), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = {s["step"]: s for s in json.loads(out.read_text())["steps"]}
    typo, move = steps[2]["actions"][0]["detail"], steps[3]
    assert "tags not matched ['zone:aa'] (error 10005)" in typo, typo
    assert move["prediction"]["right"] == [2], move["prediction"]  # it moves to B
    assert "tags not matched ['zone:b']" in steps[4]["actions"][0]["detail"]
    assert "0 of" in steps[6]["checks"][0]["observation"], steps[6]["checks"]
    assert no_server_left(state_dir)


@pytest.mark.slow(seconds=15)
def test_backup_restore_keeps_the_mirror_whole_and_the_backup_a_moment(tmp_path, state_dir):
    out = tmp_path / "br.json"
    done = run_lesson("backup-restore", "--json", str(out), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = {s["step"]: s for s in json.loads(out.read_text())["steps"]}
    assert steps[4]["prediction"]["right"] == [2], steps[4]["prediction"]  # the mirror: none
    assert steps[5]["prediction"]["right"] == [2], steps[5]["prediction"]  # after the backup
    backed_up = re.search(r"up to (\d+),", steps[2]["actions"][0]["detail"])
    restored = re.search(r"up to (\d+),", steps[5]["actions"][0]["detail"])
    assert backed_up and restored and backed_up[1] == restored[1], steps[5]["actions"]
    # What the restore misses is every acknowledged message after the backup's last one.
    counted = re.search(
        r"(\d+) acknowledged, (\d+) of them missing", steps[5]["actions"][1]["detail"]
    )
    assert counted and int(counted[2]) == int(counted[1]) - int(backed_up[1]) > 0, counted
    assert "0 of them missing from BACKUP" in steps[6]["actions"][2]["detail"]
    assert no_server_left(state_dir)


@pytest.mark.parametrize("pace", ["0", LEARNER_PACE])
@pytest.mark.slow(seconds=25)
def test_cluster_name_renames_a_running_cluster_at_a_cost(tmp_path, state_dir, pace):
    out = tmp_path / "cn.json"
    done = run_lesson("cluster-name", "--json", str(out), "--pace", pace, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = {s["step"]: s for s in json.loads(out.read_text())["steps"]}
    assert "Cluster name updated to lab" in steps[2]["checks"][0]["observation"]
    assert steps[3]["prediction"]["right"] == [2], steps[3]["prediction"]  # some were lost
    assert "A: lab; B: lab; C: lab" in steps[3]["checks"][0]["observation"]
    assert no_server_left(state_dir)


@pytest.mark.slow
def test_leaf_nodes_keep_the_edge_working_and_lose_the_hubs_messages(tmp_path, state_dir):
    out = tmp_path / "ln.json"
    done = run_lesson("leaf-nodes", "--json", str(out), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = {s["step"]: s for s in json.loads(out.read_text())["steps"]}
    # E's own member of the queue group answers E's requests, B's answers B's.
    assert steps[3]["prediction"]["right"] == [1], steps[3]["prediction"]
    assert "edgesvc-1 answered 20, 0 unanswered" in steps[3]["checks"][0]["observation"]
    assert "hubsvc-1 answered 20, 0 unanswered" in steps[3]["checks"][1]["observation"]
    assert steps[4]["prediction"]["right"] == [1], steps[4]["prediction"]  # nothing lost locally
    assert steps[5]["prediction"]["right"] == [2], steps[5]["prediction"]  # the hub's, lost
    local, far = lost_by_client(steps[5], "local-"), lost_by_client(steps[5], "far-")
    assert set(local.values()) == {0} and min(far.values()) > 0, (local, far)
    # A frozen hub server closes nothing: E's pings find the link stale, and E dials again.
    assert "Leafnode connection closed: Stale Connection" in steps[6]["checks"][0]["observation"]
    assert "E's leaf connections: none" in steps[6]["checks"][1]["observation"]
    assert "E's leaf connections: A" in steps[7]["checks"][0]["observation"]
    # Without a member of its own, E's requests cross the link to the hub's.
    assert steps[8]["prediction"]["right"] == [1], steps[8]["prediction"]
    # The rounds of requests are on the timeline too (nothing else notes them); a server's
    # start is not (its own note says it).
    noted = [r["title"] for events in state_dir.glob("runs/*/events.jsonl")
             for r in read_events(events) if r["type"] == "LessonActionNoted"]  # fmt: skip
    assert noted.count("Send 20 requests to natslab.svc through E") == 3, noted
    assert not any(t.startswith("Start server") for t in noted), noted
    assert no_server_left(state_dir)


@pytest.mark.slow
def test_super_cluster_keeps_each_clusters_own_and_joins_up_again(tmp_path, state_dir):
    out = tmp_path / "sc.json"
    done = run_lesson("super-cluster", "--json", str(out), timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = {s["step"]: s for s in json.loads(out.read_text())["steps"]}
    # Each cluster's own member answers its requests; west loses nothing while east is down.
    assert steps[3]["prediction"]["right"] == [1], steps[3]["prediction"]
    assert "westsvc-1 answered 20, 0 unanswered" in steps[3]["checks"][0]["observation"]
    assert "eastsvc-1 answered 20, 0 unanswered" in steps[3]["checks"][1]["observation"]
    assert steps[4]["prediction"]["right"] == [1], steps[4]["prediction"]
    # No member reachable: nobody answers; east back: its member does, over the gateway.
    assert steps[5]["prediction"]["right"] == [2], steps[5]["prediction"]
    assert "eastsvc-1 answered 20" in steps[6]["checks"][1]["observation"]
    away, home = lost_by_client(steps[6], "away-"), lost_by_client(steps[6], "home-")
    assert set(home.values()) == {0} and min(away.values()) > 0, (home, away)
    assert no_server_left(state_dir)


@pytest.mark.slow(seconds=30)
@pytest.mark.timeout(400)
def test_partition_elects_on_the_majority_side_and_loses_nothing(tmp_path, state_dir):
    out = tmp_path / "pt.json"
    done = run_lesson("partition", "--json", str(out), timeout=360)
    assert done.returncode == 0, done.stdout + done.stderr
    steps = {s["step"]: s for s in json.loads(out.read_text())["steps"]}
    assert steps[2]["prediction"]["right"] == [2], steps[2]["prediction"]  # seconds
    assert "A peers: none" in steps[2]["checks"][0]["observation"]
    assert "0 of" in steps[5]["checks"][1]["observation"], steps[5]["checks"]
    assert no_server_left(state_dir)


def test_herd_shows_the_pile_up_and_the_spread(tmp_path):
    done = run_lesson("herd", "--json", str(tmp_path / "herd.json"))
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "herd.json").read_text())
    pile = report["steps"][2]["checks"][-1]["observation"]
    spread = report["steps"][4]["checks"][-1]["observation"]
    assert pile == "B: 60"
    counts = dict(part.split(": ") for part in spread.split(", "))
    assert set(counts) == {"B", "C"} and min(int(n) for n in counts.values()) >= 15


@pytest.mark.slow(seconds=100)
@pytest.mark.timeout(660)  # the lesson's own deadline is 600 s; the global 120 s would cut it
@pytest.mark.parametrize("pace", ["0", LEARNER_PACE])
def test_lame_duck_passes_end_to_end(tmp_path, state_dir, pace):
    out = tmp_path / "ld.json"
    done = run_lesson("lame-duck", "--json", str(out), "--pace", pace, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(out.read_text())
    assert report["ok"] is True
    steps = {s["step"]: s for s in report["steps"]}
    drained = steps[4]["checks"][0]
    assert drained["check"].startswith("A is drained of clients")
    assert "clients over time: 5@0s" in drained["observation"]
    # The drain is timed from A's lame duck to its last client's move, the curve's last
    # point; no client is closed before the grace period (10 s, nats-server's
    # DEFAULT_LAME_DUCK_GRACE_PERIOD), and all five then leave within the 20 s left.
    took = float(re.search(r"drained in (\d+\.\d) s", drained["observation"])[1])
    curve = re.findall(r"(\d+)@(\d+\.?\d*)s", drained["observation"])
    assert [int(n) for n, _ in curve] == [5, 4, 3, 2, 1, 0], drained["observation"]
    assert float(curve[-1][1]) == took and 10.0 <= took <= 30.0, drained["observation"]
    # The same right answers at any pace: the fresh subscribers, which joined A just before
    # the Ctrl+C, sit out nats-py's two seconds; A waits its grace period before closing.
    assert steps[2]["prediction"]["right"] == [2], steps[2]["prediction"]
    assert steps[4]["prediction"]["right"] == [3], steps[4]["prediction"]
    # The lame duck moves are judged against this run's own Ctrl+C stall, not a fixed bound:
    # the fast group (moving on the notice) loses less than any fresh subscriber did.
    fresh = lost_by_client(steps[2], "fresh-")
    fast = lost_by_client(steps[6], "fast-")
    assert len(fresh) == len(fast) == 5
    assert max(fast.values()) < min(fresh.values()), (fast, fresh)


def lost_by_client(step: dict, prefix: str) -> dict[str, int]:
    """Each subscriber's loss within one step, from the step's loss or lost check."""
    counts: dict[str, int] = {}
    for check in step["checks"]:
        for name, lost in re.findall(rf"({prefix}\d+) (?:lost )?(\d+)", check["observation"]):
            counts[name] = int(lost)
    return counts


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
    assert "lesson 'impossible', 2 steps, 1 check, 0 questions, 0 hands-on steps." in ok.stdout
    upgrade = run_natslab("lab", "validate", str(catalog.bundled()["upgrade"]))
    assert "9 steps, 28 checks, 3 questions, 1 hands-on step." in upgrade.stdout
    lesson.write_text(IMPOSSIBLE.replace("count = 1", "count = 0"))
    bad = run_natslab("lab", "validate", str(lesson))
    assert bad.returncode == 1
    assert "field actions[1].count: Input should be greater than or equal to 1" in bad.stderr
    listing = run_natslab("tutorial", "list")
    assert listing.returncode == 0
    listed = {line.split()[0] for line in listing.stdout.splitlines() if line.strip()}
    assert {"upgrade", "seed", "lame-duck", "herd", "seed-failure", "auth"} <= listed


def test_answers_that_do_not_fit_the_lesson_stop_before_any_server(state_dir):
    done = run_lesson("upgrade", "--answers", "2,9")
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "natslab: --answers: answer 2 is '9', but question 2 (step 5, 'Stop A with Ctrl+C') "
        "has answers 1-3."
    )
    assert not list(state_dir.glob("runs/*"))


@pytest.mark.slow(seconds=35)
def test_jetstream_upgrade_careless_then_careful_loses_nothing_acknowledged(tmp_path, state_dir):
    done = run_lesson("jetstream-upgrade", "--json", str(tmp_path / "js.json"), "--answers", "3")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads((tmp_path / "js.json").read_text())
    steps = {s["step"]: s for s in report["steps"]}

    def gap_ms(step: int) -> int:
        check = next(c for c in steps[step]["checks"] if "without an acknowledged" in c["check"])
        return int(re.search(r"longest (\d+) ms", check["observation"])[1])

    careless, careful = gap_ms(3), [gap_ms(n) for n in (7, 8, 9)]
    # Relative, not timed: at any speed the careless gap (an election after a kill) is
    # seconds and many times a careful step's (tens of ms idle, a few hundred under load).
    assert careless > 1000 and max(careful) * 4 < careless, (careless, careful)
    assert steps[3]["prediction"]["right"] == [3]  # judged by the run: seconds without an ack
    for step in (5, 10):
        lost = next(c for c in steps[step]["checks"] if c["check"].startswith("ledger: at most"))
        assert lost["ok"] and lost["observation"].startswith("0 of "), lost

    # The careful roll never stops a server while a replica is behind: replay the run's
    # replica events up to each lame duck natslab sent.
    (run_dir,) = state_dir.glob("runs/*")
    behind: dict[str, bool] = {}
    lame_ducks = 0
    for record in read_events(run_dir / "events.jsonl"):
        if record["type"] == "ReplicaChanged":
            behind[record["server"]] = not record["current"]
        elif record["type"] == "ActionDone" and record["action"] == "lame_duck":
            lame_ducks += 1
            assert not any(behind.values()), (record, behind)
    assert lame_ducks == 3


def test_the_prediction_score_reads_as_a_sentence():
    from natslab.lessons.record import score_sentence

    assert score_sentence(0, 0, 1) == "Predictions: 1 question asked, none answered."
    assert score_sentence(2, 3, 3) == (
        "Predictions: 2 of your 3 answers matched this run (3 questions asked)."
    )
    assert score_sentence(1, 1, 2) == (
        "Predictions: 1 of your 1 answer matched this run (2 questions asked)."
    )
