"""Every log_absent check has a pattern shown to match a real line of the nats-server we ship.

A log_absent check passes while no line matches; if nats-server rewords the line, it passes for
ever and teaches nothing. So each pattern is also a log_contains pattern in some lesson (the
lesson's own run shows the line appearing), or matches a line captured from a real nats-server
of the shipped version (tests/data), which a new version must capture again.
"""

import re
from pathlib import Path

from natslab.cluster.binary import ServerBinary
from natslab.cluster.ports import ports_for
from natslab.lessons import catalog
from natslab.lessons import model as m
from natslab.lessons.model import PORT_PLACEHOLDER

DATA = Path(__file__).parent.parent / "data"


def log_checks(kind: type) -> list[tuple[str, int, m.LogAbsent | m.LogContains]]:
    """(lesson, step number, check) for every check of this kind in the bundled lessons."""
    return [
        (lesson, number, item)
        for lesson in catalog.bundled()
        for number, step in enumerate(catalog.load(lesson).steps, 1)
        for item in step.checks
        if isinstance(item, kind)
    ]


def captured() -> tuple[str, int, list[str]]:
    """The captured logs' nats-server version, the port offset they ran at, and their lines."""
    lines = [line for path in sorted(DATA.glob("*.log")) for line in path.read_text().splitlines()]
    (version,) = {found[1] for line in lines if (found := re.search(r"Version:\s+(\S+)", line))}
    ports = {
        int(p) for line in lines for p in re.findall(r"client connections on [^ ]*:(\d+)", line)
    }
    offset = min(ports) - ports_for("A").client
    return version, offset, lines


def with_ports(pattern: str, offset: int) -> re.Pattern[str]:
    """A lesson pattern as it reads in a run at this offset (as CheckContext.compile does)."""
    return re.compile(
        PORT_PLACEHOLDER.sub(lambda p: str(getattr(ports_for(p[2], offset), p[1])), pattern)
    )


def test_the_captured_logs_are_of_the_nats_server_we_ship(binary: ServerBinary):
    # Otherwise a reworded line in a newer nats-server would still match the old capture.
    version, _, _ = captured()
    assert version == binary.version


def test_every_log_absent_pattern_is_seen_present_somewhere():
    absent = log_checks(m.LogAbsent)
    assert absent, "no lesson has a log_absent check: nothing to pair"
    contained = {item.pattern for _, _, item in log_checks(m.LogContains)}
    _, offset, lines = captured()
    unpaired = [
        f"{lesson} step {number}: {item.server} {item.pattern!r}"
        for lesson, number, item in absent
        if item.pattern not in contained
        and not any(with_ports(item.pattern, offset).search(line) for line in lines)
    ]
    assert unpaired == [], "log_absent patterns no real line is shown to match"
