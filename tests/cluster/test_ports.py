"""ports.py: the walkthrough's numbers, offsets, and the taken-port sentence."""

import socket

import psutil
import pytest

from natslab.cluster.ports import check_free, find_free_offset, is_free, ports_for
from natslab.errors import PortInUseError


def test_walkthrough_ports():
    assert [tuple(vars(ports_for(n)).values()) for n in "ABC"] == [
        (4222, 6222, 8222),
        (4333, 6333, 8333),
        (4444, 6444, 8444),
    ]


def test_offset_shifts_every_port():
    assert ports_for("B", 1000) == ports_for("B").__class__(5333, 7333, 9333)


def test_offset_out_of_range_is_a_sentence():
    with pytest.raises(PortInUseError, match="--port-offset 60000"):
        ports_for("A", 60000)


def test_bad_server_name():
    with pytest.raises(ValueError, match="single letters"):
        ports_for("AB")


def test_free_offset_really_is_free():
    offset = find_free_offset("ABC")
    assert all(is_free(p) for n in "ABC" for p in vars(ports_for(n, offset)).values())


def test_taken_port_names_port_holder_and_offset():
    offset = find_free_offset("AB")
    taken = ports_for("B", offset).cluster
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", taken))
        sock.listen()
        assert not is_free(taken)
        with pytest.raises(PortInUseError) as info:
            check_free("AB", offset)
    message = str(info.value)
    assert f"Port {taken} (cluster port of server B)" in message
    assert f"pid {psutil.Process().pid}" in message
    assert "--port-offset" in message
