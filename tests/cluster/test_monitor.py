"""Monitoring JSON captured from a real 2.15.1 three-server mesh."""

import json
from pathlib import Path

from natslab.cluster.snapshot import connections, route_peers

DATA = Path(__file__).parent.parent / "data"


def test_route_peers_are_counted_by_remote_id_not_by_connection():
    routez = json.loads((DATA / "routez-A-2.15.1.json").read_text())
    assert len(routez["routes"]) == 8  # a pool of connections per peer in 2.10+
    peers = route_peers(routez)
    assert [p.name for p in peers] == ["B", "C"]
    assert all(p.connections == 4 for p in peers)
    assert len({p.server_id for p in peers}) == 2


def test_connections_carry_name_ip_port():
    (conn,) = connections(json.loads((DATA / "connz-A-2.15.1.json").read_text()))
    assert conn.name == "sub-1" and conn.ip == "127.0.0.1" and conn.port > 0
    assert conn.lang == "python3"


def test_empty_documents():
    assert route_peers({"routes": None}) == ()
    assert connections({}) == ()
