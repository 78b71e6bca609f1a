"""Hands-on actions: what the learner is asked to do, the ways to do it, and how the lab
recognises it was done, however it was done (their shell, the palette, or natslab)."""

from __future__ import annotations

import signal

from natslab.lab.operations import KillServer, LameDuck, StopServer
from natslab.state import LabState, ServerState

HandsOn = StopServer | KillServer | LameDuck

_SIGNAL = {StopServer: signal.SIGINT, KillServer: signal.SIGKILL, LameDuck: signal.SIGUSR2}
_VERB = {StopServer: "Stop", KillServer: "Kill", LameDuck: "Lame duck"}


def task(op: HandsOn) -> str:
    """What the learner is to do, as a phrase: 'stop server A as Ctrl+C would (SIGINT)'."""
    return {
        StopServer: f"stop server {op.server} as Ctrl+C would (SIGINT)",
        KillServer: f"kill server {op.server} outright (SIGKILL)",
        LameDuck: f"put server {op.server} in lame duck mode (SIGUSR2)",
    }[type(op)]


def instruction(op: HandsOn) -> str:
    return f"Your turn: {task(op)}."


def ways(op: HandsOn, by_hand: str, pid: int | None) -> tuple[str, ...]:
    """The shell command (as the lab would say it by hand), a plain `kill` that needs no
    nats-server on the PATH, and the palette entry that does the same."""
    commands = [by_hand]
    if pid is not None and isinstance(op, LameDuck):
        commands.append(f"kill -{_SIGNAL[type(op)].name.removeprefix('SIG')} {pid}")
    suffix = " (Ctrl+C)" if isinstance(op, StopServer) else ""
    commands.append(f"ctrl+p, then: {_VERB[type(op)]} server {op.server}{suffix}")
    return tuple(commands)


def done(op: HandsOn, state: LabState, since: float) -> str | None:
    """How the action's effect came about, in a sentence, once the lab has seen it."""
    view = state.servers.get(op.server)
    if view is None:
        return None
    stopped = view.state in (ServerState.STOPPED, ServerState.CRASHED)
    if isinstance(op, LameDuck):
        entered = view.lame_duck_at is not None and view.lame_duck_at >= since
        if not entered and not (stopped and (view.stopped_at or 0.0) >= since):
            return None
        via = (
            f"it trapped the {view.trapped_signal!r} signal"
            if view.trapped_signal
            else "its log says so"
        )
        return f"{op.server} entered lame duck mode: {via}."
    if not stopped or (view.stopped_at or 0.0) < since:
        return None
    if view.stopped_from_outside:
        return (
            f"You stopped {op.server}: it exited on {view.stopped_from_outside} "
            f"(exit code {view.exit_code}), and natslab sent nothing."
        )
    if view.state == ServerState.CRASHED:
        return f"{op.server} exited by itself (exit code {view.exit_code}): a crash."
    return f"{op.server} was stopped through natslab (the command palette)."
