"""Action registry: the closed set of things a lesson can make the lab do."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from natslab.clients.client import ClientOptions
from natslab.cluster.spec import walkthrough_spec
from natslab.errors import NatslabError
from natslab.lessons import model as m
from natslab.lessons.context import LessonContext
from natslab.words import counted


@dataclass(frozen=True)
class Done:
    """What an action did, in words; servers also show their command and natslab's flags."""

    detail: str
    command: str = ""
    added: str = ""


Perform = Callable[[Any, LessonContext], Awaitable[Done]]
_REGISTRY: dict[type, Perform] = {}


def action(kind: type) -> Callable[[Perform], Perform]:
    def register(perform: Perform) -> Perform:
        _REGISTRY[kind] = perform
        return perform

    return register


async def perform(item: m.Action, ctx: LessonContext) -> Done:
    return await _REGISTRY[type(item)](item, ctx)


def registered() -> set[type]:
    return set(_REGISTRY)


def _options(settings: m.ClientSettings) -> ClientOptions:
    # The lesson's settings use the client's own option names, one for one.
    return ClientOptions(**settings.model_dump())


@action(m.StartServer)
async def _start_server(a: m.StartServer, ctx: LessonContext) -> Done:
    settings = ctx.settings
    binary = settings.upgrade_binary if a.binary == "upgrade" else None
    spec = walkthrough_spec(
        a.server,
        settings.offset,
        route_to=a.routes,
        expose=settings.expose,
        log_flags=tuple(a.log_flags),
        config_fragment=a.config,
        cluster_name=a.cluster_name,
        binary=binary,
    )
    proc = await ctx.session.supervisor.start(spec, timeout=a.timeout)
    version = ctx.session.supervisor.binaries[a.server].version
    return Done(
        f"started {a.server} (pid {proc.pid}, nats-server {version})",
        command=spec.walkthrough_command(),
        added=spec.added_command(),
    )


@action(m.StopServer)
async def _stop_server(a: m.StopServer, ctx: LessonContext) -> Done:
    code = await ctx.session.supervisor.stop(a.server, timeout=a.timeout)
    how = "with Ctrl+C (SIGINT)" if code >= 0 else f"by SIGKILL after {a.timeout:g} s"
    return Done(f"stopped {a.server} {how}; exit code {code}")


@action(m.KillServer)
async def _kill_server(a: m.KillServer, ctx: LessonContext) -> Done:
    await ctx.session.supervisor.kill(a.server)
    return Done(f"killed {a.server} with SIGKILL")


@action(m.LameDuck)
async def _lame_duck(a: m.LameDuck, ctx: LessonContext) -> Done:
    pid = ctx.session.supervisor.process(a.server).pid
    ctx.session.supervisor.lame_duck(a.server)
    return Done(f"sent SIGUSR2 to {a.server}: lame duck mode", command=f"kill -USR2 {pid}")


@action(m.RestartServer)
async def _restart_server(a: m.RestartServer, ctx: LessonContext) -> Done:
    supervisor = ctx.session.supervisor
    binary = ctx.settings.upgrade_binary if a.binary == "upgrade" else None
    before = supervisor.binaries.get(a.server)
    await supervisor.restart(a.server, binary=binary, timeout=a.timeout)
    after = supervisor.binaries[a.server]
    spec = supervisor.specs[a.server]
    if a.binary == "upgrade" and binary is None:
        what = f"the same nats-server {after.version} (no --upgrade-binary was given)"
    elif before is not None and before.path != after.path:
        what = f"nats-server {before.version} -> {after.version} ({after.path})"
    else:
        what = f"nats-server {after.version}"
    return Done(
        f"restarted {a.server} with {what}",
        command=spec.walkthrough_command(),
        added=spec.added_command(),
    )


@action(m.StartClients)
async def _start_clients(a: m.StartClients, ctx: LessonContext) -> Done:
    seeds = [ctx.client_url(s, a.host) for s in a.seeds]
    subs = await ctx.session.fleet.start_subscribers(
        a.count, seeds, _options(a.options), a.subject, a.prefix
    )
    names = f"{subs[0].name}..{subs[-1].name}" if len(subs) > 1 else subs[0].name
    command = f'nats sub -s {",".join(seeds)} "{a.subject}"'
    return Done(f"started {counted(len(subs), 'subscriber')} ({names})", command=command)


@action(m.StopClients)
async def _stop_clients(a: m.StopClients, ctx: LessonContext) -> Done:
    fleet = ctx.session.fleet
    names = [n for n in fleet.clients if a.prefix is None or n.startswith(f"{a.prefix}-")]
    await fleet.stop(names)
    return Done(f"stopped {counted(len(names), 'client')}")


@action(m.StartPublisher)
async def _start_publisher(a: m.StartPublisher, ctx: LessonContext) -> Done:
    seeds = [ctx.client_url(s) for s in a.seeds]
    pub = await ctx.session.fleet.start_publisher(seeds, a.rate, _options(a.options), a.name)
    return Done(f"publishing {a.rate:g} msg/s on {pub.subject} as {pub.name}")


@action(m.StopPublisher)
async def _stop_publisher(a: m.StopPublisher, ctx: LessonContext) -> Done:
    publisher = next((p for p in ctx.session.fleet.publishers() if p.name == a.name), None)
    if publisher is None:
        raise NatslabError(f"There is no publisher named {a.name}.")
    await publisher.pause()
    ctx.session.fleet.send_counts()
    return Done(f"{a.name} stopped publishing after {publisher.published} messages")


@action(m.WaitHealthz)
async def _wait_healthz(a: m.WaitHealthz, ctx: LessonContext) -> Done:
    supervisor = ctx.session.supervisor
    url = f"{supervisor.specs[a.server].monitor_url}/healthz"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + a.timeout
    started = loop.time()
    while not await supervisor.monitor.healthz(supervisor.specs[a.server].monitor_url):
        if loop.time() >= deadline:
            raise NatslabError(f"{url} did not answer 200 within {a.timeout:g} s.")
        await asyncio.sleep(0.1)
    return Done(f"{url} answered 200 after {loop.time() - started:.1f} s", command=f"curl {url}")


@action(m.Pause)
async def _pause(a: m.Pause, ctx: LessonContext) -> Done:
    # A pause in the lesson's pace, for a learner to watch: not a way to wait for a state.
    await asyncio.sleep(a.seconds)
    return Done(f"paused {a.seconds:g} s")
