"""What a learner would type to do what an operation does: the natscli command, the signal,
or the shell line, with this run's pids, ports and paths."""

from __future__ import annotations

from natslab.clients.client import SEQ_SUBJECT_PREFIX
from natslab.cluster import jetstream
from natslab.cluster.ports import link_port
from natslab.lab.operations import (
    CLIENT_SWITCHES,
    BackupStream,
    BlackholeLink,
    CreateStream,
    CutLink,
    DamageStore,
    DelayLink,
    DeleteStream,
    EditConfig,
    EditStream,
    ExpectRefusal,
    HealLink,
    KillServer,
    LameDuck,
    MoveLeader,
    Operation,
    PauseServer,
    ProbeJetStream,
    PromoteMirror,
    ReloadConfig,
    RemoveServer,
    RemoveStreamPeer,
    RestartServer,
    RestoreStream,
    ResumeServer,
    SendRequests,
    StartClients,
    StartLedger,
    StartPublisher,
    StartResponders,
    StartServer,
    StopServer,
    ToggleClientSwitch,
    ValidateConfig,
    VerifyLedger,
    WaitHealthz,
    WaitMesh,
    WipeStore,
)
from natslab.lab.operator_face import OperatorFace


def by_hand_command(lab: OperatorFace, op: Operation, whole: bool = False) -> str:
    """The one command a learner would type to do the same (empty where none exists);
    a natscli command names the server it goes through, which under a port offset is
    not natscli's default of localhost:4222. `whole`: a server's command with what natslab
    adds to it (its config file holds JetStream, the name and the tags), to type as shown;
    without, the walkthrough's part alone, shown beside the added part."""
    command = _command(lab, op)
    if whole and command and isinstance(op, StartServer | RestartServer):
        spec = lab.spec_for(op) if isinstance(op, StartServer) else lab.supervisor.specs[op.server]
        return f"{command} {spec.added_command(lab.supervisor.run.config_path(spec.name))}"
    through = _through(lab, op)
    if not command.startswith("nats ") or through is None or " -s " in command:
        return command
    said, hash_, why = command.partition("   #")
    return f"{said} -s {through}{hash_}{why}"


def _through(lab: OperatorFace, op: Operation) -> str | None:
    """The client URL a natscli command for `op` goes through, if it has one."""
    match op:
        case RemoveServer() | RemoveStreamPeer():
            return lab.client_url(op.through)
        case StartLedger():
            return lab.client_url(op.seeds[0])
        case VerifyLedger():
            ledger = lab.fleet.clients.get(op.name)
            return ledger.seeds[0] if ledger is not None and ledger.seeds else None
        case (
            CreateStream() | EditStream() | PromoteMirror() | BackupStream() | DeleteStream()
            | RestoreStream() | MoveLeader()
        ):  # fmt: skip
            return lab.client_url(op.server)
    return None


def _command(lab: OperatorFace, op: Operation) -> str:
    match op:
        case ExpectRefusal():
            return by_hand_command(lab, op.action)
        case StartServer():
            return lab.spec_for(op).walkthrough_command()
        case RestartServer():
            spec = lab.supervisor.specs.get(op.server)
            return spec.walkthrough_command() if spec else ""
        case StopServer():
            return f"kill -INT {lab.pid_text(op.server)}    # Ctrl+C in {op.server}'s terminal"
        case KillServer():
            return f"kill -KILL {lab.pid_text(op.server)}"
        case LameDuck():
            return f"nats-server --signal ldm={lab.pid_text(op.server)}"
        case EditConfig():
            return f"$EDITOR {lab.supervisor.run.config_path(op.server)}"
        case ValidateConfig():
            return f"nats-server -t -c {lab.supervisor.run.config_path(op.server)}"
        case ReloadConfig(via="system"):
            return (
                f"nats server config reload <{op.server}'s server id> -f --user "
                f"{jetstream.SYSTEM_USER} --password {jetstream.SYSTEM_PASSWORD} "
                f"-s {lab.client_url(op.server)}"
                f"   # the id: curl -s {lab.monitor_url(op.server)}/varz"
            )
        case ReloadConfig():
            return f"nats-server --signal reload={lab.pid_text(op.server)}"
        case StartClients():
            seeds = ",".join(lab.client_url(s, op.host) for s in op.seeds)
            return f'nats sub -s {seeds} "{op.subject}"'
        case StartResponders():
            seeds = ",".join(lab.client_url(s) for s in op.seeds)
            each = f"   # one each for {op.prefix}-1..{op.count}" if op.count > 1 else ""
            return f"nats reply -s {seeds} {op.subject} {op.prefix}-1 --queue {op.queue}{each}"
        case SendRequests():
            return (
                f"nats request -s {lab.client_url(op.server)} {op.subject} ping --count {op.count}"
            )
        case StartPublisher():
            seeds = ",".join(lab.client_url(s) for s in op.seeds)
            subject = f"{SEQ_SUBJECT_PREFIX}{op.name or 'pub-N'}"
            sleep = f"{1000 / op.rate:g}ms"
            body = "'{{.Count}}'"
            return f"nats pub -s {seeds} {subject} --count 1000000 --sleep {sleep} {body}"
        case WaitHealthz():
            return f"curl {lab.monitor_url(op.server)}/healthz"
        case WaitMesh():
            return f"curl {lab.monitor_url(op.servers[0])}/routez"
        case ToggleClientSwitch():
            return CLIENT_SWITCHES[op.switch]
        case CreateStream():
            source = "".join(f" --source {name}" for name in op.sources).strip()
            if op.own_subjects:
                source = f'--subjects "{",".join(op.own_subjects)}" {source}'.strip()
            if op.mirror:
                source = f"--mirror {op.mirror}"
            tags = "".join(f" --tag {tag}" for tag in op.tags)
            return (
                f"nats stream add {op.name} {source} --replicas {op.replicas} "
                f"--storage {op.storage}{tags} --defaults"
            )
        case BackupStream():
            return f"nats stream backup {op.name} {lab.backup_dir(op.name)}"
        case DeleteStream():
            return f"nats stream rm {op.name} -f"
        case RestoreStream():
            return f"nats stream restore {lab.backup_dir(op.name)}"
        case PromoteMirror():
            subjects = f' --subjects "{",".join(op.subjects)}"' if op.subjects else ""
            return f"nats stream edit {op.name} --no-mirror{subjects} -f"
        case EditStream():
            replicas = f" --replicas {op.replicas}" if op.replicas is not None else ""
            # natscli's --tag, once per tag; no tag at all: an empty one
            tags = "" if op.tags is None else "".join(f" --tag {t}" for t in op.tags) or ' --tag ""'
            return f"nats stream edit {op.name}{replicas}{tags} -f"
        case StartLedger():
            sleep, body = f"{1000 / op.rate:g}ms", "'{{.Count}}'"
            return (
                f"nats pub --jetstream {op.subject} --count 1000000 --sleep {sleep} {body}"
                "   # unlike the ledger: no Nats-Msg-Id, the default ack timeout, no retry"
            )
        case VerifyLedger():
            return f"nats stream info {op.stream}"
        case RemoveServer():
            return f"nats server cluster peer-remove {op.server} -f --user sys --password sys"
        case RemoveStreamPeer():
            return f"nats stream cluster peer-remove {op.stream} {op.server} -f"
        case DamageStore():
            block, at = lab.damage_target(op)
            return (
                f"head -c {op.size} /dev/zero | tr '\\0' '\\377' | "
                f"dd of={block or '<newest .blk>'} bs=1 seek={at} conv=notrunc"
            )
        case WipeStore():
            return f"rm -rf {lab.supervisor.run.path / 'jetstream' / op.server}"
        case PauseServer():
            return f"kill -STOP {lab.pid_text(op.server)}"
        case ResumeServer():
            return f"kill -CONT {lab.pid_text(op.server)}"
        case ProbeJetStream(request="publish"):
            return f"nats pub --jetstream {op.subject} probe -s {lab.client_url(op.server)}"
        case ProbeJetStream(request="create_stream"):
            return (
                f'nats stream add {op.stream} --subjects "{op.stream.lower()}.>" '
                f"--replicas {op.replicas} --defaults -s {lab.client_url(op.server)}"
            )
        case ProbeJetStream():
            return f"nats account info -s {lab.client_url(op.server)}"
        case MoveLeader():
            # natscli: a bare step-down elects at random (possibly the server about to
            # stop); --preferred / --host ask for the server natslab asks for.
            if op.stream:
                preferred = f" --preferred {op.to}" if op.to else ""
                return f"nats stream cluster step-down {op.stream}{preferred}"
            host = f" --host {op.to}" if op.to else ""
            return f"nats server cluster step-down{host} --user sys --password sys"
        case CutLink():
            return _by_proxy(lab, op.servers, "close their connections and refuse new ones")
        case BlackholeLink():
            return _by_proxy(lab, op.servers, "keep their connections and pass nothing")
        case DelayLink():
            late = f"{op.ms:g} ms" + (f" + up to {op.jitter_ms:g} ms" if op.jitter_ms else "")
            return _by_proxy(lab, op.servers, f"pass everything {late} late")
        case HealLink():
            return _by_proxy(lab, op.servers, "pass everything again")
    return ""


def _by_proxy(lab: OperatorFace, servers: tuple[str, str], what: str) -> str:
    """A link has no nats command: say which of natslab's proxies do what."""
    a, b = servers
    there, back = (link_port(x, y, lab.settings.offset) for x, y in ((a, b), (b, a)))
    return (
        f"# no nats command: natslab's link proxies {a}->{b} (127.0.0.1:{there}) and "
        f"{b}->{a} (127.0.0.1:{back}) {what}"
    )
