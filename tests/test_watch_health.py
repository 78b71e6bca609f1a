"""What the system-account watch infers from $SYS.REQ.SERVER.<id>.HEALTHZ: healthy only when
the server says "ok", and otherwise the server's own reason.

Found by mutation testing (issue 34): reading "ok" as unhealthy and anything else as healthy,
or dropping the server's reason, passed every test, since no test watched a server through
the system account while it was running but unhealthy.
"""

import pytest

from natslab.watch.poller import Watched
from tests.helpers import async_wait_until
from tests.watched import Cluster, system_rounds


@pytest.mark.slow(seconds=20)  # the meta leader's loss is found by election timeouts
async def test_a_server_is_healthy_on_ok_and_otherwise_unhealthy_in_its_own_words(binary, tmp_path):
    """X, Y and Z up: X's JetStream has a meta leader and X says "ok". Then running but
    wrong: Y and Z stop, X is still up and answers, but its JetStream has lost its meta
    leader (one of three is no quorum), and its HEALTHZ says why it is not healthy."""
    cluster = Cluster(binary, tmp_path)
    rounds = system_rounds(cluster, on="X")
    answers: list[Watched] = []

    async def x_answers(healthy: bool) -> bool:
        found = [a for a in await rounds.round() if isinstance(a, Watched) and a.server == "X"]
        answers.extend(found)
        return any(a.status.healthy == healthy for a in found)

    def said() -> str:
        return f"X's last answers: {[a.health for a in answers[-3:]]}"

    try:
        for name in "XYZ":
            cluster.start(name)
        await rounds.open()
        await async_wait_until(lambda: x_answers(True), 30, 0.1, what=said)
        led = answers[-1]
        cluster.stop("Y")
        cluster.stop("Z")
        await async_wait_until(lambda: x_answers(False), 60, 0.1, what=said)
        alone = answers[-1]
    finally:
        await rounds.aclose()
        cluster.close()
    assert (led.status.healthy, led.health) == (True, "ok")
    # nats-server monitor.go healthz: the reason is in `error` ("JetStream has not
    # established contact with a meta leader"); `status` says only "unavailable".
    assert not alone.status.healthy and "meta leader" in alone.health, alone.health
