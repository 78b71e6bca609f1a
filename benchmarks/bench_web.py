"""The board in a browser: an event published by a participant -> the browser receives the
board's redraw naming them (Debian's Chromium through Playwright, textual-serve's websocket).
Painting follows within a frame; what is measured is the part natslab and the network own."""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import signal
import statistics
import subprocess
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench_room import free_port, p95
from common import NATSLAB, report

CHROMIUM = Path("/usr/bin/chromium")
ESCAPES = re.compile(r"\x1b\[[0-9;?$]*[A-Za-z]|\x1b\][^\x07]*\x07")


def bench_web(samples: int) -> None:
    if not CHROMIUM.exists():
        report("web board: event -> in the browser", "skipped (no chromium)", "reported")
        return
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        env = os.environ | {"NATSLAB_STATE_DIR": tmp}
        room = subprocess.Popen([NATSLAB, "class", "start", "demo", "--listen",
                                 f"127.0.0.1:{free_port()}"], env=env, stdout=subprocess.PIPE,
                                text=True)  # fmt: skip
        assert room.stdout is not None
        while "Ctrl+C closes the room" not in (room.stdout.readline() or "Ctrl+C closes the room"):
            pass
        address = f"127.0.0.1:{free_port()}"
        web = subprocess.Popen([NATSLAB, "class", "board", "demo", "--web", address], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               text=True)  # fmt: skip
        assert web.stdout is not None
        link = ""  # the instructor's link: the board opens only with its secret
        while not link and (line := web.stdout.readline()):
            if "the instructor's board: " in line:
                link = line.split("the instructor's board: ")[1].strip()
        # Read on, so that what the server logs never fills the pipe and stalls it.
        threading.Thread(target=web.stdout.read, daemon=True).start()
        delays: list[float] = []
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
                )
                page = browser.new_page(viewport={"width": 1400, "height": 900})
                seen: list[tuple[float, str]] = []

                def on_socket(socket: object) -> None:
                    def received(payload: str | bytes) -> None:
                        text = payload if isinstance(payload, str) else payload.decode(
                            "utf-8", "replace")  # fmt: skip
                        seen.append((time.monotonic(), ESCAPES.sub("", text)))

                    socket.on("framereceived", received)  # type: ignore[attr-defined]

                page.on("websocket", on_socket)
                for _ in range(300):  # textual-serve takes a moment to listen
                    try:
                        page.goto(link)
                        break
                    except Exception:
                        time.sleep(0.1)
                page.wait_for_selector("body.-first-byte", timeout=30_000)
                for n in range(samples):
                    name = f"walker{n}"
                    page.wait_for_timeout(random.uniform(0, 500))  # any phase of the redraw
                    sent = time.monotonic()
                    # Playwright's sync API owns this thread's event loop: publish from another.
                    with ThreadPoolExecutor(1) as other:
                        other.submit(asyncio.run, _publish(env, name)).result()
                    while not any(name in text for at, text in seen if at >= sent):
                        page.wait_for_timeout(5)  # the sync API delivers frames in its calls
                        if time.monotonic() - sent > 10:
                            break
                    else:
                        at = next(a for a, text in seen if a >= sent and name in text)
                        delays.append(at - sent)
                browser.close()
        finally:
            for process in (web, room):
                process.send_signal(signal.SIGINT)
                process.wait(30)
    delays.sort()
    if not delays:
        report("web board: event -> in the browser", "never seen", "<= 250 ms")
        return
    median = statistics.median(delays)
    report(f"web board: event -> in the browser (median, p95 of {len(delays)})",
           f"{median * 1000:.0f} ms, {p95(delays) * 1000:.0f} ms", "<= 250 ms")  # fmt: skip


async def _publish(env: dict[str, str], name: str) -> None:
    """A participant's first event, written with the instructor's login (full rights)."""
    os.environ["NATSLAB_STATE_DIR"] = env["NATSLAB_STATE_DIR"]
    from natslab.room.instructor.stream import connect_instructor

    nc = await connect_instructor("demo", allow_reconnect=False)
    record = {"participant": name, "type": "LessonStarted", "at": time.time(),
              "id": f"{name}:1", "lesson_id": "herd", "title": "Herd"}  # fmt: skip
    await nc.jetstream().publish(f"natslab.demo.p.{name}.LessonStarted",
                                 json.dumps(record).encode())  # fmt: skip
    await nc.close()
