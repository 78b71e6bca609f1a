"""`class board --web`: the board in a browser, for its own links only. Each link carries a
secret (as Jupyter's does); a websocket must come from the board's own page (its Origin), a
few boards run at a time, and the projector's link starts a board that never shows names."""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web
from textual_serve.app_service import AppService
from textual_serve.server import Server

log = logging.getLogger("natslab.web_board")

MOST_BOARDS = 6  # board processes at once: each is a natslab reading the room


@dataclass(frozen=True)
class Link:
    """One way into the board: its secret, and the command a tab of it runs."""

    token: str
    command: str
    what: str  # "the instructor's board", "the projector's board"


def new_link(command: str, what: str) -> Link:
    return Link(secrets.token_urlsafe(24), command, what)


class BoardServer(Server):
    """textual-serve's server with its doors narrowed: the page and its websocket answer only
    a link's secret, the websocket only from the page's own origin, and MOST_BOARDS at once."""

    def __init__(self, links: list[Link], host: str, port: int, title: str) -> None:
        super().__init__(links[0].command, host=host, port=port, title=title)
        self.links = links
        self.boards = 0
        self.refused = 0  # websockets turned away (no secret, another origin, too many)

    def link_of(self, token: str) -> Link | None:
        """The link this secret opens, compared in constant time; None for any other."""
        found = None
        for link in self.links:
            if secrets.compare_digest(link.token.encode(), token.encode()):
                found = link
        return found

    async def _make_app(self) -> web.Application:
        app = web.Application()
        aiohttp_jinja2.setup(app, loader=jinja2.FileSystemLoader(self.templates_path),
                             autoescape=True)  # fmt: skip
        app.add_routes([
            web.get("/", self.handle_index, name="index"),
            web.get("/ws/{token}", self.handle_websocket, name="websocket"),
            web.static("/static", self.statics_path, name="static"),
        ])  # fmt: skip
        app.on_startup.append(self.on_startup)
        return app

    async def on_startup(self, app: web.Application) -> None:
        """Quiet: `class board --web` says where the board is, with its links."""

    async def handle_index(self, request: web.Request) -> web.StreamResponse:
        """The board's page, for a link's secret; its websocket's address is the page's own
        (the host the browser used), so a board on 0.0.0.0 works from another laptop."""
        token = request.query.get("token", "")
        if self.link_of(token) is None:
            raise web.HTTPForbidden(text="This board opens only from the link `natslab class "
                                    "board --web` printed (with its token).")  # fmt: skip
        secure = request.secure
        page = f"{'https' if secure else 'http'}://{request.host}"
        context: dict[str, Any] = {
            "font_size": 16,
            "app_websocket_url": f"{'wss' if secure else 'ws'}://{request.host}/ws/{token}",
            "config": {"static": {"url": f"{page}/static/"}},
            "application": {"name": self.title},
        }
        return aiohttp_jinja2.render_template("app_index.html", request, context)

    async def handle_websocket(self, request: web.Request) -> web.WebSocketResponse:
        """A tab's board process, if the secret is a link's, the request comes from this
        board's own page (a page elsewhere could otherwise drive it), and there is room."""
        link = self.link_of(request.match_info.get("token", ""))
        origin = request.headers.get("Origin", "")
        own = {f"http://{request.host}", f"https://{request.host}"}
        if link is None or origin not in own:
            self.refused += 1
            raise web.HTTPForbidden(text="Not this board's page.")
        if self.boards >= MOST_BOARDS:
            self.refused += 1
            raise web.HTTPServiceUnavailable(
                text=f"{MOST_BOARDS} boards are open already: close a tab, then reload."
            )
        self.boards += 1
        try:
            return await self._run_board(request, link.command)
        finally:
            self.boards -= 1

    async def _run_board(self, request: web.Request, command: str) -> web.WebSocketResponse:
        websocket = web.WebSocketResponse(heartbeat=15)
        width = _number(request.query.get("width"), 80)
        height = _number(request.query.get("height"), 24)
        service: AppService | None = None
        try:
            await websocket.prepare(request)

            async def close() -> None:
                await websocket.close()

            service = AppService(command, write_bytes=websocket.send_bytes,
                                 write_str=websocket.send_str, close=close,
                                 download_manager=self.download_manager)  # fmt: skip
            await service.start(width, height)
            await self._process_messages(websocket, service)
        except asyncio.CancelledError:
            await websocket.close()
        except Exception as error:  # a tab that went away mid-message: that tab ends
            log.debug("a board's websocket ended: %s", error)
        finally:
            if service is not None:
                await service.stop()
        return websocket


def _number(value: str | None, default: int) -> int:
    try:
        return max(10, min(1000, int(value or default)))
    except ValueError:
        return default
