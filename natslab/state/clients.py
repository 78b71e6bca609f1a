"""Folds of lab clients: where each is, what it knows, and what it lost."""

from __future__ import annotations

from natslab.clients import events as cev
from natslab.state import notes as n
from natslab.state.base import StateBase
from natslab.state.tracked import ClientState, ClientView, KnownServer

NOTED_GAP = 0.25  # publish gaps this long, or with failures, go on the timeline too


class ClientFolds(StateBase):
    """Lab clients as nats-py tells of them: connected, lost, reconnected, what they know."""

    def _on_client_starting(self, e: cev.ClientStarting) -> None:
        view = self._client(e.client)
        view.kind, view.seeds, view.options = e.kind, e.seeds, dict(e.options)
        view.state = ClientState.CONNECTING

    def _learn(self, view: ClientView, e: cev.PoolEvent) -> list[str]:
        """Add new pool addresses; return the lab names learned for the first time."""
        before = view.known_servers()
        seeds = {seed.split("://", 1)[-1].rstrip("/") for seed in view.seeds}
        for address in e.pool:
            if address not in view.known:
                view.known[address] = KnownServer(
                    address=address,
                    server=self.server_for_address(address),
                    learned_at=e.at,
                    via_gossip=address in e.discovered and address not in seeds,
                )
        return sorted(view.known_servers() - before)

    def _on_client_connected(self, e: cev.ClientConnected) -> None:
        view = self._client(e.client)
        view.state, view.connected_at, view.placed_at = ClientState.CONNECTED, e.at, e.at
        self._place(view, e.server_name, e.url, e.client_id)
        self._learn(view, e)
        self._note(e.at, "client", n.ConnectedNote(e.client, view.server))

    def _place(self, view: ClientView, server_name: str, url: str, cid: int | None) -> None:
        view.server, view.address, view.cid = self._resolve(server_name, url), url, cid

    def _on_client_disconnected(self, e: cev.ClientDisconnected) -> None:
        view = self._client(e.client)
        view.state = ClientState.RECONNECTING
        view.dropped_at.append(e.at)
        view.last_tenure = e.at - view.placed_at if view.placed_at is not None else None
        self._note(e.at, "client", n.DisconnectedNote(e.client, view.server))

    def _on_client_reconnected(self, e: cev.ClientReconnected) -> None:
        view = self._client(e.client)
        before = view.server
        view.state, view.placed_at = ClientState.CONNECTED, e.at
        self._place(view, e.server_name, e.url, e.client_id)
        view.reconnects += 1
        view.last_gap_ms = e.gap_ms
        view.since_reconnect = 0
        self._learn(view, e)
        note = n.ReconnectedNote(e.client, view.server, before, e.gap_ms)
        if view.server != before:
            view.previous_server, view.moved_at = before, e.at
            self.last_move_at = e.at
            self._note(e.at, "move", note)
        else:
            self._note(e.at, "client", note)

    def _on_discovered(self, e: cev.ServersDiscovered) -> None:
        view = self._client(e.client)
        for name in self._learn(view, e):
            self._note(e.at, "gossip", n.LearnedByGossipNote(e.client, name))

    def _on_lame_duck_notice(self, e: cev.LameDuckNotice) -> None:
        view = self._client(e.client)
        view.lame_duck_notices += 1
        self._note(e.at, "lame duck", n.LameDuckNoticeNote(e.client, view.server, e.honored))

    def _on_client_closed(self, e: cev.ClientClosed) -> None:
        view = self._client(e.client)
        view.state = ClientState.CLOSED
        self._note(e.at, "client", n.ClosedNote(e.client, e.reason))

    def _on_client_error(self, e: cev.ClientError) -> None:
        view = self._client(e.client)
        view.errors += 1
        view.last_error = e.message
        if e.message in view.error_kinds or len(view.error_kinds) < 20:
            view.error_kinds[e.message] = view.error_kinds.get(e.message, 0) + 1

    def _on_counts(self, e: cev.MessageCounts) -> None:
        view = self._client(e.client)
        if e.lost != view.lost:
            view.loss_history.append((e.at, e.lost, e.loss_began or e.at))
        view.received, view.lost, view.published = e.received, e.lost, e.published
        view.since_reconnect = e.since_reconnect

    def _on_ledger_counts(self, e: cev.LedgerCounts) -> None:
        view = self._client(e.client)
        if e.last_ack_at != view.last_ack_at:
            view.failed_at_last_ack = e.failed
        view.acked, view.publish_failures, view.last_ack_at = e.acked, e.failed, e.last_ack_at

    def _on_publish_gap(self, e: cev.PublishGap) -> None:
        self._client(e.client).publish_gaps.append((e.start, e.at, e.failed))
        if e.at - e.start < NOTED_GAP and not e.failed:
            return
        self._note(e.at, "ledger", n.PublishGapNote(e.client, e.at - e.start, e.failed))

    def _on_probed(self, e: cev.JetStreamProbed) -> None:
        self.probes.append(e)

    def _on_requests(self, e: cev.RequestsAnswered) -> None:
        self.requests.append(e)

    def _on_verified(self, e: cev.LedgerVerified) -> None:
        self._client(e.client).verified = e
        self._note(e.at, "ledger", n.VerifiedNote(e))
