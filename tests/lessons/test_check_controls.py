"""Every check kind, on real servers, once where its claim is true and once where it is false.

A check that cannot fail teaches nothing: each kind here must pass on a true claim and fail
on a false one (its negative control), in one cluster whose state the steps move forward.
"""

import re
import typing

import pytest

from natslab.cluster.ports import find_free_offset
from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons import model as m
from natslab.lessons.model import Lesson
from tests.helpers import async_wait_until

AUTH = 'authorization { users = [ { user: "carol", password: "s3cret" } ] }'
QUICK = 1.5  # seconds a false claim is given to come true: none of these ever will


def check(kind: str, **fields) -> dict:
    return {"type": kind, "timeout": QUICK, **fields}


# (kind, a true claim, a false claim), in the cluster as it stands after SETUP.
CONTROLS = [
    ("server_ready", check("server_ready", server="A"), check("server_ready", server="D")),
    ("server_stopped", check("server_stopped", server="D"), check("server_stopped", server="A")),
    # Running but wrong: E is up and answers, its JetStream without a meta leader (its only
    # peer, F, never starts), so /healthz says no (a server never started proved nothing).
    ("healthz", check("healthz", server="A"), check("healthz", server="E", timeout=5)),
    (
        "server_version",
        check("server_version", server="A", binary="default"),
        check("server_version", server="A", binary="upgrade"),
    ),
    (
        "log_contains",
        check("log_contains", server="A", pattern="Server is ready", since_step=False),
        check("log_contains", server="A", pattern="no such line, ever", since_step=False),
    ),
    (
        "route_mesh",
        check("route_mesh", servers=["A", "B", "C"]),
        check("route_mesh", servers=["A", "E"]),  # both running, never routed
    ),
    (
        "route_peers",
        check("route_peers", server="A", peers=["B", "C"]),
        check("route_peers", server="A", peers=["B"]),
    ),
    (
        "client_on",
        check("client_on", clients="sub-*", servers=["A"]),
        check("client_on", clients="sub-*", servers=["B"]),
    ),
    (
        "clients_spread",
        check("clients_spread", servers=["A", "B"]),
        check("clients_spread", clients="sub-*", servers=["A", "B"]),
    ),
    ("no_clients_on", check("no_clients_on", server="C"), check("no_clients_on", server="A")),
    (
        "client_knows",
        check("client_knows", clients="sub-*", servers=["A", "B", "C"]),
        check("client_knows", clients="sub-*", servers=["A", "D"]),
    ),
    ("drained", check("drained", server="C"), check("drained", server="A")),
    # Running but wrong: drained, and too fast (C held nobody: drained in 0 s, not 5).
    (
        "drained, too fast",
        check("drained", server="C"),
        check("drained", server="C", min_seconds=5),
    ),
    (
        "messages_lost",
        check("messages_lost", clients="sub-*", at_most=0, timeout=10),
        check("messages_lost", clients="other-*", at_most=0),  # other-1 subscribes to nothing sent
    ),
    (
        "report",
        check("report", what="spread"),
        check("report", what="loss", clients="other-*"),
    ),
]
# Running but wrong (M1): a loss that is real, counted and final, and too high. lossy-1 knows
# only G, which advertises no other server to its clients (no_advertise: route.go, no
# addConnectURLsAndSendINFOToClients), so it is away from the publisher's messages for as long
# as G is down; the true claim waits for the loss to be final, then the false one judges it.
AFTER_A_LOSS = [
    (
        "messages_lost, too many",
        check("messages_lost", clients="lossy-*", at_most=1_000_000, timeout=30),
        check("messages_lost", clients="lossy-*", at_most=0),
    ),
]
# After A and B stop, every client can only reach C, whose users it does not have.
AFTER_FAILOVER = [
    (
        "client_error",
        check("client_error", pattern="Authorization Violation", timeout=20),
        check("client_error", pattern="no such error"),
    ),
    (
        "log_absent",
        check("log_absent", server="C", pattern="no such line, ever", quiet_for=1),
        # C keeps dialling A's cluster port once a second, at debug level.
        check(
            "log_absent",
            server="C",
            pattern="Trying to connect to route.*:{cluster:A}",
            quiet_for=2,
            timeout=4,
        ),
    ),
]

SETUP = {
    "title": "A, B and C (C with its own users); subscribers on A, one more on B, a publisher",
    "actions": [
        {"type": "start_server", "server": "A", "cluster_name": "lab"},
        {"type": "start_server", "server": "B", "cluster_name": "lab"},
        {"type": "start_server", "server": "C", "cluster_name": "lab", "config": AUTH},
        {
            "type": "start_server",
            "server": "E",
            "cluster_name": "alone",
            "jetstream": True,
            "routes": ["E", "F"],
        },
        {"type": "start_clients", "count": 2, "seeds": ["A"]},
        {
            "type": "start_clients",
            "count": 1,
            "prefix": "other",
            "seeds": ["B"],
            "subject": "x.none",
        },
        {"type": "start_publisher", "seeds": ["A"], "rate": 50},
    ],
    "checks": [
        {"type": "route_mesh", "servers": ["A", "B", "C"], "timeout": 30},
        {"type": "client_knows", "servers": ["A", "B", "C"], "timeout": 15},
    ],
}
LOSSY_G = {
    "type": "start_server",
    "server": "G",
    "cluster_name": "lab",
    "routes": ["A"],
    "config": "cluster { no_advertise: true }",
}
LOSS = [
    {
        "title": "G, advertising no other server, and lossy-1 on it with its first message",
        "actions": [
            LOSSY_G,
            {"type": "start_clients", "prefix": "lossy", "seeds": ["G"], "until_receiving": True},
        ],
        "checks": [{"type": "client_on", "clients": "lossy-*", "servers": ["G"]}],
    },
    {
        "title": "Stop G: lossy-1 can reach nothing",
        "actions": [{"type": "stop_server", "server": "G"}],
    },
    {
        "title": "Start G again: lossy-1 returns to it",
        "actions": [LOSSY_G],
        "checks": [{"type": "client_on", "clients": "lossy-*", "servers": ["G"], "timeout": 30}],
    },
]
# Messages the publisher sends while G is down, none of which lossy-1 can ever receive.
MISSED = 20
FAILOVER = {
    "title": "Stop the publisher, then A and B",
    "actions": [
        {"type": "stop_publisher"},
        {"type": "stop_server", "server": "A"},
        {"type": "stop_server", "server": "B"},
    ],
}


def steps(controls) -> list[dict]:
    return [
        {"title": f"{kind} {truth}", "checks": [claim]}
        for kind, true, false in controls
        for truth, claim in (("true", true), ("false", false))
    ]


LESSON = Lesson.model_validate(
    {
        "id": "controls",
        "title": "Negative controls",
        "servers": ["A", "B", "C", "D", "E", "F", "G"],
        "steps": [
            SETUP,
            *steps(CONTROLS),
            *LOSS,
            *steps(AFTER_A_LOSS),
            FAILOVER,
            *steps(AFTER_FAILOVER),
        ],
    }
)


def test_the_controls_cover_every_check_kind():
    kinds = {
        model.model_fields["type"].annotation.__args__[0]
        for model in typing.get_args(typing.get_args(m.Check)[0])
    }
    from tests.lab.test_cluster_name import NAME_CHECK_KINDS
    from tests.lab.test_config_ops import CONFIG_CHECK_KINDS
    from tests.lab.test_gateway import GATEWAY_CHECK_KINDS
    from tests.lab.test_jetstream import JETSTREAM_CHECK_KINDS
    from tests.lab.test_leaf import LEAF_CHECK_KINDS
    from tests.lab.test_membership import MEMBERSHIP_CHECK_KINDS
    from tests.lab.test_mirror import MIRROR_CHECK_KINDS
    from tests.lab.test_quorum import QUORUM_CHECK_KINDS

    controlled = {kind.split(",")[0] for kind, _, _ in CONTROLS + AFTER_A_LOSS + AFTER_FAILOVER}
    controlled |= JETSTREAM_CHECK_KINDS | CONFIG_CHECK_KINDS | QUORUM_CHECK_KINDS
    controlled |= MEMBERSHIP_CHECK_KINDS | NAME_CHECK_KINDS | LEAF_CHECK_KINDS
    controlled |= GATEWAY_CHECK_KINDS | MIRROR_CHECK_KINDS
    assert controlled == kinds


@pytest.fixture
def offset() -> int:
    """A port offset at which A..E and G are all free right now (F is never started)."""
    return find_free_offset("ABCDEG")


@pytest.fixture
def impostor(tmp_path):
    """An 'upgrade binary' that says it is nats-server 9.9.9: no running server will be."""
    path = tmp_path / "nats-server"
    path.write_text("#!/bin/sh\necho 'nats-server: v9.9.9'\n")
    path.chmod(0o755)
    return path


@pytest.mark.slow(seconds=40)
async def test_every_check_kind_passes_a_true_claim_and_fails_a_false_one(offset, impostor):
    from natslab.lessons.runner import LessonRunner

    session = open_lab(settings=RunSettings(offset=offset, upgrade_binary=impostor))
    session.start_polling(0.1)
    runner = LessonRunner(LESSON, session.source)
    verdicts: dict[str, tuple[bool, str]] = {}
    try:
        for index, step in enumerate(LESSON.steps):
            result = await runner.run_step(index)
            if step.title == LOSS[1]["title"]:
                await publisher_sends(session.state, MISSED)
            if not step.checks or step.actions:
                assert result.ok, f"{step.title}: {[c.observation for c in result.checks]}"
                continue
            verdicts[step.title] = (result.ok, result.checks[0].observation)
    finally:
        await session.close()
    wrong = {
        title: observation
        for title, (ok, observation) in verdicts.items()
        if ok != title.endswith(" true")
    }
    assert wrong == {}
    assert len(verdicts) == 2 * len(CONTROLS + AFTER_A_LOSS + AFTER_FAILOVER)
    # The false claim failed on the figure: the loss was final, at least what G's absence
    # cost, and over the limit (not "not final yet", which fails any claim).
    within, over = (verdicts[f"messages_lost, too many {truth}"][1] for truth in ("true", "false"))
    counted = [re.fullmatch(r"lossy-1 lost (\d+) of \d+", said) for said in (within, over)]
    assert all(counted), (within, over)
    assert int(counted[0][1]) == int(counted[1][1]) >= MISSED, (within, over)


async def publisher_sends(state, count: int) -> None:
    """Wait until pub has sent `count` more messages: with G down, lossy-1 misses them all."""
    start = state.clients["pub"].published
    await async_wait_until(
        lambda: state.clients["pub"].published >= start + count,
        30,
        what=f"pub to send {count} messages while G is down",
    )
