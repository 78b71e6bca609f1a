"""Every bundled lesson headless at --pace 0 and at --pace 10: each must pass both times with
the same right answers to its questions (issue 34's "Done when"). About 12 minutes here.

python benchmarks/paces.py [--paces 0,10] [LESSON ...]
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from natslab.lessons import catalog

RIGHT = re.compile(r"the run says (\d+)")


def run(lesson: str, pace: int, folder: Path) -> tuple[bool, float, list[str]]:
    """One headless run: passed, seconds, and the run's right answer to each question."""
    results = folder / f"{lesson}-{pace}.json"
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "natslab", "tutorial", lesson, "--headless", "--pace", str(pace),
         "--port-offset", "auto", "--json", str(results)],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    took = time.monotonic() - started
    passed = done.returncode == 0 and json.loads(results.read_text())["ok"]
    return passed, took, RIGHT.findall(done.stdout)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", default=sorted(catalog.bundled()))
    parser.add_argument("--paces", default="0,10")
    args = parser.parse_args()
    paces = [int(p) for p in args.paces.split(",")]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        for lesson in args.lessons:
            seen = {pace: run(lesson, pace, Path(tmp)) for pace in paces}
            answers = {tuple(s[2]) for s in seen.values()}
            ok = all(s[0] for s in seen.values()) and len(answers) == 1
            failed += not ok
            told = "; ".join(
                f"pace {p}: {'passed' if s[0] else 'FAILED'} in {s[1]:.0f} s, "
                f"right answers {','.join(s[2]) or '-'}"
                for p, s in seen.items()
            )
            print(f"{lesson}: {told}{'' if len(answers) == 1 else ' — answers DIFFER'}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
