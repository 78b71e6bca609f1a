"""Run the installed `natslab` command as a real subprocess and read its output as it comes."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

from tests.helpers import wait_until

NATSLAB = str(Path(sys.executable).parent / "natslab")


def run_natslab(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run natslab to completion with the test's environment (its private state dir)."""
    return subprocess.run(
        [NATSLAB, *args], capture_output=True, text=True, timeout=timeout, env=os.environ.copy()
    )


class NatslabProcess:
    """A long-running natslab whose stdout and stderr are collected by a thread."""

    def __init__(self, *args: str) -> None:
        self.proc = subprocess.Popen(
            [NATSLAB, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=os.environ.copy(),
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def output(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, text: str, timeout: float = 30) -> None:
        def seen() -> bool:
            if text in self.output:
                return True
            if self.proc.poll() is not None:
                self._reader.join(2)
                if text in self.output:
                    return True
                raise AssertionError(f"natslab exited ({self.proc.returncode}):\n{self.output}")
            return False

        wait_until(seen, timeout, what=repr(text))

    def wait(self, timeout: float = 30) -> int:
        code = self.proc.wait(timeout)
        self._reader.join(5)
        return code

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
