"""The command palette's entries: what can be done right now, as LabState knows the lab
(servers to start or stop, clients, links, config reloads, JetStream)."""

from __future__ import annotations

from natslab.clients.ledger import LedgerPublisher
from natslab.cluster.ports import SERVER_NAMES
from natslab.lab import operations as ops
from natslab.lab.jetstream_palette import jetstream_entries
from natslab.lab.operations import CLIENT_SWITCHES, PaletteEntry
from natslab.lab.operator_face import OperatorFace
from natslab.lab.titles import entry
from natslab.state import LabState, ServerState

PALETTE_DELAY_MS = 250  # a link delay the palette offers: plain to see in a round trip


def palette_entries(lab: OperatorFace, state: LabState) -> list[PaletteEntry]:
    """What can be done right now, as LabState knows the lab: running servers can be
    stopped, others started."""
    entries: list[PaletteEntry] = []
    for name in SERVER_NAMES[:5]:
        view = state.servers.get(name)
        if view is None or not view.up:
            entries += [start_entry(name), entry(ops.StartServer(server=name, routes=()))]
            continue
        options = lab.palette_clients
        entries += [
            entry(ops.StopServer(server=name)),
            entry(ops.KillServer(server=name)),
            entry(ops.LameDuck(server=name)),
            entry(ops.ResumeServer(server=name))
            if view.state == ServerState.PAUSED
            else entry(ops.PauseServer(server=name)),
            entry(ops.RestartServer(server=name)),
            *_config_entries(lab, name),
            entry(ops.StartClients(count=5, seeds=(name,), options=options)),
            entry(ops.StartPublisher(name=None, seeds=(name,), rate=100, options=options)),
            entry(ops.StartResponders(seeds=(name,), options=options)),
            entry(ops.SendRequests(server=name)),
        ]
        if lab.settings.upgrade_binary is not None:
            entries.append(entry(ops.RestartServer(server=name, binary="upgrade")))
    entries += _link_entries(lab, state)
    entries += jetstream_entries(state, _ledger(lab), _stopped_stores(lab), _backed_up(lab))
    for switch in CLIENT_SWITCHES:
        now = "on" if getattr(lab.palette_clients, switch) else "off"
        entries.append(entry(ops.ToggleClientSwitch(switch=switch), f"now {now}"))
    return entries


def _ledger(lab: OperatorFace) -> str | None:
    """The running ledger's name, if there is one."""
    found = (n for n, c in lab.fleet.clients.items() if isinstance(c, LedgerPublisher))
    return next(found, None)


def _stopped_stores(lab: OperatorFace) -> list[str]:
    """Stopped servers that keep a JetStream store in this run."""
    supervisor = lab.supervisor
    return [
        name
        for name, spec in sorted(supervisor.specs.items())
        if spec.jetstream
        and not supervisor.is_running(name)
        and (supervisor.run.path / "jetstream" / name).exists()
    ]


def _backed_up(lab: OperatorFace) -> list[str]:
    """The streams this run holds a backup of."""
    found = lab.backup_dir("LEDGER").parent
    return sorted(p.name for p in found.iterdir() if p.is_dir()) if found.is_dir() else []


def _link_entries(lab: OperatorFace, state: LabState) -> list[PaletteEntry]:
    """For a run whose routes go through link proxies: each link between two running
    servers can be cut, black-holed or delayed while it passes, and healed when not."""
    links = lab.supervisor.links
    if links is None:
        return []
    up = [n for n in SERVER_NAMES[:5] if (view := state.servers.get(n)) and view.up]
    entries: list[PaletteEntry] = []
    for i, a in enumerate(up):
        for b in up[i + 1 :]:
            pair = (a, b)
            mode = links.mode(a, b)
            if mode.kind == "pass":
                entries += [
                    entry(ops.CutLink(servers=pair)),
                    entry(ops.BlackholeLink(servers=pair)),
                    entry(ops.DelayLink(servers=pair, ms=PALETTE_DELAY_MS, jitter_ms=50)),
                ]
            else:
                entries.append(entry(ops.HealLink(servers=pair), f"now {mode.words()}"))
    return entries


def _config_entries(lab: OperatorFace, name: str) -> list[PaletteEntry]:
    """Validate and reload, for a server started with a config file (edit it yourself:
    the palette shows where it is)."""
    spec = lab.supervisor.specs.get(name)
    if spec is None or not spec.config_fragment:
        return []
    where = str(lab.supervisor.run.config_path(name))
    return [entry(ops.ValidateConfig(server=name), where), entry(ops.ReloadConfig(server=name))]


def start_entry(name: str) -> PaletteEntry:
    """Starting a server the walkthrough's way: in the palette and at a lab's start alike."""
    return entry(ops.StartServer(server=name))
