"""A watch as a run's source of servers: each round of a watch becomes the events LabState folds
(a server seen, polled, gone) and a line in that server's pane for every change."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import TypeAlias

from natslab.cluster import events as ev
from natslab.cluster.rundir import RunDir
from natslab.cluster.snapshot import ServerStatus
from natslab.lab.session import RunCore, Session
from natslab.watch.poller import Unreachable, Watched
from natslab.watch.runner import Rounds, Watch
from natslab.words import counted


class WatchedServers:
    """Servers natslab did not start, fed by a watch's rounds. Nothing here can act on
    them: there is no operator, and closing stops nothing but the asking."""

    operator = None

    def __init__(self, core: RunCore, watch: Watch) -> None:
        self.bus, self.state, self.watch = core.bus, core.state, watch
        self.bus.subscribe(self._change_as_line)
        self.bus.subscribe(self._lame_duck)
        watch.on_round = self._translate
        self._seen: dict[str, str] = {}  # a server's ident -> the name its pane has
        self._unnamed: dict[str, int] = {}  # server -> clients without a name, last count
        self._task: asyncio.Task[None] | None = None
        self._unreachable: dict[str, str] = {}  # ident -> why its last poll failed

    def start(self, interval: float = 0.5, idle_interval: float | None = None) -> None:
        """The watch keeps its own interval; a screen asks only for it to start."""
        if self._task is None:
            self._task = asyncio.create_task(self.watch.run(), name="natslab watch")

    def waiting(self) -> str:
        """What the screen says while no watched server has answered yet."""
        return self.watch.rounds_source.waiting(self._unreachable)

    def as_lab(self) -> None:
        return None  # a watch has no lab for a lesson to act on

    def interrupt_now(self) -> None:
        return None  # nothing of natslab's runs on those servers

    def abandon_now(self) -> None:
        return None

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
            unnamed = sum(1 for c in result.status.connections if not c.name)
            if unnamed != self._unnamed.get(result.server, 0):
                self._unnamed[result.server] = unnamed
                stamp = time.strftime("%H:%M:%S", time.localtime(result.at))
                clients = counted(unnamed, "client")
                line = f"{stamp} {clients} without a name here (counted, not followed)"
                self.bus.emit(ev.LogLines(server=result.server, at=result.at, lines=(line,)))

    def _lame_duck(self, event: object) -> None:
        """A server that announced lame duck mode is in it; one that was serving and now has
        its client listener closed, while its monitoring port still answers, is in lame duck
        mode (or on its way out): over HTTP that inference is all there is."""
        if isinstance(event, ev.WatchedLameDuckAnnounced):
            said = f"announced on $SYS.SERVER.{event.server_id[:8]}….LAMEDUCK"
        elif isinstance(event, ev.WatchedHealthChanged) and event.listener_closed:
            said = "inferred: /healthz says the client listener is closed"
        else:
            return
        view = self.state.servers.get(event.server)
        if view is not None and view.up and view.lame_duck_at is None:
            self.bus.emit(
                ev.LameDuckEntered(server=event.server, at=event.at, level="INF", text=said)
            )

    def _change_as_line(self, event: object) -> None:
        if isinstance(event, ev.WatchChange | ev.JetStreamChange):
            text = event.describe()
            stamp = time.strftime("%H:%M:%S", time.localtime(event.at))
            panes = (
                {event.server} if event.server in self.state.servers else set(self._seen.values())
            )
            for pane in panes:
                self.bus.emit(ev.LogLines(server=pane, at=event.at, lines=(f"{stamp} {text}",)))


WatchSession: TypeAlias = Session[WatchedServers]


def watch_session(rounds: Rounds, interval: float, runs_base: Path | None = None) -> WatchSession:
    """A run over `rounds`, asked each `interval` seconds once it starts."""
    return Session(
        RunDir.create(runs_base),
        lambda core: WatchedServers(core, Watch(rounds, interval, core.bus)),
    )


async def open_watch(
    rounds: Rounds, interval: float, runs_base: Path | None = None
) -> WatchSession:
    """A run over `rounds` once they can be asked: a bad login or address is a sentence
    raised before any run directory is made."""
    try:
        await rounds.open()
    except BaseException:
        await rounds.aclose()
        raise
    return watch_session(rounds, interval, runs_base)


def _status(result: Watched) -> ServerStatus:
    # Unnamed clients cannot be told apart across servers: counted in the pane, and kept
    # out of the client panel (a server with thousands must not flood it).
    named = tuple(c for c in result.status.connections if c.name)
    return dataclasses.replace(result.status, connections=named)
