"""`natslab class start --server URL --creds FILE`: a room on an existing NATS deployment (a
real nats-server in operator mode, JWT users, loopback). natslab starts no server; the
deployment's own permissions keep each participant to their name."""

import asyncio
import json

import nats
import pytest

from natslab.room.instructor.config import participant_permissions
from tests.deployment import Deployment
from tests.test_class import natslab_in

pytestmark = pytest.mark.slow  # rooms on a real deployment: left out of the quick loop


@pytest.fixture
def deployment(tmp_path):
    company = Deployment(tmp_path / "deployment")
    company.start()
    try:
        yield company
    finally:
        company.stop()


def scoped(company: Deployment, room: str, name: str):
    """A participant's credentials as `class start --server` tells the administrator."""
    rights = participant_permissions(room, name)
    return company.creds(name, rights["publish"]["allow"], rights["subscribe"]["allow"])


@pytest.mark.slow
def test_a_room_on_an_existing_deployment(deployment, tmp_path, state_dir):
    instructor = deployment.creds("instructor")
    started = natslab_in(state_dir, "class", "start", "demo", "--server", deployment.url,
                         "--creds", str(instructor))  # fmt: skip
    assert started.returncode == 0, started.stderr
    line = f"nats://127.0.0.1:{deployment.port}/demo"
    assert f"natslab class join {line} --name PSEUDONYM --creds FILE" in started.stdout
    (nsc,) = [ln for ln in started.stdout.splitlines() if "nsc add user NAME" in ln]
    allowed = nsc.split('--allow-pub "')[1].split('"')[0].split(",")
    # One subject per kind natslab sends (the stream bounds each), never the whole branch.
    kinds = ("LessonStarted", "CheckResult", "HelpRequested")
    assert {*(f"natslab.demo.p.NAME.{k}" for k in kinds), "natslab.demo.hb.NAME"} <= set(allowed)
    assert "natslab.demo.p.NAME.>" not in allowed
    ana_home, ana_creds = tmp_path / "ana", scoped(deployment, "demo", "ana")
    # Without credentials, or with ana's under another name: refused, in a sentence.
    bare = natslab_in(ana_home, "class", "join", line, "--name", "ana")
    assert bare.returncode == 1 and "is on an existing deployment" in bare.stderr
    posing = natslab_in(tmp_path / "ben", "class", "join", line, "--name", "ben",
                        "--creds", str(ana_creds))  # fmt: skip
    assert posing.returncode == 1, posing.stdout
    assert "may not report as 'ben' in room 'demo'" in posing.stderr
    assert not (tmp_path / "ben" / "room-membership.json").exists()
    joined = natslab_in(ana_home, "class", "join", line, "--name", "ana",
                        "--creds", str(ana_creds))  # fmt: skip
    assert joined.returncode == 0, joined.stderr
    herd = ("tutorial", "herd", "--headless", "--port-offset", "auto", "--answers", "1")
    ran = natslab_in(ana_home, *herd)
    assert ran.returncode == 0 and "Class: room demo: live." in ran.stdout, ran.stdout
    roster = natslab_in(state_dir, "class", "roster", "demo")
    assert roster.returncode == 0, roster.stderr
    assert "ana" in roster.stdout and "done" in roster.stdout
    ended = natslab_in(state_dir, "class", "end", "demo", "--output", str(tmp_path / "e.jsonl"))
    assert ended.returncode == 0, ended.stderr
    kept = [json.loads(line)["record"] for line in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert {r["participant"] for r in kept} == {"ana"} and len(kept) > 10
    assert not (state_dir / "rooms" / "demo").exists()
    for output in (started, bare, posing, joined, roster, ended):
        assert "Traceback" not in output.stderr


async def test_on_a_deployment_a_participant_reads_nobody_elses_answers(deployment):
    """The permissions natslab prints, as the deployment enforces them."""
    ana = await nats.connect(deployment.url, user_credentials=str(scoped(deployment, "demo",
                             "ana")), inbox_prefix="_INBOX_ana")  # fmt: skip
    errors: list[str] = []

    async def on_error(exc):
        errors.append(str(exc))

    ben = await nats.connect(deployment.url, user_credentials=str(scoped(deployment, "demo",
                             "ben")), inbox_prefix="_INBOX_ben", error_cb=on_error)  # fmt: skip
    got: list[bytes] = []

    async def read(msg):
        got.append(msg.data)

    await ben.subscribe("natslab.demo.p.ana.>", cb=read)
    await ben.flush()
    await ana.publish("natslab.demo.p.ana.PredictionLocked", json.dumps({"answer": 1}).encode())
    await ana.flush()
    await ben.flush()
    assert any("permissions violation" in e.lower() for e in errors), errors
    assert got == []
    await asyncio.gather(ana.close(), ben.close())


@pytest.mark.slow
def test_deployment_mistakes_are_sentences(deployment, tmp_path, state_dir):
    alone = natslab_in(state_dir, "class", "start", "demo", "--server", deployment.url)
    assert alone.returncode == 1 and "--server URL and --creds FILE go together" in alone.stderr
    junk = tmp_path / "junk.creds"
    junk.write_text("not a creds file\n")
    bad = natslab_in(state_dir, "class", "start", "demo", "--server", deployment.url,
                     "--creds", str(junk))  # fmt: skip
    assert bad.returncode == 1 and "is not a NATS credentials file" in bad.stderr
    stranger = Deployment(tmp_path / "elsewhere").creds("instructor")  # another operator's
    refused = natslab_in(state_dir, "class", "start", "demo", "--server", deployment.url,
                         "--creds", str(stranger))  # fmt: skip
    assert refused.returncode == 1, refused.stdout
    assert "refused the instructor's login for room 'demo'" in refused.stderr
    assert "are these credentials for that deployment?" in refused.stderr
    not_a_key = natslab_in(state_dir, "class", "start", "demo", "--server", deployment.url,
                           "--creds", str(deployment.creds("instructor")), "--signing-key",
                           str(junk))  # fmt: skip
    assert not_a_key.returncode == 1 and "not an account signing key's seed" in not_a_key.stderr
    keyless = natslab_in(state_dir, "class", "start", "demo", "--signing-key", str(junk))
    assert keyless.returncode == 1 and "go together" in keyless.stderr
    for output in (alone, bad, refused, not_a_key, keyless):
        assert "Traceback" not in output.stderr


def test_a_room_that_issues_its_own_users_from_a_signing_key(deployment, tmp_path, state_dir):
    """With the account's signing key, natslab issues each participant a user scoped to their
    name: one join line for the room, a name taken refused, and the line's bearer user able to
    ask to join and nothing else. The room's course goes into its stream and each answer."""
    import re
    import signal

    from tests.cli_process import NatslabProcess

    instructor = deployment.creds("instructor")
    key = deployment.signing_key_file()
    room = NatslabProcess("class", "start", "demo", "--server", deployment.url, "--creds",
                          str(instructor), "--signing-key", str(key), "--course",
                          "upgrades")  # fmt: skip
    try:
        room.wait_for("Ctrl+C stops answering joins")
        told = "The room follows course upgrades (Upgrading a cluster): "
        assert told in room.output
        line = re.search(r"natslab class join (\S+) --name", room.output)[1]
        joined = natslab_in(tmp_path / "ana", "class", "join", line, "--name", "ana")
        assert joined.returncode == 0, joined.stderr
        assert f"{told}take upgrade, seed," in joined.stdout
        room.wait_for("ana joined.")
        taken = natslab_in(tmp_path / "ben", "class", "join", line, "--name", "ana")
        assert taken.returncode == 1 and "The name 'ana' is taken in room demo" in taken.stderr
        herd = ("tutorial", "herd", "--headless", "--port-offset", "auto", "--answers", "1")
        ran = natslab_in(tmp_path / "ana", *herd)
        assert ran.returncode == 0 and "Class: room demo: live." in ran.stdout, ran.stdout
        roster = natslab_in(state_dir, "class", "roster", "demo")
        assert "ana" in roster.stdout and "done" in roster.stdout, roster.stdout
        assert "herd · course 1/7" in roster.stdout, roster.stdout
        token = line.removeprefix("nats://").split("@")[0]
        refused = [e.lower() for e in asyncio.run(bearer_refused(deployment.url, token))]
        assert refused == [
            'nats: permissions violation for publish to "natslab.demo.p.ana.lessonstarted"'
        ]
    finally:
        room.proc.send_signal(signal.SIGINT)
        assert room.wait() == 0, room.output


async def bearer_refused(url: str, token: str) -> list[str]:
    """What the server says when the join line's user tries to publish as a participant."""
    errors: list[str] = []

    async def on_error(exc):
        errors.append(str(exc))

    nc = await nats.connect(url, user_jwt_cb=lambda: token.encode(),
                            signature_cb=lambda nonce: b"", error_cb=on_error)  # fmt: skip
    await nc.publish("natslab.demo.p.ana.LessonStarted", b"{}")
    await nc.flush()
    for _ in range(100):  # the refusal arrives as an asynchronous error
        if errors:
            break
        await asyncio.sleep(0.02)
    await nc.close()
    return errors
