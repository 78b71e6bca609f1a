"""ports.py: the walkthrough's numbers, offsets, and the taken-port sentence."""


import psutil
import pytest

from natslab.cluster.ports import check_free, find_free_offset, is_free, ports_for
from natslab.errors import PortInUseError
from tests.helpers import listening_on


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
