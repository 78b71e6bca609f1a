"""`natslab watch` through the system account, as an operator runs it on the day: from a
natscli context or from -s and --creds, against a three-server cluster this test started.
The sentences for what can go wrong: no such context, a user outside the system account, a
refused login, nothing listening, and a server that stops answering while the others do."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from natslab.cluster import events as ev
from natslab.watch.poller import Watched
from natslab.watch.runner import Watch
from tests.cli_process import NatslabProcess, run_natslab
from tests.deployment import Deployment
from tests.watched import WATCHER, free_port, of, rounds_until, system_watch


def context(config_home: Path, name: str, selected: bool = False, **fields: str) -> None:
    """A natscli context file, as `nats context add` writes it."""
    folder = config_home / "nats" / "context"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.json").write_text(json.dumps({"description": "test", **fields}))
    if selected:
        (config_home / "nats" / "context.txt").write_text(name)


@pytest.fixture
def config_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home))
    return home


def test_the_selected_context_watches_every_server_from_one_url(cluster, config_home, state_dir):
    context(config_home, "prod-sys", selected=True, url=cluster.client("Z"),
            user=WATCHER[0], password=WATCHER[1])  # fmt: skip
    watch = NatslabProcess("watch", "--context", "--headless", "--interval", "0.2")
    try:
        for name in "XYZ":
            watch.wait_for(f"{name} answers at nats://127.0.0.1:", 30)
        assert "through the system account" in watch.output and "read-only" in watch.output
        watch.proc.send_signal(signal.SIGINT)
        assert watch.wait() == 0
    finally:
        watch.close()
    assert "Traceback" not in watch.output


def test_a_server_stopped_in_the_cli_is_down_and_back(cluster, config_home, state_dir):
    context(config_home, "ops", url=cluster.client("X"), user=WATCHER[0], password=WATCHER[1])
    watch = NatslabProcess("watch", "--context", "ops", "--headless", "--interval", "0.2")
    try:
        watch.wait_for("Z answers at", 30)
        cluster.stop("Z")
        # Between its ping and its VARZ, or before the ping: both say it is down.
        watch.wait_for("Z is down: ", 20)
        cluster.start("Z")
        watch.wait_for("Z is back after", 30)
        watch.proc.send_signal(signal.SIGINT)
        assert watch.wait() == 0
    finally:
        watch.close()


async def test_a_server_that_hangs_is_down_while_the_others_answer(cluster, state_dir):
    """SIGSTOP: Z keeps its sockets and answers nothing; the round still shows X and Y."""
    import nats

    watch, seen = system_watch(cluster, on="X")
    probe = await nats.connect(cluster.client("X"), name="probe")  # a client it must list
    try:
        await rounds_until(watch, seen, lambda s: len(of(ev.WatchedServerUp, s)) == 3, 20, "3 up")
        listed = [
            c.name for r in await watch.round() if isinstance(r, Watched)
            for c in r.status.connections
        ]  # fmt: skip
        assert "probe" in listed  # connections are read, and
        assert "natslab watch (read-only)" not in listed  # its own is no client of theirs
        cluster.procs["Z"].send_signal(signal.SIGSTOP)
        try:
            await rounds_until(watch, seen, lambda s: of(ev.WatchedServerDown, s), 20, "Z down")
            answered = {r.server for r in await watch.round() if isinstance(r, Watched)}
        finally:
            cluster.procs["Z"].send_signal(signal.SIGCONT)
        (down,) = of(ev.WatchedServerDown, seen)
        assert down.server == "Z" and "answer" in down.error, down.error  # ping or VARZ
        assert answered == {"X", "Y"}
    finally:
        await probe.close()
        await watch.aclose()


def test_creds_of_a_system_account_user_on_an_operator_deployment(tmp_path, state_dir):
    deployment = Deployment(tmp_path / "deployment")
    try:
        deployment.start(size=3)
        creds = deployment.creds("ops", system=True)
        watch = NatslabProcess(
            "watch", "-s", deployment.url, "--creds", str(creds), "--headless",
            "--interval", "0.2",
        )  # fmt: skip
        try:
            for index in range(3):
                watch.wait_for(f"s{index} answers at", 30)
            watch.proc.send_signal(signal.SIGINT)
            assert watch.wait() == 0
        finally:
            watch.close()
        outside = run_natslab("watch", "-s", deployment.url, "--creds",
                              str(deployment.creds("ana")), "--headless")  # fmt: skip
    finally:
        deployment.stop()
    assert outside.returncode == 1, outside.stderr
    assert "is in account WORKSHOP, not the system account" in outside.stderr
    assert "Traceback" not in outside.stderr


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["--context", "nope"], "No natscli context 'nope'"),
        (["--context"], "No natscli context is selected"),
        pytest.param(  # natslab watch tries for 10 s (CONNECT_TIMEOUT) before it says so
            ["-s", "nats://127.0.0.1:{closed}", "--user", "a", "--password", "b"],
            "Nothing answers at nats://127.0.0.1:", marks=pytest.mark.slow(seconds=12),
        ),
        (["-s", "{y}", "--user", "watcher", "--password", "wrong"], "refused the login"),
        (["-s", "{y}", "--user", "watcher"], "refused the login"),  # $NATS_PASSWORD's, wrong
        (["-s", "{y}", "--user", "app", "--password", "app-secret"],
         "app is in account APP, not the system account"),
        (["-s", "{y}", "--creds", "{missing}"], "Cannot read the credentials file"),
        (["--creds", "x.creds"], "--creds and --user need -s URL"),
        (["http://127.0.0.1:8222", "--context", "ops"], "not both"),
        ([], "Watch what?"),
    ],
)  # fmt: skip
def test_bad_logins_are_one_sentence(
    cluster, config_home, tmp_path, state_dir, args, sentence, monkeypatch
):
    monkeypatch.setenv("NATS_PASSWORD", "from-the-environment")  # alone, it asks for nothing
    args = [
        a.format(closed=free_port(), y=cluster.client("Y"), missing=tmp_path / "none.creds")
        for a in args
    ]
    started = time.monotonic()
    result = run_natslab("watch", *args, "--headless", timeout=60)
    assert result.returncode in (1, 2), (result.stdout, result.stderr)
    assert sentence in result.stderr, result.stderr
    assert "Traceback" not in result.stderr and time.monotonic() - started < 60
    assert not list(state_dir.glob("runs/*")), "a refused watch leaves no run behind"


async def test_reconnects_when_its_server_goes_and_follows_the_rest(cluster, state_dir):
    """One URL given; its server stops: the connection moves to a server it learned, and
    the round goes on reporting the others."""
    watch, seen = system_watch(cluster, on="Y")
    try:
        await rounds_until(watch, seen, lambda s: len(of(ev.WatchedServerUp, s)) == 3, 20, "3 up")
        cluster.stop("Y")
        await rounds_until(
            watch, seen,
            lambda s: len(watch.view.servers) == 3 and _only_y_down(watch), 30,
            "X and Z answering, Y down",
        )  # fmt: skip
    finally:
        await watch.aclose()
    assert any(e.server == "Y" for e in of(ev.WatchedServerDown, seen))


def _only_y_down(watch: Watch) -> bool:
    down = {k for k, v in watch.view.servers.items() if not isinstance(v, Watched)}
    return down == {"Y"}


@pytest.fixture
def tls_nkey_server(binary, tmp_path):
    """One nats-server whose client port speaks TLS (a self-signed certificate) and whose
    system account has a user known only by its nkey: the two logins a context may carry
    beside a user and password."""
    import os
    import subprocess

    import nkeys

    from natslab.cluster.ports import find_free_offset, ports_for
    from tests.helpers import wait_until
    from tests.watched import listening, self_signed

    key, cert = self_signed(tmp_path)
    seed = nkeys.encode_seed(os.urandom(32), nkeys.PREFIX_BYTE_USER)
    public = nkeys.from_seed(seed).public_key.decode()
    (tmp_path / "watcher.nk").write_bytes(seed)
    ports = ports_for("A", find_free_offset("A"))
    conf = tmp_path / "tls.conf"
    conf.write_text(
        f'host: "127.0.0.1"\nport: {ports.client}\nserver_name: T\n'
        f'tls {{ cert_file: "{cert}"\n key_file: "{key}" }}\n'
        "accounts {\n"
        f'  SYS {{ users = [ {{ nkey: "{public}", permissions: {{\n'
        '      publish: { allow: ["$SYS.REQ.SERVER.>", "$SYS.REQ.USER.INFO"] },\n'
        '      subscribe: { allow: ["_INBOX.>"] } } } ] }\n'
        "}\nsystem_account: SYS\n"
    )
    proc = subprocess.Popen(
        [str(binary.path), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(lambda: listening(ports.client), 20, what="the TLS client port")
        yield f"tls://127.0.0.1:{ports.client}", tmp_path / "watcher.nk", cert
    finally:
        proc.kill()
        proc.wait(10)


def tls_context_rounds(tls_nkey_server, config_home: Path):
    """System-account rounds through a natscli context holding the TLS server's URL, the
    watch user's nkey seed and the CA: the login a context may carry besides a password."""
    from natslab.watch.login import from_context
    from natslab.watch.system import SystemRounds

    url, seed, cert = tls_nkey_server
    context(config_home, "tls-sys", url=url, nkey=str(seed), ca=str(cert))
    return SystemRounds(from_context("tls-sys"), 0.5)


async def test_a_context_with_an_nkey_and_a_ca_logs_in_over_tls(
    tls_nkey_server, config_home, state_dir
):
    from natslab.errors import NatslabError
    from natslab.watch.login import LoginError, from_context
    from natslab.watch.system import CONNECT_TIMEOUT, SystemRounds

    url, seed, cert = tls_nkey_server
    rounds = tls_context_rounds(tls_nkey_server, config_home)
    try:
        await rounds.open()
        (answer,) = await rounds.round()
    finally:
        await rounds.aclose()
    assert isinstance(answer, Watched) and answer.server == "T", answer

    # Negative controls: without the CA the certificate is not trusted, and a seed file
    # that is not there is named before anything connects.
    context(config_home, "no-ca", url=url, nkey=str(seed))
    untrusting = SystemRounds(from_context("no-ca"), 0.5)
    started = time.monotonic()
    with pytest.raises(NatslabError, match=r"TLS certificate of tls://\S+ is not trusted"):
        try:
            await untrusting.open()
        finally:
            await untrusting.aclose()
    # Said at the first failure, not after the connect timeout: retrying cannot help.
    assert time.monotonic() - started < CONNECT_TIMEOUT
    context(config_home, "no-seed", url=url, nkey=str(seed) + ".gone", ca=str(cert))
    with pytest.raises(LoginError, match=r"nkey seed file .* is missing"):
        await SystemRounds(from_context("no-seed"), 0.5).open()


async def test_the_system_account_watch_reads_every_page_of_connections(cluster, monkeypatch):
    """25 named clients on X, pages of 10 (CONNZ_PAGE, 1,024 in real life): every client is
    seen through the system account, each once. Asking for the first page only (M7), or the
    same page again and again, misses or repeats them."""
    import asyncio

    import nats

    from natslab.cluster import snapshot
    from tests.watched import system_rounds

    monkeypatch.setattr(snapshot, "CONNZ_PAGE", 10)
    clients = [await nats.connect(cluster.client("X"), name=f"c-{n:02}") for n in range(25)]
    rounds = system_rounds(cluster, on="X")
    try:
        await rounds.open()
        wanted = {f"c-{n:02}" for n in range(25)}
        deadline = time.monotonic() + 20
        while True:
            answers = await rounds.round()
            (x,) = [a for a in answers if isinstance(a, Watched) and a.server == "X"] or [None]
            names = [c.name for c in x.status.connections if c.name] if x else []
            if wanted <= set(names) or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        assert set(names) >= wanted and len(names) == len(set(names)), names
        assert x.total_connections >= 25
    finally:
        await rounds.aclose()
        for nc in clients:
            await nc.close()


@pytest.mark.slow
async def test_lame_duck_is_the_servers_own_word_through_the_system_account(cluster, state_dir):
    """Z enters lame duck mode and says so on $SYS.SERVER.<id>.LAMEDUCK: the watch marks Z
    from that announcement, not from /healthz. Running but wrong first: Y shuts down with
    SIGINT, which announces a shutdown, not lame duck, and X stays up; neither is marked."""
    import nats

    from natslab.present.watch_printer import describe
    from natslab.watch.source import watch_session
    from natslab.watch.system import PING
    from tests.watched import system_rounds

    session = watch_session(system_rounds(cluster, on="X"), 0.1)
    watch = session.source.watch
    seen: list[object] = []
    session.bus.subscribe(seen.append)
    # A client keeps lame duck going (with none, Z shuts down at once).
    holder = await nats.connect(cluster.client("Z"), name="holder", max_reconnect_attempts=0)
    try:
        await rounds_until(watch, seen, lambda s: len(of(ev.WatchedServerUp, s)) == 3, 20, "3 up")
        cluster.stop("Y")
        await rounds_until(
            watch, seen, lambda s: any(e.server == "Y" for e in of(ev.WatchedServerDown, s)), 20,
            "Y down",
        )  # fmt: skip
        cluster.procs["Z"].send_signal(signal.SIGUSR2)
        await rounds_until(watch, seen, lambda s: of(ev.LameDuckEntered, s), 20, "lame duck")
    finally:
        await holder.close()
        await session.close()
    (announced,) = of(ev.WatchedLameDuckAnnounced, seen)
    assert announced.server == "Z" and announced.describe().startswith(
        "Z announced lame duck mode ($SYS.SERVER."
    ), announced
    lines = [describe(e) for e in seen if describe(e)]
    # Through the system account a server in lame duck mode stops answering the ping or its
    # endpoints (nats-server 2.15.1): the announcement comes first, its silence after.
    said = [line for line in lines if line.startswith("Z ")]
    assert said[-2] == announced.describe() and said[-1].startswith("Z is down: "), lines
    assert PING in said[-1] or said[-1].endswith(" had no answer in 1 s"), lines
    (marked,) = of(ev.LameDuckEntered, seen)
    assert marked.server == "Z" and marked.text.startswith("announced on $SYS.SERVER."), marked
    assert getattr(watch.rounds_source, "violations", []) == []


async def test_a_user_who_may_not_listen_still_watches_and_is_no_violation(
    tls_nkey_server, config_home
):
    """A system user allowed only its inbox: the announcements are refused, the refusal is
    kept apart from anything the watch sent, and the rounds go on."""
    import asyncio

    rounds = tls_context_rounds(tls_nkey_server, config_home)
    try:
        await rounds.open()
        (answer,) = await rounds.round()
        deadline = time.monotonic() + 10
        while not rounds.unheard and time.monotonic() < deadline:
            (answer,) = await rounds.round()
            await asyncio.sleep(0.05)
    finally:
        await rounds.aclose()
    assert "lameduck" in rounds.unheard.lower() and rounds.violations == [], rounds.unheard
    assert isinstance(answer, Watched) and answer.server == "T" and not answer.lame_duck
