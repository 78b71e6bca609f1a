"""A venue's choice, measured: participants connect to a leaf node on the instructor's laptop,
which links out to the cluster holding the room's stream. What happens to a participant's
events while the leaf's link is down, and how soon after it returns they arrive."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path

import nats
from common import report

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # tests/deployment.py


async def bench_leaf(events: int) -> None:
    from natslab.room.instructor.config import participant_permissions
    from natslab.room.instructor.stream import open_on_deployment
    from natslab.room.names import stream_name
    from natslab.room.participant.membership import Membership
    from natslab.room.participant.uplink import Uplink
    from tests.deployment import Deployment

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["NATSLAB_STATE_DIR"] = tmp
        hub = Deployment(Path(tmp) / "hub")
        hub.start(leafnodes=True)
        try:
            instructor = hub.creds("instructor")
            await hub.jetstream_ready(instructor)
            await open_on_deployment("demo", hub.url, instructor)
            _, leaf_port = hub.leaf(instructor)
            rights = participant_permissions("demo", "ana")
            creds = hub.creds("ana", rights["publish"]["allow"], rights["subscribe"]["allow"])
            member = Membership(f"nats://127.0.0.1:{leaf_port}", "demo", "ana", "", str(creds))
            uplink = Uplink(member, "bench", Path(tmp) / "outbox.jsonl")
            uplink.start()
            began = time.monotonic()
            for n in range(events):
                uplink.send({"type": "StepStarted", "at": time.time(), "index": 0, "title": f"{n}"})
            first = await _drained(uplink, 30)
            hub.processes[0].terminate()  # the venue's uplink to the cluster drops
            hub.processes[0].wait(10)
            for n in range(events):
                uplink.send(
                    {"type": "StepStarted", "at": time.time(), "index": 0, "title": f"{events + n}"}
                )  # a kind a participant may send
            await asyncio.sleep(2.0)  # a window to look at, not a synchronisation
            waiting, status = len(uplink.outbox.waiting), uplink.status()
            hub.restart(0)
            back = time.monotonic()
            await _drained(uplink, 60)
            after = time.monotonic() - back
            await uplink.close(drain=0)
            nc = await nats.connect(hub.url, user_credentials=str(instructor))
            stored = (await nc.jetstream().stream_info(stream_name("demo"))).state.messages
            await nc.close()
        finally:
            hub.stop()
    report(f"leaf: {events} events through the leaf, sent and acknowledged",
           f"{(first - began) * 1000:.0f} ms", "reported")  # fmt: skip
    report("leaf: link down, events waiting in the outbox 2 s later", f"{waiting} of {events}",
           "all wait")  # fmt: skip
    report("leaf: the uplink's status meanwhile", status[:46], "reported")
    report("leaf: hub back -> every waiting event acknowledged", f"{after:.1f} s", "reported")
    report("leaf: events in the room's stream at the end", f"{stored} of {2 * events}",
           "all, once")  # fmt: skip


async def _drained(uplink: object, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while uplink.outbox.waiting:  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise TimeoutError("the outbox did not empty")
        await asyncio.sleep(0.02)
    return time.monotonic()
