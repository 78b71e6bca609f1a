"""JetStream's quorum on real servers: three servers, then two of them down. The checks that
read it (healthz_error, meta_peers, jetstream_answer) each fail on a cluster that is up and
well (their running-but-wrong controls) and pass once the quorum is really gone."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator

import pytest

from natslab.errors import TimedOutError
from natslab.lab import operations as ops
from natslab.lab.local import LabSession, open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons.lab_protocol import CheckContext
from tests.helpers import async_wait_until
from tests.helpers import check_verdict as verdict

QUORUM_CHECK_KINDS = {"healthz_error", "meta_peers", "jetstream_answer"}


@pytest.fixture
async def lab(offset: int) -> AsyncIterator[LabSession]:
    """A, B, C with JetStream and stream LEDGER (R3)."""
    session = open_lab(settings=RunSettings(offset=offset))
    session.start_polling(interval=0.2)
    try:
        for name in "ABC":
            await session.source.perform(
                ops.StartServer(
                    server=name, routes=("A", "B", "C"), cluster_name="lab", jetstream=True
                )
            )
        await session.source.perform(ops.CreateStream(server="A"))
        yield session
    finally:
        await session.close()


@pytest.mark.slow
@pytest.mark.timeout(240)
async def test_two_of_three_down_stops_jetstream_and_the_checks_say_so(lab):
    ctx = CheckContext(lab.source, [(1, time.time())])
    state = lab.state
    await async_wait_until(
        lambda: all(state.servers[n].jetstream and state.servers[n].healthy for n in "ABC"),
        60,
        what="three healthy JetStream servers polled",
    )
    # Running but wrong: all three up and well. /healthz says 200, nobody is offline, and a
    # publish is acknowledged, so every claim of a lost quorum fails, saying what it saw.
    said = verdict(ctx, "healthz_error", server="A", pattern="meta leader")
    assert not said.ok and said.observation == "/healthz of A: 200 ok", said
    assert verdict(ctx, "meta_peers", server="A", offline=[], leader="any").ok
    assert verdict(ctx, "meta_peers", server="A", members=["A", "B", "C"]).ok
    short = verdict(ctx, "meta_peers", server="A", members=["A", "B"])
    assert not short.ok and "members: A, B, C" in short.observation, short
    wrong = verdict(ctx, "meta_peers", server="A", offline=["B", "C"], leader="none")
    assert not wrong.ok and "offline: none" in wrong.observation, wrong
    assert not verdict(ctx, "meta_peers", server="A", offline=["B"], leader="any").ok
    assert not verdict(ctx, "meta_peers", server="A", offline=[], leader="none").ok
    # Without `offline`, only the leader is claimed: wrong while one leads.
    assert not verdict(ctx, "meta_peers", server="A", leader="none").ok
    done = await lab.source.perform(ops.ProbeJetStream(server="A", request="publish"))
    assert "acknowledged by stream LEDGER" in done.detail, done
    answered = verdict(ctx, "jetstream_answer", request="publish", answer="no_response")
    assert not answered.ok and "acknowledged by stream LEDGER" in answered.observation
    assert verdict(ctx, "jetstream_answer", request="publish", server="A", answer="ok").ok
    assert not verdict(ctx, "jetstream_answer", request="publish", server="B", answer="ok").ok

    # Two of three down: A is up and listening, and JetStream has stopped.
    ctx.step_starts.append((2, time.time()))
    await lab.source.perform(ops.StopServer(server="B"))
    await lab.source.perform(ops.StopServer(server="C"))
    await lab.source.perform(
        ops.ProbeJetStream(server="A", request="publish", until="no_response", timeout=60)
    )
    assert verdict(ctx, "jetstream_answer", request="publish", answer="no_response").ok
    await async_wait_until(
        lambda: (
            verdict(ctx, "healthz_error", server="A", pattern="meta leader").ok
            and verdict(ctx, "meta_peers", server="A", offline=["B", "C"], leader="none").ok
        ),
        60,
        what="A's /healthz and /jsz to show the lost quorum",
    )
    assert verdict(ctx, "meta_peers", server="A", leader="none").ok
    done = await lab.source.perform(
        ops.ProbeJetStream(server="A", request="create_stream", replicas=1, until=10008)
    )
    assert "error 10008 (HTTP 503): JetStream system temporarily unavailable" in done.detail
    # How long the answer took to come, even at the first try (quorum-loss points at it).
    assert re.search(r"\(after (1 try|\d+ tries), \d+\.\d s\)$", done.detail), done.detail
    # A probe that never gets its answer ends in one sentence with the last answer.
    with pytest.raises(TimedOutError, match=r"still did not answer ok after 1 s .*10008"):
        await lab.source.perform(
            ops.ProbeJetStream(server="A", request="account_info", until="ok", timeout=1)
        )
