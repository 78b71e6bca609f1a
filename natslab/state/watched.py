"""Folds of natslab watch: servers seen or lost, and the changes a round of polls found."""

from __future__ import annotations

from natslab.cluster import events as sev
from natslab.state import notes as n
from natslab.state.servers import ServerFolds
from natslab.state.tracked import ServerState


class WatchFolds(ServerFolds):
    """Servers natslab did not start (natslab watch): seen answering, or no longer."""

    def _on_watched_up(self, e: sev.WatchedServerUp) -> None:
        """A server natslab did not start answers, for the first time or again."""
        view = self._server(e.server)
        view.watched, view.version, view.state = e.url, e.version, ServerState.RUNNING
        view.started_at = view.ready_at = e.at
        view.stopped_at = view.lame_duck_at = view.exit_code = None
        self._on_watched(e)

    def _on_watched_down(self, e: sev.WatchedServerDown) -> None:
        """A watched server stopped answering: all anyone knows is that (no exit code)."""
        view = self.servers.get(e.server)  # never seen: named by its URL, no pane for it
        if view is not None and view.up:
            view.state, view.stopped_at = ServerState.STOPPED, e.at
            self._gone(view, e.at)
        self._on_watched(e)

    def _on_watched(self, e: sev.WatchChange) -> None:
        self.watching = True
        self._note(getattr(e, "at", 0.0), "watch", n.DescribedNote(e))
