"""`natslab class board --web`: the board served by textual-serve, opened in a real browser
(Debian's Chromium through Playwright), following a live room, and revealing on a key."""

import asyncio
import json
import re
import signal
import socket
from concurrent.futures import ThreadPoolExecutor

import psutil
import pytest

from tests.cli_process import NatslabProcess
from tests.helpers import wait_until
from tests.test_class import natslab_in
from tests.test_watch import free_port

ESCAPES = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Z0-9]|\x1b[=>]")


def listening(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), 0.5).close()
        return True
    except OSError:
        return False


def herd(home, answer: str) -> None:
    done = natslab_in(home, "tutorial", "herd", "--headless", "--port-offset", "auto",
                      "--answers", answer)  # fmt: skip
    assert done.returncode == 0 and "Class: room demo: live." in done.stdout, done.stdout


async def step_titled(home, title: str) -> None:
    """A step of `home`'s participant, as their natslab would report it, with this title."""
    from natslab.room.names import event_subject
    from natslab.room.participant import membership

    member = membership.Membership(**json.loads((home / "room-membership.json").read_text()))
    nc = await membership.connect(member)
    try:
        record = {"type": "StepStarted", "at": 1e9, "index": 9, "title": title, "id": "t"}
        await nc.jetstream().publish(event_subject("demo", member.name, "StepStarted"),
                                     json.dumps(record).encode())  # fmt: skip
    finally:
        await nc.close()


@pytest.mark.slow(seconds=20)
def test_the_board_in_a_browser_follows_the_room_and_reveals(browser, tmp_path, state_dir):
    room = NatslabProcess("class", "start", "demo", "--listen", f"127.0.0.1:{free_port()}")
    web = None
    try:
        room.wait_for("natslab class join nats://join:")
        line = re.search(r"natslab class join (\S+)", room.output)[1]
        for name in ("ana", "ben"):
            joined = natslab_in(tmp_path / name, "class", "join", line, "--name", name)
            assert joined.returncode == 0, joined.stderr
        herd(tmp_path / "ana", "1")
        address = f"127.0.0.1:{free_port()}"
        web = NatslabProcess("class", "board", "demo", "--web", address)
        web.wait_for("through these links only")
        # Said on the next lines, which the reader may not have read yet: wait for them.
        web.wait_for("Only this machine can open it", 10)
        link = re.search(r"the instructor's board: (http://\S+)", web.output)[1]
        projector = re.search(r"the projector's board \(no names\): (http://\S+)", web.output)[1]
        assert link != projector and "?token=" in link
        host, port = address.split(":")
        wait_until(lambda: listening(host, int(port)), 30, what="textual-serve listening")
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        seen: list[str] = []  # what the board drew, as the browser received it

        def on_socket(socket) -> None:
            def received(payload) -> None:
                text = payload if isinstance(payload, str) else payload.decode("utf-8", "replace")
                seen.append(ESCAPES.sub("", text))

            socket.on("framereceived", received)

        page.on("websocket", on_socket)
        assert page.goto(f"http://{address}/").status == 403  # no secret, no board
        page.goto(link)
        page.wait_for_selector("body.-first-byte", timeout=30_000)

        def drawn() -> str:
            page.wait_for_timeout(50)  # Playwright's sync API delivers frames only in its calls
            return "".join(seen)

        # ben joined too, and waits in the lobby: two participants, one answer so far.
        wait_until(lambda: "ana" in drawn() and "2 participants" in drawn()
                   and "1 of 1" in drawn(), 30,
                   what=lambda: f"ana on the page: {drawn()[-300:]!r}")  # fmt: skip
        herd(tmp_path / "ben", "2")  # the page follows the room live
        wait_until(lambda: "2 of 2" in drawn(), 30, what="ben's answer on the page")
        # ben's next step is named in markup: the board in the browser shows it as written.
        with ThreadPoolExecutor(1) as other:  # Playwright's sync API holds this loop
            other.submit(asyncio.run, step_titled(tmp_path / "ben", "[/]<b>")).result()
        wait_until(lambda: "[/]<b>" in drawn(), 30, what="ben's step, as he named it")
        page.click(".textual-terminal")
        page.keyboard.press("r")

        def revealed() -> bool:
            exported = natslab_in(state_dir, "class", "export", "demo")
            records = [json.loads(line)["record"] for line in exported.stdout.splitlines()]
            return any(r.get("type") == "Revealed" for r in records)

        wait_until(revealed, 30, interval=0.5, what="the reveal, pressed in the browser")
        wait_until(lambda: "right" in drawn(), 15, what="the split on the page")
        page.screenshot(path=str(tmp_path / "board-web.png"))
        tabs = psutil.Process(web.proc.pid).children(recursive=True)
        assert tabs  # one board process for the page
        page.close()
    finally:
        if web is not None:
            web.proc.send_signal(signal.SIGINT)  # as Ctrl+C: the server and its boards stop
            assert web.wait(30) == 0, web.output
        room.proc.send_signal(signal.SIGINT)
        room.wait()
    _, alive = psutil.wait_procs(tabs, timeout=15)
    assert alive == [], alive  # nothing left behind
