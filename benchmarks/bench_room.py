"""natslab class at workshop scale: a real room server, many participants' connections
replaying a recorded lesson's events, the instructor's feed and board."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from common import NATSLAB, cpu_share, report


def free_port() -> int:
    """A loopback port nobody listens on right now, for the room."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def recorded_lesson() -> list[dict[str, Any]]:
    """The lesson events of one real headless `herd` run, as an uplink would send them."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [NATSLAB, "tutorial", "herd", "--headless", "--port-offset", "auto", "--answers", "1"],
            capture_output=True, check=True, env=os.environ | {"NATSLAB_STATE_DIR": tmp},
        )  # fmt: skip
        (events,) = Path(tmp).glob("runs/*/events.jsonl")
        lesson_types = {
            "LessonStarted", "StepStarted", "CheckResult", "StepFinished", "PredictionLocked",
            "PredictionJudged", "LessonFinished", "ActionDone",
        }  # fmt: skip
        records = [json.loads(line) for line in events.read_text().splitlines()]
        return [r for r in records if r["type"] in lesson_types and r.get("final", True)]


def time_the_fold(feed: Any, latencies: list[float]) -> None:
    """Have the feed note, for each record it folds, how long ago it was published."""
    fold = feed._on_msg

    async def timed(msg: Any) -> None:
        await fold(msg)
        sent = json.loads(msg.data).get("sent")
        if sent:
            latencies.append(time.time() - sent)

    feed._on_msg = timed


async def replay(nc: Any, room: str, index: int, lesson: list[dict[str, Any]],
                 pace: float) -> None:  # fmt: skip
    """Participant p`index` sends the recorded lesson, an event every ~`pace` seconds; every
    participant starts each step at once (a burst)."""
    js = nc.jetstream()
    for n, record in enumerate(lesson):
        if record["type"] != "StepStarted":
            await asyncio.sleep(random.uniform(0.5, 1.5) * pace)
        key = f"p{index}:bench:{n}"
        payload = {**record, "participant": f"p{index}", "id": key, "sent": time.time()}
        await js.publish(f"natslab.{room}.p.p{index}.{record['type']}",
                         json.dumps(payload).encode(), timeout=30,
                         headers={"Nats-Msg-Id": key})  # fmt: skip


async def folded(feed: Any, expected: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while feed.state.events < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)


async def redraw_times(app: Any, pilot: Any, rounds: int = 5) -> list[float]:
    """The board's full redraw, timed `rounds` times."""
    await pilot.pause()
    redraws = []
    for _ in range(rounds):
        t = time.perf_counter()
        app.redraw(force=True)
        redraws.append(time.perf_counter() - t)
    return redraws


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[int(0.95 * (len(ordered) - 1))] if ordered else float("nan")


async def bench_room(participants: int, pace: float) -> None:
    """Each participant sends the recorded lesson, an event every ~`pace` seconds, and the
    whole room starts each step together (a burst). Measured: event published -> folded by
    the instructor's feed (p95), the board's full redraw with every participant on it, the
    board idle, and the room server's CPU and memory."""
    from natslab.cluster.binary import find_binary
    from natslab.room.instructor.feed import RoomFeed
    from natslab.room.instructor.host import RoomHost
    from natslab.room.participant import membership
    from natslab.tui.board import BoardApp

    lesson = recorded_lesson()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NATSLAB_STATE_DIR"] = tmp
        host = RoomHost.create("bench", "127.0.0.1", free_port(), find_binary())
        await host.start()
        started = time.perf_counter()
        members = [await membership.join(host.join_line(), f"p{i}") for i in range(participants)]
        joined = time.perf_counter() - started
        latencies: list[float] = []
        feed = RoomFeed("bench")
        time_the_fold(feed, latencies)
        await feed.start()
        connections = [await membership.connect(m) for m in members]
        server = psutil.Process(host.process.pid)
        server_cpu = asyncio.create_task(cpu_share(server, len(lesson) * pace))
        await asyncio.gather(
            *(replay(nc, "bench", i, lesson, pace) for i, nc in enumerate(connections))
        )
        server_share = await server_cpu
        expected = participants * len(lesson)
        await folded(feed, expected, 30)
        rss = server.memory_info().rss / 2**20
        app = BoardApp(feed)
        async with app.run_test(size=(160, 50)) as pilot:
            redraws = await redraw_times(app, pilot)
            idle = await cpu_share(psutil.Process(), 3.0)
        for nc in connections:
            await nc.close()
        await feed.close()
        await host.stop()
    report(f"class: {participants} participants joined (config reloads)", f"{joined:.1f} s",
           "reported")  # fmt: skip
    report(f"class: events folded by the board ({participants} x {len(lesson)})",
           f"{feed.state.events} of {expected}", "all")  # fmt: skip
    report("class: event published -> on the board's model (p95)",
           f"{p95(latencies) * 1000:.0f} ms",
           "<= 250 ms")  # fmt: skip
    report(f"class: board full redraw, {participants} rows (median)",
           f"{statistics.median(redraws) * 1000:.0f} ms", "<= 50 ms")  # fmt: skip
    report("class: board idle, natslab process", f"{idle:.1f} % of a core", "<= 5 %")
    report("class: room server while the room sends", f"{server_share:.0f} % of a core, "
           f"{rss:.0f} MiB", "reported")  # fmt: skip


def bench_uplink(runs: int) -> None:
    """A participant's headless lesson with and without a room to report to."""
    walls: dict[str, list[float]] = {"alone": [], "in a room": []}
    with tempfile.TemporaryDirectory() as tmp:
        room_state = Path(tmp) / "instructor"
        env = os.environ | {"NATSLAB_STATE_DIR": str(room_state)}
        start = [NATSLAB, "class", "start", "bench", "--listen", f"127.0.0.1:{free_port()}"]
        room = subprocess.Popen(start, stdout=subprocess.PIPE, text=True, env=env)
        try:
            line = ""
            while "natslab class join" not in line:
                line = room.stdout.readline() if room.stdout else ""
            join = line.split("natslab class join ")[1].split()[0]
            member = Path(tmp) / "member"
            subprocess.run(
                [NATSLAB, "class", "join", join, "--name", "bench"], check=True,
                capture_output=True, env=os.environ | {"NATSLAB_STATE_DIR": str(member)},
            )  # fmt: skip
            for _ in range(runs):
                for label, state in (("alone", Path(tmp) / "alone"), ("in a room", member)):
                    start = time.perf_counter()
                    subprocess.run(
                        [NATSLAB, "tutorial", "upgrade", "--headless", "--port-offset", "auto",
                         "--answers", "1,2,1"],
                        capture_output=True, check=True,
                        env=os.environ | {"NATSLAB_STATE_DIR": str(state)},
                    )  # fmt: skip
                    walls[label].append(time.perf_counter() - start)
        finally:
            room.terminate()
            room.wait(10)
    alone, in_room = (statistics.median(walls[k]) for k in ("alone", "in a room"))
    report("class: headless upgrade alone / in a room (median)",
           f"{alone:.1f} s / {in_room:.1f} s", "reported")  # fmt: skip
    report("class: the uplink's cost in wall time", f"{100 * (in_room - alone) / alone:+.1f} %",
           "<= 2 %")  # fmt: skip
