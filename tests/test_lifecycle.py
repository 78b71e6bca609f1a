"""How every run ends (lab/lifecycle.py), in a real process that gets a real signal: the
status it leaves with, when cleanup works, when it hangs, and when only leaving is slow."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

RUN = textwrap.dedent(
    """
    import asyncio, sys, threading
    from natslab.lab import lifecycle

    lifecycle.ABANDON_AFTER = 1.0
    how = sys.argv[1]
    stuck = threading.Event()

    async def main() -> int:
        if how == "slow exit":  # a thread nobody stops: asyncio.run waits for it at the end
            asyncio.get_running_loop().run_in_executor(None, stuck.wait)
        print("running", flush=True)
        await asyncio.Event().wait()
        return 3

    async def close() -> None:
        print("closing", flush=True)
        if how == "hung close":
            stuck.wait()

    def last_resort() -> None:
        print("last resort", flush=True)

    sys.exit(lifecycle.run(main, close, last_resort=last_resort))
    """
)


@pytest.mark.parametrize(
    ("how", "status", "last_resort"),
    [
        ("clean", 0, False),  # Ctrl+C is how a run ends: 0
        ("slow exit", 0, False),  # closed, then slow to leave: still the run's own status
        ("hung close", 128 + signal.SIGINT, True),  # cleanup hangs: the last resort, then out
    ],
)
def test_a_signal_ends_the_run_with_its_status(how: str, status: int, last_resort: bool):
    proc = subprocess.Popen([sys.executable, "-c", RUN, how], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "running"  # handlers are in place
        proc.send_signal(signal.SIGINT)
        said = proc.stdout.read()
        assert proc.wait(timeout=60) == status, said
    finally:
        proc.kill()
    assert said.startswith("closing")
    assert ("last resort" in said) == last_resort, said
