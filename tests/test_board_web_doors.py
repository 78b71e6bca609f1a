"""`natslab class board --web`'s doors, in process: only its links' secrets, only from its
own page's origin, and a few boards at a time (the browser test is test_board_web.py; the
sync Playwright there holds the event loop an async test needs)."""

import pytest


async def test_the_web_boards_doors_take_only_its_links_from_its_own_page(monkeypatch):
    """No secret, a wrong one, or the right one from another origin (a page elsewhere
    reading the board and pressing its keys): refused before any board starts. Past the
    most boards at once, a tab is told to close one."""
    import sys

    import aiohttp
    from aiohttp.test_utils import TestServer

    from natslab.room.instructor import web_board

    monkeypatch.setattr(web_board, "MOST_BOARDS", 1)
    # A stand-in for a board process: the doors are the point here, not the board.
    idle = f"{sys.executable} -c 'import time; time.sleep(60)'"
    link = web_board.new_link(idle, "the instructor's board")
    board = web_board.BoardServer([link], "127.0.0.1", 0, "natslab class board: demo")
    server = TestServer(await board._make_app(), host="127.0.0.1")
    await server.start_server()
    own = f"http://127.0.0.1:{server.port}"
    try:
        async with aiohttp.ClientSession() as http:
            for query in ("", "?token=", "?token=guess"):
                async with http.get(f"{own}/{query}") as page:
                    assert page.status == 403
            async with http.get(f"{own}/?token={link.token}") as page:
                assert page.status == 200
                html = await page.text()
                assert f"ws://127.0.0.1:{server.port}/ws/{link.token}" in html
            ws = f"ws://127.0.0.1:{server.port}/ws"
            for token, origin in (("guess", own), (link.token, "http://evil.example"),
                                  (link.token, "")):  # fmt: skip
                with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
                    await http.ws_connect(f"{ws}/{token}", headers={"Origin": origin})
                assert refused.value.status == 403
            first = await http.ws_connect(f"{ws}/{link.token}", headers={"Origin": own})
            await wait_for_async(lambda: board.boards == 1, "the first board")
            with pytest.raises(aiohttp.WSServerHandshakeError) as full:
                await http.ws_connect(f"{ws}/{link.token}", headers={"Origin": own})
            assert full.value.status == 503
            await first.close()
        assert board.refused == 4  # the three forged websockets and the one too many
    finally:
        await server.close()


async def wait_for_async(condition, what: str, timeout: float = 10) -> None:
    import asyncio
    import time

    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)
