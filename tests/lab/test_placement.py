"""Editing a stream on real servers: its placement tags moved, so its replica moves to the
server that has them; a tag no server has, or more replicas than tagged servers, refused in
the server's own words, and the stream left where it was (running but wrong)."""

from __future__ import annotations

import time

import pytest

from natslab.errors import ServerStateError
from natslab.lab import operations as ops
from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons.lab_protocol import CheckContext
from tests.helpers import async_wait_until
from tests.helpers import check_verdict as verdict

ROUTES = ("A", "B", "C")


@pytest.mark.slow(seconds=20)
async def test_a_stream_moves_to_the_servers_its_new_tags_name(offset):
    session = open_lab(settings=RunSettings(offset=offset))
    session.start_polling(interval=0.2)
    perform = session.source.perform
    ctx = CheckContext(session.source, [(1, time.time())])
    try:
        for name in ROUTES:
            await perform(
                ops.StartServer(
                    server=name, routes=ROUTES, cluster_name="lab", jetstream=True,
                    config=f'server_tags: ["zone:{name.lower()}"]',
                )
            )  # fmt: skip
        await perform(ops.CreateStream(server="A", replicas=1, tags=("zone:a",)))
        await async_wait_until(
            lambda: verdict(ctx, "stream_peers", peers=["A"]).ok, 60, what="LEDGER on A"
        )
        done = await perform(ops.EditStream(server="B", tags=("zone:b",)))
        assert done.detail.startswith("stream LEDGER: R1, tags zone:a -> R1, tags zone:b;")
        url = session.source.operator.client_url("B")
        assert done.command == f"nats stream edit LEDGER --tag zone:b -f -s {url}"
        await async_wait_until(
            lambda: verdict(ctx, "stream_peers", peers=["B"]).ok, 60,
            what=lambda: verdict(ctx, "stream_peers", peers=["B"]).observation,
        )  # fmt: skip

        # Running but wrong: a typo, and three replicas where one server has the tag.
        with pytest.raises(
            ServerStateError,
            match=r"placement, tags not matched \['zone:bb'\] \(error 10005\)",
        ):
            await perform(ops.EditStream(server="A", tags=("zone:bb",)))
        # nats-server says the same for R3 on one tagged server: the tags cannot be matched
        # three times over.
        with pytest.raises(ServerStateError, match=r"tags not matched \['zone:b'\] \(error 10005"):
            await perform(ops.EditStream(server="A", replicas=3))
        assert verdict(ctx, "stream_peers", peers=["B"]).ok  # left where it was

        # A lesson shows such a refusal and goes on; done instead, or refused in other
        # words, it is an error sentence.
        typo = ops.EditStream(server="A", tags=("zone:bb",))
        done = await perform(ops.ExpectRefusal(action=typo, says="tags not matched"))
        assert done.detail.startswith(
            "refused, as expected: Stream LEDGER was not changed: no suitable peers"
        ), done
        assert done.command == session.source.operator.by_hand(typo)
        with pytest.raises(ServerStateError, match="refused, but not in the words expected"):
            await perform(ops.ExpectRefusal(action=typo, says="quorum"))
        where_it_is = ops.EditStream(server="A", tags=("zone:b",))
        with pytest.raises(ServerStateError, match=r"expected to be refused .* and was done"):
            await perform(ops.ExpectRefusal(action=where_it_is, says="tags not matched"))
        # Lifting the tags as well: three replicas, one on each server.
        done = await perform(ops.EditStream(server="A", replicas=3, tags=()))
        assert done.detail.startswith("stream LEDGER: R1, tags zone:b -> R3, no placement tags")
        await async_wait_until(
            lambda: verdict(ctx, "stream_peers", peers=["A", "B", "C"]).ok, 60,
            what=lambda: verdict(ctx, "stream_peers", peers=["A", "B", "C"]).observation,
        )  # fmt: skip
        assert verdict(ctx, "stream_peers", peers=["B"]).ok is False
    finally:
        await session.close()


async def test_a_change_waits_for_the_last_move_to_finish_and_no_other_refusal():
    """Under load, a change right after a move that stream_peers showed done met "stream
    move already in progress" (10124): it is asked again; any other refusal is not."""
    from nats.js.errors import APIError

    from natslab.lab.jetstream_ops import _after_any_move

    answers = [APIError(code=400, err_code=10124, description="stream move already in progress")]
    answers.append(answers[0])

    async def update() -> str:
        if answers:
            raise answers.pop()
        return "updated"

    assert await _after_any_move(update) == "updated" and not answers
    typo = APIError(code=400, err_code=10005, description="no suitable peers for placement")

    async def refused() -> str:
        raise typo

    with pytest.raises(APIError) as raised:
        await _after_any_move(refused)
    assert raised.value is typo


async def test_a_creation_refused_while_a_peer_is_still_joining_is_asked_again():
    """Under load a full run met "no suitable peers for placement, peer offline" for a
    stream created the moment its servers were up: that one is retried (as an unanswered
    API is); a placement that cannot be met is not."""
    from nats.js.errors import BadRequestError, ServiceUnavailableError

    from natslab.lab.jetstream_ops import _while_peers_join

    async def joining() -> None:
        raise BadRequestError(description="no suitable peers for placement, peer offline")

    async def typo() -> None:
        raise BadRequestError(description="no suitable peers for placement, tags not matched")

    async def joining_on_2_10() -> None:
        raise BadRequestError(description="no suitable peers for placement")

    with pytest.raises(ServiceUnavailableError):
        await _while_peers_join(joining(), tagged=True)
    with pytest.raises(ServiceUnavailableError):
        await _while_peers_join(joining_on_2_10(), tagged=False)
    with pytest.raises(BadRequestError):  # with tags, 2.10's words may be the tags'
        await _while_peers_join(joining_on_2_10(), tagged=True)
    with pytest.raises(BadRequestError):
        await _while_peers_join(typo(), tagged=True)
