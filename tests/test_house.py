"""The house's rules that a reader relies on: one name per class, one `type` per event record."""

import ast
import dataclasses
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
