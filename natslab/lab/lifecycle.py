"""How every run ends, lab or watch: main runs until it returns or a signal comes, and the
run is always closed. Ctrl+C gives 0, SIGTERM 128+15; a second signal, or a cleanup that
hangs, leaves at once."""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
STOP_GRACE = 5.0
ABANDON_AFTER = 10.0


def run(
    main: Callable[[], Coroutine[Any, Any, int]],
    close: Callable[[], Awaitable[None]],
    stop: Callable[[int], None] | None = None,
    hangup: Callable[[], None] | None = None,
    last_resort: Callable[[], None] | None = None,
) -> int:
    """Run `main`, then `close`, however it ends. `stop`, if given, is asked to wind main
    down first (the TUI exits its app); `hangup` runs the moment the terminal goes (the lab
    interrupts its servers); `last_resort` runs before leaving when nothing else could."""
    return asyncio.run(_run(main, close, stop, hangup, last_resort))


async def _run(
    main: Callable[[], Coroutine[Any, Any, int]],
    close: Callable[[], Awaitable[None]],
    stop: Callable[[int], None] | None,
    hangup: Callable[[], None] | None,
    last_resort: Callable[[], None] | None,
) -> int:
    loop = asyncio.get_running_loop()
    task = asyncio.ensure_future(main())
    received: list[int] = []
    watchdogs: list[threading.Timer] = []
    outcome: list[int] = []  # the run's status, once decided
    closed: list[bool] = []

    def abandon(signum: int) -> None:
        if closed:  # the run is closed already: only leaving was slow (a busy machine)
            os._exit(outcome[0] if outcome else 1)
        try:
            if last_resort is not None:
                last_resort()
        finally:
            os._exit(128 + signum)

    def on_signal(signum: int) -> None:
        if received:
            abandon(received[0])  # a second signal while we clean up: stop being polite
        received.append(signum)
        if stop is None:
            task.cancel()
        else:
            stop(signum)
            loop.call_later(STOP_GRACE, task.cancel)

    def arm_watchdog(signum: int, _frame: object) -> None:
        # If even the cleanup hangs, leave anyway. This is a plain Python signal handler and
        # the watchdog a thread, because what hangs may be the event loop itself: Textual's
        # shutdown can block forever on a terminal that is gone, and then on_signal, which
        # the loop would run, never does.
        if signum == signal.SIGHUP and hangup is not None:
            hangup()  # the terminal is gone and nobody is watching: act before the app
        if not watchdogs:
            watchdogs.append(threading.Timer(ABANDON_AFTER, abandon, args=(signum,)))
            watchdogs[0].daemon = True
            watchdogs[0].start()

    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, on_signal, signum)
        # The loop still hears of the signal through its wakeup fd; this only adds the
        # watchdog, armed the moment the signal lands.
        signal.signal(signum, arm_watchdog)
    try:
        try:
            outcome.append(await task)
        except asyncio.CancelledError:
            if not received:
                raise
            outcome.append(0 if received[0] == signal.SIGINT else 128 + received[0])
        return outcome[0]
    finally:
        await close()
        closed.append(True)
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)
