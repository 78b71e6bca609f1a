"""One vocabulary: palette entries and lesson actions are the same operations, said one way."""

import typing

import pytest
from pydantic import TypeAdapter, ValidationError

from natslab.lab import operations as ops
from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lab.titles import title
from natslab.lessons.model import Action


@pytest.fixture
def session(offset):
    lab = open_lab(settings=RunSettings(offset=offset))
    yield lab
    lab.finish()


def test_a_lesson_action_is_validated_into_the_palettes_own_operation():
    action = TypeAdapter(Action).validate_python({"type": "lame_duck", "server": "B"})
    assert action == ops.LameDuck(server="B")
    with pytest.raises(ValidationError):
        TypeAdapter(Action).validate_python({"type": "lame_duck", "server": "b"})


def test_every_palette_entry_is_an_operation_with_a_by_hand_command(session):
    entries = session.palette()
    operation_types = set(typing.get_args(ops.Operation))
    assert entries and all(type(e.operation) in operation_types for e in entries)
    # Nothing runs yet: every server can be started, each way shown as its command.
    starts = [e for e in entries if isinstance(e.operation, ops.StartServer)]
    assert len(starts) == 10
    assert all(session.operator.by_hand(e.operation).startswith("nats-server ") for e in starts)
    assert all(e.title.startswith(title(e.operation)) for e in entries)  # one wording


def test_lame_duck_has_one_by_hand_command_wherever_it_is_asked_for(session):
    from_lesson = TypeAdapter(Action).validate_python({"type": "lame_duck", "server": "A"})
    from_palette = ops.LameDuck(server="A")
    said = {session.operator.by_hand(from_lesson), session.operator.by_hand(from_palette)}
    assert said == {"nats-server --signal ldm=<pid>"}


async def test_stop_and_lame_duck_name_the_real_pid_once_a_server_runs(session):
    try:
        await session.source.perform(ops.StartServer(server="A", routes=()))
        pid = session.state.servers["A"].pid
        assert session.operator.by_hand(ops.LameDuck(server="A")) == (
            f"nats-server --signal ldm={pid}"
        )
        done = await session.source.perform(ops.StopServer(server="A"))
        assert done.command.startswith(f"kill -INT {pid}")
        assert "exit code 0" in done.detail
    finally:
        await session.close()


async def test_stopping_a_server_that_died_unasked_says_so(session):
    """A crashed before the lesson's stop: the stop says it was not running and how it had
    ended, where it read 'stopped by SIGKILL after 5 s'; a second stop of a server stopped
    before says it had been stopped."""
    import os
    import signal

    from tests.helpers import async_wait_until

    try:
        await session.source.perform(ops.StartServer(server="A", routes=()))
        os.kill(session.state.servers["A"].pid, signal.SIGKILL)
        process = session.source.supervisor.process("A")
        await async_wait_until(lambda: not process.running, 10, what="A gone")
        done = await session.source.perform(ops.StopServer(server="A"))
        assert done.detail == (
            "A was not running: it had exited on its own earlier (exit code -9), so there "
            "was nothing to stop"
        )
        await session.source.perform(ops.StartServer(server="B", routes=()))
        await session.source.perform(ops.StopServer(server="B"))
        again = await session.source.perform(ops.StopServer(server="B"))
        assert again.detail.startswith("B was not running: it had been stopped earlier")
    finally:
        await session.close()


async def test_an_operation_on_a_server_that_is_not_running_is_a_named_error(session):
    from natslab.errors import ServerStateError, UnknownServerError

    try:
        with pytest.raises(UnknownServerError):
            await session.source.perform(ops.LameDuck(server="C"))
        await session.source.perform(ops.StartServer(server="A", routes=()))
        with pytest.raises(ServerStateError, match="already running"):
            await session.source.perform(ops.StartServer(server="A", routes=()))
    finally:
        await session.close()


def test_a_leader_move_to_a_server_is_shown_as_the_natscli_command_that_asks_for_it(session):
    """A bare natscli step-down elects a random peer; the shown command asks for the one
    natslab asks for (natscli: stream --preferred, server cluster --host)."""
    said, url = session.operator.by_hand, session.operator.client_url
    assert said(ops.MoveLeader(stream="LEDGER", to="A", server="A")) == (
        f"nats stream cluster step-down LEDGER --preferred A -s {url('A')}"
    )
    assert said(ops.MoveLeader(to="B", server="B")) == (
        f"nats server cluster step-down --host B --user sys --password sys -s {url('B')}"
    )
    assert said(ops.MoveLeader(stream="LEDGER", server="A")) == (
        f"nats stream cluster step-down LEDGER -s {url('A')}"
    )


def test_the_ledger_by_hand_says_what_nats_pub_leaves_out(session):
    shown = session.operator.by_hand(ops.StartLedger(seeds=("A",)))
    assert shown.startswith("nats pub --jetstream ")
    assert "no Nats-Msg-Id" in shown and "no retry" in shown
