"""The external-client cross-check: what /connz lists that the lab's own clients are not."""

from __future__ import annotations

from natslab.clients import events as cev
from natslab.cluster.snapshot import Connection
from natslab.state import notes as n
from natslab.state.base import StateBase
from natslab.state.tracked import ClientState, ClientView


class CrossCheck(StateBase):
    """Clients natslab did not start, found in /connz and followed by their connection."""

    def _cross_check_connz(self, server: str, conns: tuple[Connection, ...], at: float) -> None:
        """connz confirms where lab clients are, and is the only source for external ones."""
        listed: set[str] = set()
        nameless_before = self._nameless.get(server, set())
        self._nameless[server] = {c.cid for c in conns if not c.name}
        for conn in conns:
            if conn.name == cev.OWN_CONNECTION:
                continue
            lab = self.clients.get(conn.name)
            if lab is not None and not lab.external:
                lab.seen_in_connz_on = server
                continue
            if not conn.name and conn.cid not in nameless_before:
                # A connection caught before its CONNECT (lab clients included) has no name
                # yet; only one that stays nameless across two polls is an external client.
                continue
            key = conn.name or f"cid:{conn.cid}@{server}"
            listed.add(key)
            ext = self.clients.get(key)
            if ext is None:
                ext = self.clients[key] = ClientView(key, kind="external", external=True)
                self._note(at, "client", n.ExternalSeenNote(key, server))
            elif ext.server != server and ext.server is not None:
                ext.previous_server, ext.moved_at = ext.server, at
                self.last_move_at = at
                ext.reconnects += 1
                if not (self.watching and conn.name):  # the watch notes it, with its gap
                    self._note(at, "move", n.ExternalMovedNote(key, ext.server, server))
            ext.state, ext.server, ext.cid = ClientState.CONNECTED, server, conn.cid
            ext.address = f"{conn.ip}:{conn.port}"
            ext.library = f"{conn.lang} {conn.version}".strip()
            ext.seen_in_connz_on = server
        for client in list(self.clients.values()):
            if client.external and client.server == server and client.name not in listed:
                client.state = ClientState.CLOSED
                if client.name.startswith("cid:"):
                    # Nameless: often a lab client caught before its CONNECT; nothing to follow.
                    del self.clients[client.name]
