"""The timeline's notes in words: one sentence per kind, the same on the screen, in the
headless lab and in the report."""

from __future__ import annotations

from natslab.state import TimelineEntry
from natslab.state import notes as n


def words(entry: TimelineEntry) -> str:
    """The sentence for one timeline entry."""
    return said(entry.note)


def said(note: n.Note) -> str:
    match note:
        case n.StartedNote(server, pid, version):
            return f"{server} started (pid {pid}, nats-server {version})"
        case n.ReadyNote(server):
            return f"{server} is ready"
        case n.EnteredLameDuckNote(server):
            return f"{server} entered lame duck mode"
        case n.ExitedNote(server, code, expected, outside, last):
            how = "stopped" if expected else "exited unexpectedly"
            if outside:
                how = f"stopped on {outside}, which natslab did not send"
            return f"{server} {how} (exit code {code}){f': {last}' if last else ''}"
        case n.NameConflictNote(server):
            return (
                f"{server} turned away a route over the cluster name: without --cluster_name "
                "each server made one up, and the one whose name sorts lower takes the "
                "other's; the route is dialled again a second later"
            )
        case n.NameTakenNote(server, cluster_name):
            return (
                f"{server} took the cluster name {cluster_name} (a configured name, or a "
                "made-up one that sorts higher than its own) and closed its other routes to "
                "dial them again"
            )
        case n.RouteNote(pair, up):
            return f"route {'-'.join(sorted(pair))} {'up' if up else 'down'}"
        case n.ConnectedNote(client, server):
            return f"{client} connected to {server}"
        case n.DisconnectedNote(client, server):
            return f"{client} disconnected from {server}"
        case n.ReconnectedNote(client, server, previous, gap_ms):
            gap = f" after {gap_ms:.0f} ms" if gap_ms is not None else ""
            if server != previous:
                return f"{client} moved {previous} -> {server}{gap}"
            return f"{client} reconnected to {server}{gap}"
        case n.LearnedByGossipNote(client, server):
            return f"{client} learned {server} by gossip"
        case n.LameDuckNoticeNote(client, server, honored):
            action = "moving away" if honored else "staying until the server closes it"
            return f"{client} got a lame duck notice from {server}; {action}"
        case n.ClosedNote(client, reason):
            return f"{client} closed: {reason}"
        case n.ExternalSeenNote(client, server):
            return f"external client {client} seen on {server}"
        case n.ExternalMovedNote(client, previous, server):
            return f"external client {client} moved {previous} -> {server}"
        case n.PublishGapNote(client, seconds, failed):
            return f"{client}: {seconds:.2f} s without an ack ({failed} failed)"
        case n.VerifiedNote(e):
            return (
                f"{e.client} verified: {e.acked} acked, {e.missing} missing from {e.stream}, "
                f"{e.duplicates} duplicates"
            )
        case n.ActionNote(title, ok, detail, by):
            return f"{by}: {title} — {detail if ok else f'failed: {detail}'}"
        case n.DescribedNote(event):
            return event.describe()
