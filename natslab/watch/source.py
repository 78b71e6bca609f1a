"""The lab's screen, fed by polls: each round of a watch becomes the events LabState folds
(a server seen, polled, gone) and a line in that server's pane for every change."""

from __future__ import annotations

import asyncio
import time

from natslab.cluster import events as ev
from natslab.cluster.snapshot import RoutePeer, ServerStatus
from natslab.lab.run_session import RunSession
from natslab.watch.poller import Unreachable, Watched
from natslab.watch.runner import Watch
from natslab.words import counted


class WatchSource(RunSession):
    """A run whose servers natslab did not start, fed by a watch's rounds. Nothing here can
    act on them: there is no operator, and quitting stops nothing."""

    def __init__(self, watch: Watch) -> None:
        super().__init__(watch.bus, watch.run_dir, watch.recorder)
        self.watch = watch
        self.bus.subscribe(self._change_as_line)
        self.bus.subscribe(self._lame_duck)
        watch.on_round = self._translate
        self._seen: dict[str, str] = {}  # a server's ident -> the name its pane has
        self._unnamed: dict[str, int] = {}  # server -> clients without a name, last count
        self._task: asyncio.Task[None] | None = None
        self._unreachable: dict[str, str] = {}  # ident -> why its last poll failed

    def waiting(self) -> str:
        """What the screen says while no watched server has answered yet."""
        return self.watch.rounds_source.waiting(self._unreachable)

    def as_lab(self) -> None:
        return None

    def start_polling(self, interval: float = 0.5, idle_interval: float | None = None) -> None:
        """The watch's own interval rules; the TUI's asks only for it to start."""
        if self._task is None:
            self._task = asyncio.create_task(self.watch.run(), name="natslab watch")

    async def aclose(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        await self.watch.aclose()

    def _translate(self, results: list[Watched | Unreachable]) -> None:
        """Each answer is a poll of a server the fold has just reported seen; a failed one
        is remembered for the waiting screen."""
        for result in results:
            if isinstance(result, Unreachable):
                self._unreachable[result.ident] = result.error
                continue
            self._unreachable.pop(result.ident, None)
            self._seen[result.ident] = result.server
            self.bus.emit(
                ev.ServerPolled(server=result.server, at=result.at, status=_status(result))
            )
            unnamed = sum(1 for c in result.connections if not c.name)
            if unnamed != self._unnamed.get(result.server, 0):
                self._unnamed[result.server] = unnamed
                stamp = time.strftime("%H:%M:%S", time.localtime(result.at))
                clients = counted(unnamed, "client")
                line = f"{stamp} {clients} without a name here (counted, not followed)"
                self.bus.emit(ev.LogLines(server=result.server, at=result.at, lines=(line,)))

    def _lame_duck(self, event: object) -> None:
        """A server that was serving and now has its client listener closed, while its
        monitoring port still answers, is in lame duck mode (or on its way out)."""
        if isinstance(event, ev.WatchedHealthChanged) and event.listener_closed:
            view = self.state.servers.get(event.server)
            if view is not None and view.up and view.lame_duck_at is None:
                self.bus.emit(
                    ev.LameDuckEntered(
                        server=event.server, at=event.at, level="INF",
                        text="inferred: /healthz says the client listener is closed",
                    )
                )  # fmt: skip

    def _change_as_line(self, event: object) -> None:
        if isinstance(event, ev.WatchChange | ev.JetStreamChange):
            text = event.describe()
            stamp = time.strftime("%H:%M:%S", time.localtime(event.at))
            panes = (
                {event.server} if event.server in self.state.servers else set(self._seen.values())
            )
            for pane in panes:
                self.bus.emit(ev.LogLines(server=pane, at=event.at, lines=(f"{stamp} {text}",)))


def _status(result: Watched) -> ServerStatus:
    return ServerStatus(
        server=result.server,
        up=True,
        at=result.at,
        version=result.version,
        server_id=result.server_id,
        route_peers=tuple(RoutePeer(p, p, 1) for p in result.route_peers),
        # Unnamed clients cannot be told apart across servers: counted in the pane, and
        # kept out of the client panel (a server with thousands must not flood it).
        connections=tuple(c for c in result.connections if c.name),
        healthy=result.healthy,
        cpu_percent=result.cpu,
        rss_bytes=result.mem,
        jetstream=result.jetstream,
    )
