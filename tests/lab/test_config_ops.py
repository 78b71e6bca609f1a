"""Configuration on real servers: write a server's file, validate it with `nats-server -t`,
reload it with SIGHUP; the `reconnects` check and the `dropped` judge, each against a
running-but-wrong control (a restart where a reload was meant)."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator

import pytest
from pydantic import TypeAdapter

from natslab.errors import ServerStateError
from natslab.lab import operations as ops
from natslab.lab.local import LabSession, open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons import checks, predictions
from natslab.lessons import model as m
from natslab.lessons.lab_protocol import CheckContext
from tests.helpers import async_wait_until

USERS = "authorization { users = [ {user: alice, password: a} ] }\n"
WITH_CAROL = (
    "authorization { users = [ {user: alice, password: a}, {user: carol, password: c} ] }\n"
)
# These are the check kinds this file gives a negative control (test_check_controls counts them).
CONFIG_CHECK_KINDS = {"reconnects"}


@pytest.fixture
async def lab(offset: int) -> AsyncIterator[LabSession]:
    """A with a config file, three of alice's subscribers on it."""
    session = open_lab(settings=RunSettings(offset=offset))
    session.start_polling(interval=0.2)
    try:
        await session.source.perform(ops.StartServer(server="A", routes=(), config=USERS))
        await session.source.perform(
            ops.StartClients(
                count=3, seeds=("A",), prefix="alice",
                options=ops.ClientSettings(user="alice", password="a"),
            )
        )  # fmt: skip
        await async_wait_until(
            lambda: (
                len(checks.select(session.state, "alice-*")) == 3
                and all(v.server == "A" for v in checks.select(session.state, "alice-*"))
            ),
            20,
            what="alice's three clients on A",
        )
        yield session
    finally:
        await session.close()


def judged(session: LabSession, ctx: CheckContext, kind: str, **fields) -> checks.Verdict:
    item = TypeAdapter(m.Check).validate_python({"type": kind, **fields})
    return checks.evaluate(item, ctx, time.time())


def dropped(session: LabSession, ctx: CheckContext) -> predictions.Measured:
    judge = TypeAdapter(m.Judgement).validate_python({"type": "dropped", "clients": "alice-*"})
    return predictions.measure(judge, ctx, time.time())


async def test_a_good_reload_drops_nobody_and_a_restart_drops_everyone(lab):
    ctx = CheckContext(lab.source, [(1, time.time())])
    done = await lab.source.perform(ops.EditConfig(server="A", config=WITH_CAROL))
    assert "until a reload or a restart" in done.detail
    assert done.command.startswith("$EDITOR ") and done.command.endswith("/A.conf")
    conf = (lab.source.supervisor.run.config_path("A")).read_text()
    assert conf.startswith('server_name: "A"\n') and "carol" in conf  # the name in the file

    done = await lab.source.perform(ops.ValidateConfig(server="A"))
    assert "is valid (sha256:" in done.detail and done.command.startswith("nats-server -t -c ")
    done = await lab.source.perform(ops.ReloadConfig(server="A"))
    assert done.detail.startswith("A reloaded its config: [INF] Reloaded server configuration")
    assert done.command.startswith("nats-server --signal reload=")

    # A reload costs nobody a connection: the claim holds, and the judge measures 0.
    await async_wait_until(lambda: dropped(lab, ctx).final, 10, what="a final count")
    assert dropped(lab, ctx).value == 0
    held = judged(lab, ctx, "reconnects", clients="alice-*", at_most=0)
    assert held.ok and held.observation == "3 clients, 0 lost connections in this step", held

    # Running but wrong: the same change by restart. The clients are back on A, connected
    # and well, and the claim that nobody lost a connection fails, naming each one.
    ctx.step_starts.append((2, time.time()))
    restarted = await lab.source.perform(ops.RestartServer(server="A"))
    # What natslab adds names the file: typed without it, A would start with no users.
    conf = lab.source.supervisor.run.config_path("A")
    assert restarted.added.endswith(f"-c {conf}") and "-n" not in restarted.added.split()
    await async_wait_until(
        lambda: dropped(lab, ctx).final and dropped(lab, ctx).value == 3,
        30,
        what="the restart's three dropped clients, all back",
    )
    failed = judged(lab, ctx, "reconnects", clients="alice-*", at_most=0)
    assert not failed.ok
    assert failed.observation == "lost their server: alice-1 1; alice-2 1; alice-3 1", failed
    assert judged(lab, ctx, "reconnects", clients="alice-*", at_most=1).ok
    assert not judged(lab, ctx, "reconnects", clients="nobody-*", at_most=5).ok


async def test_validation_and_a_refused_reload_say_what_the_server_said(lab):
    await lab.source.perform(ops.EditConfig(server="A", config=USERS + "bogus_field: 1\n"))
    with pytest.raises(
        ServerStateError,
        match=r'found A\'s config invalid, not valid: .*unknown field "bogus_field"',
    ):
        await lab.source.perform(ops.ValidateConfig(server="A"))
    done = await lab.source.perform(ops.ValidateConfig(server="A", expect="invalid"))
    assert 'unknown field "bogus_field"' in done.detail

    # Valid, and not reloadable: the server refuses the whole file and runs on as before.
    await lab.source.perform(
        ops.EditConfig(server="A", config=USERS + 'lame_duck_duration: "45s"\n')
    )
    await lab.source.perform(ops.ValidateConfig(server="A"))
    done = await lab.source.perform(ops.ReloadConfig(server="A"))
    assert done.detail.startswith("A refused the reload, and runs on as before: [ERR] Failed to")
    assert "config reload not supported for LameDuckDuration" in done.detail
    assert lab.source.supervisor.is_running("A")


async def test_a_server_without_a_file_has_nothing_to_reload(offset):
    session = open_lab(settings=RunSettings(offset=offset))
    try:
        await session.source.perform(ops.StartServer(server="B", routes=()))
        with pytest.raises(ServerStateError, match="started without a config file"):
            await session.source.perform(ops.EditConfig(server="B", config=USERS))
        spec = session.source.supervisor.specs["B"]
        assert spec.added_args()[:2] == ["-n", "B"]  # no file: the name on the command line
    finally:
        await session.close()


async def test_a_changed_password_closes_nats_py_clients_for_good(lab):
    """The server sends `Authorization Violation` to a client whose login no longer holds
    (reload.go reloadAuthorization: authViolation), and nats-py closes on it without a retry
    (client.py _process_err): the lab says why the client ended."""
    ctx = CheckContext(lab.source, [(1, time.time())])
    rotated = "authorization { users = [ {user: alice, password: rotated} ] }\n"
    await lab.source.perform(ops.EditConfig(server="A", config=rotated))
    await lab.source.perform(ops.ReloadConfig(server="A"))
    await async_wait_until(
        lambda: dropped(lab, ctx).final and dropped(lab, ctx).value == 3,
        20,
        what="alice's three clients closed",
    )
    views = [lab.state.clients[f"alice-{n}"] for n in (1, 2, 3)]
    assert all(v.state.value == "closed" for v in views), views
    assert all("AuthorizationError" in " ".join(v.error_kinds) for v in views)
    said = judged(lab, ctx, "reconnects", clients="alice-*", at_most=0)
    assert "(then closed for good)" in said.observation and not said.ok


async def test_the_palette_validates_and_reloads_a_server_with_a_file(lab):
    entries = {e.title: e.operation for e in lab.palette()}
    path = lab.source.supervisor.run.config_path("A")
    assert entries[f"Validate server A's config (nats-server -t) ({path})"] == ops.ValidateConfig(
        server="A"
    )
    reload = entries["Reload server A's config (SIGHUP)"]
    done = await lab.source.perform(reload)
    assert "Reloaded server configuration" in done.detail
    await lab.source.perform(ops.StartServer(server="B", routes=()))  # no file: no such lines
    await async_wait_until(lambda: "B" in lab.state.servers and lab.state.servers["B"].up, 10,
                           what="B up")  # fmt: skip
    titles = [e.title for e in lab.palette()]
    assert not any("server B's config" in t for t in titles), titles


async def test_a_reload_through_the_system_account_says_what_the_server_said(offset):
    """$SYS.REQ.SERVER.<id>.RELOAD: the reload logged as a signal's is; a refusal comes back
    in the reply, not in the log. Running but wrong: A runs, with a file, and without the
    system account natslab sets up only for JetStream, nobody can answer the request."""
    session = open_lab(settings=RunSettings(offset=offset))
    perform = session.source.perform
    try:
        await perform(
            ops.StartServer(
                server="A", routes=("A",), jetstream=True, cluster_name="lab", config="debug: false"
            )
        )
        await perform(ops.EditConfig(server="A", config="debug: true"))
        done = await perform(ops.ReloadConfig(server="A", via="system"))
        assert done.detail.startswith("A reloaded its config: [INF] Reloaded server configuration")
        # The command a learner can type: the server's own id (56 characters, from N).
        assert re.match(r"nats server config reload N[A-Z0-9]{55} -f --user sys", done.command)
        await perform(ops.EditConfig(server="A", config='lame_duck_duration: "45s"'))
        done = await perform(ops.ReloadConfig(server="A", via="system"))
        assert done.detail.startswith("A refused the reload, and runs on as before: Failed to")
        assert "config reload not supported for LameDuckDuration" in done.detail
        assert session.source.supervisor.is_running("A")

        await perform(ops.StartServer(server="B", routes=(), config=USERS))
        with pytest.raises(ServerStateError, match=r"Cannot reach|Nobody answered"):
            await perform(ops.ReloadConfig(server="B", via="system"))
    finally:
        await session.close()
