"""An operation's title: the one wording of what it does, for the palette, a lab's start-up,
a lesson's record of its actions and the report alike (its by-hand command is the
operator's, `Operator.by_hand`)."""

from __future__ import annotations

from natslab.lab import operations as ops
from natslab.words import both, counted, either


def title(op: ops.Operation) -> str:
    """What `op` does, in a few words: "Stop server A (Ctrl+C)"."""
    match op:
        case ops.StartServer(routes=()):
            return f"Start server {op.server} as a seed (no routes)"
        case ops.StartServer():
            return f"Start server {op.server} (routes to {both(op.routes)})"
        case ops.StopServer():
            return f"Stop server {op.server} (Ctrl+C)"
        case ops.KillServer():
            return f"Kill server {op.server}"
        case ops.LameDuck():
            return f"Lame duck server {op.server}"
        case ops.EditConfig():
            return f"Edit server {op.server}'s config file"
        case ops.ValidateConfig():
            return f"Validate server {op.server}'s config (nats-server -t)"
        case ops.ReloadConfig():
            return f"Reload server {op.server}'s config (SIGHUP)"
        case ops.RestartServer(binary="upgrade"):
            return f"Upgrade server {op.server}"
        case ops.RestartServer():
            return f"Restart server {op.server}"
        case ops.StartClients():
            return f"Add {counted(op.count, 'subscriber')} to {either(op.seeds)}"
        case ops.StopClients(prefix=None):
            return "Stop every lab client"
        case ops.StopClients():
            return f"Stop the {op.prefix}-… clients"
        case ops.StartPublisher():
            return f"Start a publisher on {either(op.seeds)}"
        case ops.StartResponders():
            return f"Add {counted(op.count, 'responder')} ({op.subject}) to {either(op.seeds)}"
        case ops.SendRequests():
            return f"Send {counted(op.count, 'request')} to {op.subject} through {op.server}"
        case ops.StopPublisher():
            return f"Stop publisher {op.name}"
        case ops.WaitHealthz():
            return f"Wait for {op.server}'s /healthz"
        case ops.WaitStopped():
            return f"Wait for server {op.server} to exit"
        case ops.ExpectRefusal():
            return f"{title(op.action)}, expected to be refused"
        case ops.Pause():
            return f"Pause {op.seconds:g} s"
        case ops.ToggleClientSwitch():
            return f"Toggle {op.switch} for new clients"
        case ops.CreateStream():
            mirroring = f", a mirror of {op.mirror}" if op.mirror else ""
            mirroring += f", gathering {', '.join(op.sources)}" if op.sources else ""
            return f"Create stream {op.name} ({counted(op.replicas, 'replica')}{mirroring})"
        case ops.BackupStream():
            return f"Back up stream {op.name}"
        case ops.DeleteStream():
            return f"Delete stream {op.name}"
        case ops.RestoreStream():
            return f"Restore stream {op.name} from its last backup"
        case ops.PromoteMirror():
            return f"Promote mirror {op.name} to a stream of its own"
        case ops.EditStream():
            changes = [] if op.replicas is None else [counted(op.replicas, "replica")]
            if op.tags is not None:
                changes.append(f"tags {', '.join(op.tags)}" if op.tags else "no placement tags")
            return f"Edit stream {op.name}: {', '.join(changes)}"
        case ops.StartLedger():
            return f"Start {_ledger(op.name)} on stream {op.stream}"
        case ops.VerifyLedger():
            return f"Verify {_ledger(op.name)} against stream {op.stream}"
        case ops.MoveLeader():
            whose = f"stream {op.stream}'s leader" if op.stream else "the meta leader"
            return f"Move {whose}" + (f" to {op.to}" if op.to else "")
        case ops.ProbeJetStream():
            return f"Probe JetStream through {op.server}: {op.request.replace('_', ' ')}"
        case ops.RemoveServer():
            return f"Peer-remove server {op.server} from the meta group"
        case ops.RemoveStreamPeer():
            return f"Peer-remove {op.server}'s replica of stream {op.stream}"
        case ops.DamageStore():
            return f"Damage server {op.server}'s newest block of stream {op.stream}"
        case ops.WipeStore():
            return f"Wipe server {op.server}'s JetStream store"
        case ops.PauseServer():
            return f"Pause server {op.server} (SIGSTOP)"
        case ops.ResumeServer():
            return f"Resume server {op.server} (SIGCONT)"
        case ops.CutLink():
            return f"Cut the link {_pair(op.servers)}"
        case ops.BlackholeLink():
            return f"Black-hole the link {_pair(op.servers)}"
        case ops.DelayLink(jitter_ms=0):
            return f"Delay the link {_pair(op.servers)} by {op.ms:g} ms"
        case ops.DelayLink():
            return f"Delay the link {_pair(op.servers)} by {op.ms:g} ms + up to {op.jitter_ms:g} ms"
        case ops.HealLink():
            return f"Heal the link {_pair(op.servers)}"
        case ops.WaitMesh():
            return f"Wait for the route mesh of {', '.join(op.servers)}"
    raise AssertionError(f"no title for {op!r}")  # a new operation must be worded here


def _pair(servers: tuple[str, str]) -> str:
    return f"{servers[0]}↔{servers[1]}"


def entry(op: ops.Operation, note: str = "") -> ops.PaletteEntry:
    """A palette line for `op`, titled the one way; `note` adds what holds right now."""
    return ops.PaletteEntry(f"{title(op)} ({note})" if note else title(op), op)


def _ledger(name: str) -> str:
    """The ledger's name in a title: "the ledger", or "ledger NAME" for another one."""
    return "the ledger" if name == "ledger" else f"ledger {name}"
