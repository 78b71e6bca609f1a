"""natslab class at conference scale: a three-server NATS cluster (operator mode, JWT users,
as a company cluster runs), the room's stream R3, many participants spread over the servers
replaying a recorded lesson's events, the instructor's feed and board on the third server."""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil
from bench_room import (
    folded,
    p95,
    recorded_lesson,
    redraw_times,
    replay,
    time_the_fold,
)
from common import cpu_share, report

# The operator-mode cluster with its JWTs is the test suite's (tests/deployment.py): the
# benchmark runs the same real servers rather than a second copy of that code.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


async def bench_cluster(participants: int, pace: float) -> None:
    from natslab.room.instructor.config import participant_permissions
    from natslab.room.instructor.feed import RoomFeed
    from natslab.room.instructor.stream import open_on_deployment
    from natslab.room.participant.membership import Membership, connect
    from natslab.tui.board import BoardApp
    from tests.deployment import Deployment

    lesson = recorded_lesson()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NATSLAB_STATE_DIR"] = tmp
        cluster = Deployment(Path(tmp) / "cluster")
        cluster.start(size=3)
        try:
            instructor = cluster.creds("instructor")
            await cluster.jetstream_ready(instructor)
            order = [cluster.urls[2], cluster.urls[0], cluster.urls[1]]  # the board: s2
            await open_on_deployment("track", ",".join(order), instructor)
            members = []
            for i in range(participants):
                name, url = f"p{i}", cluster.urls[i % 3]
                rights = participant_permissions("track", name)
                creds = cluster.creds(name, rights["publish"]["allow"],
                                      rights["subscribe"]["allow"])  # fmt: skip
                members.append(Membership(url, "track", name, "", str(creds)))
            latencies: list[float] = []
            feed = RoomFeed("track")
            time_the_fold(feed, latencies)
            await feed.start()
            connections = [await connect(m) for m in members]
            servers = [psutil.Process(p.pid) for p in cluster.processes]
            window = len(lesson) * pace
            shares = [asyncio.create_task(cpu_share(s, window)) for s in servers]
            began = time.perf_counter()
            await asyncio.gather(
                *(replay(nc, "track", i, lesson, pace) for i, nc in enumerate(connections))
            )
            sending = time.perf_counter() - began
            server_shares = [await s for s in shares]
            expected = participants * len(lesson)
            await folded(feed, expected, 60)
            rss = [s.memory_info().rss / 2**20 for s in servers]
            app = BoardApp(feed)
            async with app.run_test(size=(160, 50)) as pilot:
                redraws = await redraw_times(app, pilot)
            for nc in connections:
                await nc.close()
            await feed.close()
        finally:
            cluster.stop()
    report(f"cluster: events folded by the board ({participants} x {len(lesson)}, R3)",
           f"{feed.state.events} of {expected} in {sending:.0f} s", "all")  # fmt: skip
    report("cluster: event published -> on the board's model (p95)",
           f"{p95(latencies) * 1000:.0f} ms",
           "<= 250 ms")  # fmt: skip
    report(f"cluster: board full redraw, {participants} rows (median)",
           f"{statistics.median(redraws) * 1000:.0f} ms", "<= 50 ms")  # fmt: skip
    for i, (share, mib) in enumerate(zip(server_shares, rss, strict=True)):
        report(f"cluster: server s{i} while the room sends", f"{share:.0f} % of a core, "
               f"{mib:.0f} MiB", "reported")  # fmt: skip
