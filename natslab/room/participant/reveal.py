"""What a participant sends when asking for help, and how a reveal reads beside their own run."""

from __future__ import annotations

import time
from typing import Any

from natslab.lessons.record import LessonRecord
from natslab.state import LabState, ServerState


def running_versions(state: LabState) -> str:
    """'nats-server 2.11.4 · nats-py 2.11.0': what a figure was measured with, so the
    instructor can tie an outlier to a version."""
    servers = sorted({v.version for v in state.servers.values() if v.version})
    named = [f"nats-server {', '.join(servers)}"] if servers else []
    return " · ".join([*named, f"nats-py {nats_py_version()}"])


def crashed_servers(state: LabState) -> dict[str, float]:
    """This lab's servers that died without being asked to, and when: a help sign."""
    return {
        view.name: view.stopped_at or time.time()
        for view in state.servers.values()
        if view.state == ServerState.CRASHED
    }


def nats_py_version() -> str:
    from nats.aio.client import __version__

    return str(__version__)


def help_request(record: LessonRecord, state: LabState) -> dict[str, Any]:
    """The step, its checks' latest observations, the versions and the cluster as it is."""
    index = record.current if record.current is not None else 0
    step = record.steps.get(index)
    checks = [
        f"{'✓' if c.ok else '✗'} {c.description} — {c.observation}"
        for c in (step.checks if step else [])
    ]
    servers = ", ".join(
        f"{v.name} {'up' if v.up else 'down'}"
        for v in sorted(state.servers.values(), key=lambda v: v.name)
    )
    clients = ", ".join(f"{name} {n}" for name, n in state.client_counts().items())
    return {
        "type": "HelpRequested",
        "at": time.time(),
        "index": index,
        "title": step.title if step else "",
        "checks": checks,
        "versions": running_versions(state),
        "servers": servers,
        "clients": clients,
    }


def reveal_text(aggregate: dict[str, Any], record: LessonRecord) -> str:
    """'The room: 1: 3 · 2: 5, 5 of 8 right; their runs measured …; you answered 2 and
    your run measured …'."""
    step = int(aggregate.get("step", -1))
    split = aggregate.get("split", {})
    counts = " · ".join(f"{answer}: {n}" for answer, n in split.items())
    measured = sorted(set(aggregate.get("measured", [])))
    shown = "; ".join(measured[:3]) + (" …" if len(measured) > 3 else "")
    values = aggregate.get("values") or []
    if values:
        shown = f"{min(values):g}…{max(values):g} (e.g. {measured[0]})" if measured else shown
    text = (
        f"The room on step {step + 1}: {counts}, {aggregate.get('right', 0)} of "
        f"{aggregate.get('answered', 0)} right. Their runs measured: {shown}."
    )
    mine = record.steps.get(step)
    judged = mine.prediction if mine else None
    if judged is not None:
        answer = "no answer" if judged.answer is None else f"answer {judged.answer + 1}"
        text += f" You gave {answer}; your run measured {judged.measured}."
    return text
