"""ports.py: the walkthrough's numbers, offsets, and the taken-port sentence."""

import contextlib
import os
import re
import socket

import psutil
import pytest

from natslab.cluster.ports import check_free, find_free_offset, is_free, ports_for
from natslab.errors import PortInUseError
from tests.helpers import listening_on


def test_walkthrough_ports():
    assert [tuple(vars(ports_for(n)).values()) for n in "ABC"] == [
        (4222, 6222, 8222, 7422, 7222),
        (4333, 6333, 8333, 7533, 7333),
        (4444, 6444, 8444, 7644, 7444),
    ]


def test_offset_shifts_every_port():
    assert ports_for("B", 1000) == ports_for("B").__class__(5333, 7333, 9333, 8533, 8333)


def test_offset_out_of_range_is_a_sentence():
    with pytest.raises(PortInUseError, match="--port-offset 60000"):
        ports_for("A", 60000)


def test_bad_server_name():
    with pytest.raises(ValueError, match="single letters"):
        ports_for("AB")


def test_free_offset_really_is_free(monkeypatch):
    import random
    import types

    from natslab.cluster import ports

    picks: list[int] = []
    held = contextlib.ExitStack()

    class FirstPickHeld(random.Random):
        """The search's first candidate block has B's monitoring port held by this test."""

        def choice(self, seq):
            pick = super().choice(seq)
            if not picks:
                held.enter_context(listening_on(ports_for("B", pick * 10).monitor))
            picks.append(pick)
            return pick

    monkeypatch.setattr(ports, "random", types.SimpleNamespace(Random=FirstPickHeld))
    with held:
        offset = find_free_offset("ABC")
        assert len(picks) >= 2 and offset == picks[-1] * 10 != picks[0] * 10
    assert all(is_free(p) for n in "ABC" for p in vars(ports_for(n, offset)).values())


def test_taken_port_names_port_holder_and_offset():
    offset = find_free_offset("AB")
    taken = ports_for("B", offset).cluster
    with listening_on(taken):
        assert not is_free(taken)
        with pytest.raises(PortInUseError) as info:
            check_free("AB", offset)
    message = str(info.value)
    assert f"Port {taken} (cluster port of server B)" in message
    assert f"pid {psutil.Process().pid}" in message
    assert "--port-offset" in message


@pytest.mark.parametrize("lanes", [2, 4, 8])
def test_offsets_from_two_lanes_never_share_a_port(monkeypatch, lanes):
    """What lets the suite's workers pick `auto` offsets at the same moment: two blocks of
    nine servers overlap only 0, 2,000 or 4,000 apart, and those stay in one lane."""
    from natslab.cluster.ports import LANE_ENV_VAR, SERVER_NAMES, ports_for

    def ports(offset):
        return {p for n in SERVER_NAMES for p, _ in ports_for(n, offset).labelled()}

    base = ports(10_000)
    overlapping = [d for d in range(-12_000, 12_001, 10) if base & ports(10_000 + d)]
    assert overlapping == [-4000, -2000, 0, 2000, 4000]
    assert all((d // 10) % lanes == 0 for d in overlapping)
    for lane in range(lanes):
        monkeypatch.setenv(LANE_ENV_VAR, f"{lane}/{lanes}")
        assert all(find_free_offset("ABCDE") // 10 % lanes == lane for _ in range(20))


def test_a_lane_that_would_not_keep_blocks_apart_is_ignored(monkeypatch):
    from natslab.cluster.ports import LANE_ENV_VAR, _lane

    monkeypatch.setenv(LANE_ENV_VAR, "1/3")  # 3 does not divide 200: offsets 2,000 apart
    assert _lane() == (0, 1)
    monkeypatch.setenv(LANE_ENV_VAR, "5/4")
    assert _lane() == (1, 4)


@contextlib.contextmanager
def outgoing_connection():
    """A real outgoing connection of this process; the kernel picks its own end's port from
    its ephemeral range, as for any client."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        try:
            yield client
        finally:
            client.close()  # this end closes first: its port lingers in TIME_WAIT
            accepted.close()


def _has_own_end(pid: int, port: int) -> bool:
    """Whether that process has a (non-listening) connection whose own end is this port."""
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.NoSuchProcess:
        return True  # it closed since the message was written; the kernel saw it hold the port
    return any(c.laddr.port == port and c.status != psutil.CONN_LISTEN for c in connections)


def test_a_port_held_by_an_outgoing_connection_is_explained_and_not_blamed_on_a_process():
    from natslab.cluster.ports import CLIENT_BASE, ephemeral_range, offset_below

    low, high = ephemeral_range()
    below = offset_below("ABCDEFGHI", low)
    with outgoing_connection() as client:
        port = client.getsockname()[1]
        assert low <= port <= high
        offset = port - CLIENT_BASE  # server A's client port is that connection's own end
        with pytest.raises(PortInUseError) as info:
            check_free("A", offset)
        message = str(info.value)
        assert f"Port {port} (client port of server A) is held by a connection of " in message
        # Another process may have a connection with the same own port to somewhere else (seen
        # in CI with six workers): whoever is named must really hold the port as its own end.
        named = re.search(r"\(pid (\d+)\) \((\w+)\), a connection's own end, not a server", message)
        assert named, message
        assert int(named[1]) == os.getpid() or _has_own_end(int(named[1]), port), message
        assert f"The kernel lends ports {low}-{high} to outgoing connections" in message
        assert f"--port-offset {below} keeps every port below them" in message
        assert "stop that process" not in message
    # Closed by this end first, the port stays taken (TIME_WAIT, a minute on Linux), by no
    # process at all: nats-server could not bind it either.
    # The kernel may already have lent the port to another outgoing connection (seen in CI),
    # so the holder may be that one: either way it is a connection's end, not a server.
    assert not is_free(port)
    with pytest.raises(PortInUseError, match="a connection's own end, not a server"):
        check_free("A", offset)


def test_an_offset_into_the_ephemeral_range_is_warned_about_with_one_that_is_not():
    from natslab.cluster.ports import ephemeral_range, ephemeral_warning

    low, high = ephemeral_range()
    warning = ephemeral_warning("ABC", 51000)
    assert warning is not None and "\n" not in warning
    assert f"ephemeral range {low}-{high} (/proc/sys/net/ipv4/ip_local_port_range)" in warning
    safe = int(re.search(r"--port-offset (\d+) stays below it", warning)[1])
    assert ephemeral_warning("ABC", safe) is None  # the offset it suggests is itself quiet
    assert all(p < low for n in "ABC" for p, _ in ports_for(n, safe).labelled())
    assert ephemeral_warning("ABC", 1000) is None


def test_the_ephemeral_range_is_read_from_the_kernel_or_linux_default(tmp_path):
    from natslab.cluster.ports import LINUX_EPHEMERAL_RANGE, ephemeral_range, offset_below

    source = tmp_path / "ip_local_port_range"
    source.write_text("20000\t65000\n")
    assert ephemeral_range(source) == (20000, 65000)
    source.write_text("nonsense")
    assert ephemeral_range(source) == LINUX_EPHEMERAL_RANGE
    assert ephemeral_range(tmp_path / "missing") == LINUX_EPHEMERAL_RANGE
    assert offset_below("A", 9000) == 0 and offset_below("C", 8000) is None


def test_a_link_port_sits_in_its_targets_block_at_the_dialers_place():
    from natslab.cluster.ports import gossip_sink_port, link_port

    assert [link_port("A", "B"), link_port("B", "A"), link_port("C", "B")] == [12222, 10333, 12444]
    assert link_port("B", "C", 1000) == 15333
    assert gossip_sink_port(1000) == 11222  # A->A's place: no link has it
    with pytest.raises(ValueError, match="not A to itself"):
        link_port("A", "A")


@pytest.mark.parametrize("lanes", [2, 4, 8])
def test_blocks_with_link_ports_from_two_lanes_never_share_a_port(monkeypatch, lanes):
    """Link ports keep their place's last digit, 2,000 from every other port with it, so
    blocks still overlap only a multiple of 2,000 apart: one lane."""
    from natslab.cluster.ports import LANE_ENV_VAR, run_ports

    def ports(offset):
        return {port for port, _ in run_ports("ABCDE", offset, links=True)}

    base = ports(25_000)
    overlapping = [d for d in range(-20_000, 20_001, 10) if base & ports(25_000 + d)]
    assert 0 in overlapping and all(d % 2000 == 0 for d in overlapping), overlapping
    for lane in range(lanes):
        monkeypatch.setenv(LANE_ENV_VAR, f"{lane}/{lanes}")
        assert all(find_free_offset("ABC", links=True) // 10 % lanes == lane for _ in range(5))


def test_a_taken_link_port_is_named_before_anything_starts():
    from natslab.cluster.ports import link_port

    offset = find_free_offset("AB", links=True)
    with listening_on(link_port("B", "A", offset)):
        check_free("AB", offset)  # without links the lab does not need it
        with pytest.raises(PortInUseError, match=r"\(link port B->A\) is already in use by"):
            check_free("AB", offset, links=True)
