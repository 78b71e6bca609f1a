"""LabState: the layers of folds in one class, and which event each fold takes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from natslab.clients import events as cev
from natslab.cluster import events as sev
from natslab.state import notes as n
from natslab.state.clients import ClientFolds
from natslab.state.jetstream import JetStreamFolds
from natslab.state.tracked import UNCHANGED, ActionTaken, LessonActionNoted
from natslab.state.watched import WatchFolds


class LabState(WatchFolds, ClientFolds, JetStreamFolds):
    """The single model the lessons, the headless printer and the TUI read: every event
    folded, in layers (servers, the cross-check, watched servers, clients, JetStream)."""

    def apply(self, event: object) -> None:
        """Fold one event into the model; unknown events are ignored."""
        at = getattr(event, "at", None)
        if self.started_at is None and at is not None:
            self.started_at = at
        handler = _HANDLERS.get(type(event))
        if handler is not None and handler(self, event) is not UNCHANGED:
            self.revision += 1

    def apply_all(self, events: Iterable[object]) -> None:
        for event in events:
            self.apply(event)

    def _on_action(self, e: ActionTaken | LessonActionNoted) -> None:
        by = "lesson" if isinstance(e, LessonActionNoted) else "you"
        self._note(e.at, "action", n.ActionNote(e.title, e.ok, e.detail, by))


_HANDLERS: dict[type, Callable[[LabState, Any], object]] = {
    sev.ServerStarted: LabState._on_started,
    sev.ServerReady: LabState._on_ready,
    sev.LameDuckEntered: LabState._on_lame_duck,
    sev.ServerExited: LabState._on_exited,
    sev.ServerPaused: LabState._on_paused,
    sev.ConfigReloaded: LabState._on_reloaded,
    sev.ClusterNameUpdated: LabState._on_name_updated,
    sev.ClusterNameConflict: LabState._on_name_conflict,
    sev.RouteConnected: LabState._on_route_connected,
    sev.RouteClosed: LabState._on_route_closed,
    sev.ShutdownStarted: LabState._on_shutdown,
    sev.SignalTrapped: LabState._on_trapped,
    sev.MetaLeaderChanged: LabState._on_meta_leader,
    sev.StreamLeaderChanged: LabState._on_stream_leader,
    sev.ReplicaChanged: LabState._on_replica,
    sev.LogProblem: LabState._on_problem,
    sev.ServerPolled: LabState._on_polled,
    cev.ClientStarting: LabState._on_client_starting,
    cev.ClientConnected: LabState._on_client_connected,
    cev.ClientDisconnected: LabState._on_client_disconnected,
    cev.ClientReconnected: LabState._on_client_reconnected,
    cev.ServersDiscovered: LabState._on_discovered,
    cev.LameDuckNotice: LabState._on_lame_duck_notice,
    cev.ClientClosed: LabState._on_client_closed,
    cev.ClientError: LabState._on_client_error,
    cev.MessageCounts: LabState._on_counts,
    cev.LedgerCounts: LabState._on_ledger_counts,
    cev.PublishGap: LabState._on_publish_gap,
    cev.LedgerVerified: LabState._on_verified,
    cev.JetStreamProbed: LabState._on_probed,
    cev.RequestsAnswered: LabState._on_requests,
    sev.WatchedServerDown: LabState._on_watched_down,
    sev.WatchedServerUp: LabState._on_watched_up,
    sev.WatchedVersionChanged: LabState._on_watched,
    sev.WatchedHealthChanged: LabState._on_watched,
    sev.WatchedLameDuckAnnounced: LabState._on_watched,
    sev.WatchedClientMoved: LabState._on_watched,
    ActionTaken: LabState._on_action,
    LessonActionNoted: LabState._on_action,
}
