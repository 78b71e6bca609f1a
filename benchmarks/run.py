"""natslab benchmarks: print figures against their targets. `--quick` is CI's smoke run.

python benchmarks/run.py            # the full run written down in BENCHMARKS.md
python benchmarks/run.py --quick    # one short round of each, to show they still work
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

from bench_cli import bench_first_frame, bench_help, bench_upgrade
from bench_cluster import bench_cluster
from bench_jetstream import bench_jetstream, bench_ledger
from bench_lab import bench_ingest, bench_visibility
from bench_leaf import bench_leaf
from bench_room import bench_room, bench_uplink
from bench_screen import bench_idle, bench_scale, bench_tui, bench_visibility_vs_connz
from bench_watch import bench_watch
from bench_web import bench_web


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one short round of each")
    parser.add_argument(
        "--soak", type=float, metavar="SECONDS", help="only the log-ingestion flood, this long"
    )
    parser.add_argument(
        "--flood-rate",
        type=float,
        default=1500,
        metavar="MSGS",
        help="messages/s per server in the TUI flood (each is ~2.7 log lines at -DV)",
    )
    parser.add_argument(
        "--only",
        choices=[
            "help",
            "first-frame",
            "upgrade",
            "visibility",
            "ingest",
            "scale",
            "tui",
            "jetstream",
            "ledger",
            "watch",
            "idle",
            "connz",
            "room",
            "uplink",
            "cluster",
            "leaf",
            "web",
        ],
        help="run just this benchmark",
    )
    args = parser.parse_args()
    if args.soak:
        asyncio.run(bench_ingest(args.soak))
        return 0
    quick = args.quick
    print(f"natslab benchmarks on {os.cpu_count()} cores ({'quick' if quick else 'full'} run)")
    benchmarks = {
        "help": lambda: bench_help(3 if quick else 15),
        "first-frame": bench_first_frame,
        "upgrade": lambda: bench_upgrade(1 if quick else 3),
        "visibility": lambda: asyncio.run(bench_visibility(5 if quick else 20)),
        "ingest": lambda: asyncio.run(bench_ingest(1.0 if quick else 10.0)),
        "scale": lambda: asyncio.run(
            bench_scale("ABC" if quick else "ABCDE", 30 if quick else 500)
        ),
        "tui": lambda: asyncio.run(
            bench_tui(5 if quick else 40, 300 if quick else args.flood_rate)
        ),
        "jetstream": lambda: bench_jetstream(1 if quick else 5),
        "ledger": lambda: asyncio.run(bench_ledger(2.0 if quick else 10.0)),
        "watch": lambda: asyncio.run(bench_watch(500 if quick else 10_000, 2 if quick else 10)),
        "connz": lambda: asyncio.run(
            bench_visibility_vs_connz(5 if quick else 20, 2 if quick else 10)
        ),
        "room": lambda: asyncio.run(bench_room(20 if quick else 300, 0.05 if quick else 0.5)),
        "uplink": lambda: bench_uplink(1 if quick else 3),
        "leaf": lambda: asyncio.run(bench_leaf(20 if quick else 200)),
        "web": lambda: bench_web(3 if quick else 20),
        "cluster": lambda: asyncio.run(
            bench_cluster(30 if quick else 1000, 0.05 if quick else 0.5)
        ),
        "idle": lambda: asyncio.run(
            bench_idle("ABC" if quick else "ABCDE", 60 if quick else 2000, 3 if quick else 10)
        ),
    }
    for name, bench in benchmarks.items():
        if args.only in (None, name):
            bench()
    return 0


if __name__ == "__main__":
    sys.exit(main())
