"""Hands-on actions: what the learner is asked to do, the ways to do it, and how the lab
recognises it was done, however it was done (their shell, the palette, or natslab)."""

from __future__ import annotations

import signal

from natslab.lab.operations import KillServer, LameDuck, ReloadConfig, StopServer
from natslab.state import LabState, ServerState

HandsOn = StopServer | KillServer | LameDuck | ReloadConfig

_SIGNAL = {
    StopServer: signal.SIGINT, KillServer: signal.SIGKILL, LameDuck: signal.SIGUSR2,
    ReloadConfig: signal.SIGHUP,
}  # fmt: skip
_VERB = {StopServer: "Stop", KillServer: "Kill", LameDuck: "Lame duck", ReloadConfig: "Reload"}


def task(op: HandsOn) -> str:
    """What the learner is to do, as a phrase: 'stop server A as Ctrl+C would (SIGINT)'."""
    return {
        StopServer: f"stop server {op.server} as Ctrl+C would (SIGINT)",
        KillServer: f"kill server {op.server} outright (SIGKILL)",
        LameDuck: f"put server {op.server} in lame duck mode (SIGUSR2)",
        ReloadConfig: f"have server {op.server} reload its config file (SIGHUP)",
    }[type(op)]


def instruction(op: HandsOn) -> str:
    return f"Your turn: {task(op)}."


def ways(op: HandsOn, by_hand: str, pid: int | None) -> tuple[str, ...]:
    """The shell command (as the lab would say it by hand), a plain `kill` that needs no
    nats-server on the PATH, and the palette entry that does the same."""
    commands = [by_hand]
    if pid is not None and isinstance(op, LameDuck | ReloadConfig):
        commands.append(f"kill -{_SIGNAL[type(op)].name.removeprefix('SIG')} {pid}")
    suffix = " (Ctrl+C)" if isinstance(op, StopServer) else ""
    entry = (
        f"Reload server {op.server}'s config (SIGHUP)"
        if isinstance(op, ReloadConfig)
        else f"{_VERB[type(op)]} server {op.server}{suffix}"
    )
    commands.append(f"ctrl+p, then: {entry}")
    return tuple(commands)


def done(op: HandsOn, state: LabState, since: float) -> str | None:
    """How the action's effect came about, in a sentence, once the lab has seen it."""
    view = state.servers.get(op.server)
    if view is None:
        return None
    stopped = view.state in (ServerState.STOPPED, ServerState.CRASHED)
    if isinstance(op, ReloadConfig):
        # Whoever sent the SIGHUP (a shell, the palette, natslab), the server's verdict in
        # its log is the effect.
        if view.reloaded_at is None or view.reloaded_at < since:
            return None
        return f"{op.server} read its config file again: {view.reload_said}"
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
