"""The house's rules that a reader relies on: one name per class, one `type` per event record."""

import ast
import dataclasses
import re
from collections import defaultdict
from pathlib import Path

import pytest

import natslab.clients.events
import natslab.cluster.events
import natslab.lessons.events
from natslab.bus import Event

PACKAGE = Path(__file__).parent.parent / "natslab"


def test_every_class_name_is_unique_across_the_package():
    defined: dict[str, list[str]] = defaultdict(list)
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                defined[node.name].append(str(path.relative_to(PACKAGE)))
    assert len(defined) > 50  # the walk really saw the package
    twice = {name: where for name, where in defined.items() if len(where) > 1}
    assert twice == {}


def test_every_event_type_is_registered_under_its_own_name():
    modules = (natslab.cluster.events, natslab.clients.events, natslab.lessons.events)
    declared = {
        cls.__name__: cls
        for module in modules
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, Event) and dataclasses.is_dataclass(cls)
    }
    assert {"ServerStarted", "ClientConnected", "ClientConnectionCreated", "StepStarted"} <= set(
        declared
    )
    assert all(Event.kinds[name] is cls for name, cls in declared.items())


def test_a_second_event_class_with_a_taken_name_is_refused():
    with pytest.raises(TypeError, match="ServerStarted is defined twice"):
        type("ServerStarted", (Event,), {"__module__": "somewhere.else"})


def test_the_screen_is_thin_and_no_pid_stands_for_a_kind_of_server():
    """Issue 27's floor, without its line budget (issue 35: the main view is a screen of its
    own): neither the app nor its screen asks which kind of run it shows, and a watched
    server is one by what it is (ServerView.watched), never by a made-up pid 0."""
    for part in ("app.py", "lab_screen.py"):
        code = (PACKAGE / "tui" / part).read_text()
        assert not re.search(r"isinstance\([\w.]*session", code), part
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text()
        for pattern in ("pid=0", "pid == 0", "pid 0", "not view.pid"):
            assert pattern not in text, f"{path.relative_to(PACKAGE)} has {pattern!r}"


def test_every_run_is_one_session_that_takes_a_source():
    """Issue 27: the lab and both watches are one Session class with a source each, never
    kinds of a session; a screen, printer or palette asks the source, not the type."""
    from natslab.lab.session import Session
    from natslab.watch.source import WatchedServers

    derived = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                bases = {ast.unparse(b).split("[")[0].split(".")[-1] for b in node.bases}
                if bases & {"Session", "RunSession", "LabSession"}:
                    derived.append(f"{path.relative_to(PACKAGE)}: {node.name}")
    assert derived == []
    assert WatchedServers.operator is None  # a watch has nothing that acts
    assert not hasattr(Session, "supervisor") and not hasattr(Session, "fleet")
