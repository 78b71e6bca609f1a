"""`natslab watch` against nats-server processes this test starts itself (not natslab's lab):
a server stopped and back, a named nats-py client that moves, JetStream leadership handed
over, and the sentences for bad URLs. Watch only reads; everything else here is the test."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import nats
import pytest

from natslab.cluster import events as ev
from natslab.cluster.binary import ServerBinary
from natslab.cluster.ports import find_free_offset, ports_for
from natslab.lab.recorder import read_events
from natslab.watch.poller import Unreachable, Watched
from natslab.watch.runner import HttpRounds, Watch
from natslab.watch.source import WatchSession, watch_session
from tests.cli_process import NATSLAB, NatslabProcess, run_natslab
from tests.helpers import wait_until
from tests.watched import (
    Cluster,
    free_port,
    listening,
    of,
    rounds_until,
    self_signed,
    system_rounds,
)


def watch_of(cluster: Cluster, through: str) -> WatchSession:
    """A watch run over every server's monitoring URL (HTTP), or over one client URL and
    the system account."""
    if through == "http":
        return watch_session(HttpRounds([cluster.monitor(n) for n in "XYZ"], 0.1), 0.1)
    return watch_session(system_rounds(cluster), 0.1)


@pytest.mark.parametrize("through", ["http", "system account"])
async def test_watch_reports_a_stop_a_return_a_move_and_a_new_meta_leader(
    cluster, state_dir, through
):
    session = watch_of(cluster, through)
    watch = session.source.watch
    seen: list[object] = []
    session.bus.subscribe(seen.append)
    nc = await nats.connect(
        cluster.client("X"), name="orders-api", reconnect_time_wait=0.1, max_reconnect_attempts=-1
    )
    try:
        await rounds_until(watch, seen, lambda s: len(of(ev.WatchedServerUp, s)) == 3, 20, "3 up")
        await rounds_until(watch, seen, lambda s: of(ev.MetaLeaderChanged, s), 20, "a leader")
        assert {e.version for e in of(ev.WatchedServerUp, seen)} == {cluster.binary.version}
        js = nc.jetstream()
        await js.add_stream(name="ORDERS", subjects=["orders.>"], num_replicas=3)
        await rounds_until(
            watch, seen,
            lambda s: any(e.stream == "ORDERS" and e.server for e in of(ev.StreamLeaderChanged, s)),
            20, "the stream's leader",
        )  # fmt: skip

        cluster.stop("X")  # the client's server: it moves
        await rounds_until(watch, seen, lambda s: of(ev.WatchedServerDown, s), 10, "X down")
        down = of(ev.WatchedServerDown, seen)[0]
        why = "refused the connection" if through == "http" else "did not answer $SYS.REQ"
        assert down.server == "X" and why in down.error, down.error
        await rounds_until(watch, seen, lambda s: of(ev.WatchedClientMoved, s), 10, "the move")
        moved = of(ev.WatchedClientMoved, seen)[0]
        assert moved.client == "orders-api" and moved.previous == "X"
        assert moved.server in {"Y", "Z"} and 0 < moved.gap < 5

        cluster.start("X")
        await rounds_until(
            watch, seen, lambda s: any(e.down_for for e in of(ev.WatchedServerUp, s)), 20, "X back"
        )
        back = next(e for e in of(ev.WatchedServerUp, seen) if e.down_for)
        assert back.server == "X" and back.down_for > 0
        # Back, and then healthy: said once it is, every replica of X current again.
        index = seen.index(back)

        def healthy_again(s) -> bool:
            return any(e.server == "X" and e.healthy
                       for e in of(ev.WatchedHealthChanged, s[index:]))  # fmt: skip

        await rounds_until(watch, seen, healthy_again, 30, "X healthy again")
        line = next(
            e for e in of(ev.WatchedHealthChanged, seen[index:]) if e.server == "X" and e.healthy
        )  # Y or Z may turn healthy again meanwhile too, having lost X's replicas for a while
        assert line.describe() == "X /healthz: 200 ok: healthy and every replica current"

        leader = watch.view.meta_leader
        assert leader in {"X", "Y", "Z"}
        cluster.stop(leader)  # the meta leader goes: the others elect one
        await rounds_until(
            watch, seen, lambda s: watch.view.meta_leader not in ("", leader), 30,
            "a new meta leader",
        )  # fmt: skip
        # Against the cluster's own word, not the view the events were folded into.
        survivor = next(n for n in "XYZ" if n != leader)
        with urllib.request.urlopen(f"{cluster.monitor(survivor)}/jsz", timeout=5) as answer:
            told = json.load(answer)["meta_cluster"]["leader"]
        assert of(ev.MetaLeaderChanged, seen)[-1].server == told
    finally:
        await nc.close()
        await session.close()
    records = read_events(session.run_dir.path / "events.jsonl")
    kinds = {r["type"] for r in records}
    assert {"WatchedServerUp", "WatchedServerDown", "WatchedClientMoved"} <= kinds
    # The watch user may only ask: anything else it sent would be a permissions violation.
    assert getattr(watch.rounds_source, "violations", []) == []
    _report_draws_the_watched_client(session.run_dir.path, moved)


def _report_draws_the_watched_client(run_dir, moved) -> None:
    """The run's report draws orders-api's lane (X, then where it moved) and the clients per
    server, as a lab run's report does for its own clients; its loss is not billed."""
    import re

    from natslab.present.report import to_html, to_markdown
    from natslab.present.report_model import build

    report = build(run_dir)
    (lane,) = [lane for lane in report.watched_lanes if lane.client == "orders-api"]
    visited = [seg.server for seg in lane.segments if seg.server]
    assert visited[:2] == ["X", moved.server] and lane.moves >= 1, lane
    assert report.counts["X"][0][1] == 1 and report.lanes == [], report.counts
    page = to_html(report)
    assert "No client moved" not in page and "No client was seen" not in page
    drawn = re.search(r'<g class="lane" data-client="orders-api">.*?</g>', page, re.S)
    assert drawn and re.search(r">\d+ moves?</text>", drawn[0]), page
    assert "lost</text>" not in drawn[0]  # a watch cannot count what a client lost
    assert "follows the cluster's own clients by name: 1 seen" in to_markdown(report)


async def test_a_violation_by_the_watch_user_would_be_seen(cluster):
    """The negative control of the check above: the server refuses a publish outside
    $SYS.REQ from the watch's user, and the watch hears of it."""
    rounds = system_rounds(cluster)
    try:
        await rounds.open()
        assert rounds.nc is not None and rounds.violations == []
        await rounds.nc.publish("orders.new", b"not a request")
        deadline = time.monotonic() + 10
        while not rounds.violations:
            assert time.monotonic() < deadline, "no violation heard"
            await asyncio.sleep(0.05)
    finally:
        await rounds.aclose()
    assert "orders.new" in rounds.violations[0]


@pytest.mark.parametrize(("stop", "code"), [(signal.SIGINT, 0), (signal.SIGTERM, 143)])
def test_headless_watch_prints_changes_records_a_run_and_stops_on_a_signal(
    cluster, state_dir, stop, code
):
    proc = subprocess.Popen(
        [NATSLAB, "watch", "--headless", "--interval", "0.2", cluster.monitor("Y")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip

    def recorded() -> str:
        found = list(state_dir.glob("runs/*/events.jsonl"))
        return found[0].read_text() if found else ""

    try:
        deadline = time.monotonic() + 20
        while "WatchedServerUp" not in recorded():
            assert time.monotonic() < deadline, "no WatchedServerUp recorded"
            time.sleep(0.1)
    finally:
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == code, err
    assert "read-only" in out and "Y answers at" in out and "Traceback" not in err
    (run_dir,) = state_dir.glob("runs/*")
    assert json.loads((run_dir / "run.json").read_text())["ended"]  # closed, whatever stopped it
    report = run_natslab("report", str(run_dir))
    assert report.returncode == 0, report.stderr
    assert f"Y answers at {cluster.monitor('Y')}" in (run_dir / "report.md").read_text()


def test_a_watch_nothing_answered_is_kept_as_long_as_it_ran_and_named_once(state_dir):
    """`natslab runs` read "watch 0.0 s watched 0 servers" of a 15 s watch of a dead URL,
    whose one line named the URL twice (a newcomer's run)."""
    from natslab.present.report import verdict
    from natslab.present.report_model import build
    from natslab.present.runs import describe

    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there: refused at once
    proc = subprocess.Popen(
        [NATSLAB, "watch", "--headless", "--interval", "0.2", dead],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = wait_until(lambda: _first_down(state_dir), 20, what="the first answer missed")
        wait_until(lambda: time.time() > first + 1, 10, what="a second of watching after it")
    finally:
        proc.send_signal(signal.SIGINT)
        stopped_at = time.time()
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert f"{dead} is down: refused the connection" in out, out
    (run,) = state_dir.glob("runs/*/")
    line = describe(run)
    assert line.outcome == "watched 1 server, 1 never answered", line
    assert stopped_at - first <= line.took + 0.05, (line, stopped_at - first)
    assert "A watch of 1 server natslab did not start (1 never answered)" in verdict(
        build(run, False)
    )


def _first_down(state_dir: Path) -> float | None:
    """When the watch first recorded its server down, once it has."""
    for events in state_dir.glob("runs/*/events.jsonl"):
        for record in read_events(events):
            if record["type"] == "WatchedServerDown":
                return float(record["at"])
    return None


@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("http://127.0.0.1:{closed}", "refused the connection: nothing listens there"),
        ("http://127.0.0.1:{client}", "not a NATS monitoring endpoint"),
    ],
)
async def test_bad_urls_are_sentences_and_the_others_keep_going(cluster, url, sentence):
    bad = url.format(closed=free_port(), client=cluster.ports["Y"][0])
    watch = Watch.over_http([bad, cluster.monitor("Z")], interval=0.1)
    try:
        results = await watch.round()
    finally:
        await watch.aclose()
    failed = next(r for r in results if r.url == bad)
    assert sentence in failed.error, failed.error
    assert any(isinstance(r, Watched) and r.server == "Z" for r in results)


def test_watch_refuses_what_is_not_a_url_and_says_it_only_reads():
    client = run_natslab("watch", "--headless", "nats://127.0.0.1:4222")
    assert client.returncode == 1
    said = "is a client URL; watch reads a server's monitoring port over HTTP, usually 8222: "
    assert said + "http://127.0.0.1:8222." in client.stderr
    odd = run_natslab("watch", "--headless", "ftp://127.0.0.1:8222")
    assert odd.returncode == 1
    assert "is not a monitoring URL: give host:port or http://host:port." in odd.stderr
    helped = run_natslab("watch", "--help")
    assert "only reads" in helped.stdout


def test_host_and_port_alone_is_an_http_url_as_natscli_takes_it(cluster, state_dir):
    bare = cluster.monitor("Y").removeprefix("http://")
    watch = NatslabProcess("watch", "--headless", bare)
    try:
        watch.wait_for(f"answers at http://{bare}", timeout=20)
        assert "Watching 1 server every 0.5 s" in watch.output
    finally:
        watch.close()


@pytest.mark.network
@pytest.mark.parametrize("through", ["http", "system account"])
async def test_a_server_restarted_on_another_version_is_reported(
    cluster, cache, state_dir, through
):
    from natslab.cluster import versions

    old = versions.resolve("2.11.0", "--nats-server")
    session = watch_of(cluster, through)  # the system account's login is on Y: it moves too
    watch = session.source.watch
    seen: list[object] = []
    session.bus.subscribe(seen.append)
    try:
        await rounds_until(
            watch, seen, lambda s: "Y" in {e.server for e in of(ev.WatchedServerUp, s)}, 20,
            "Y up",
        )  # fmt: skip
        cluster.stop("Y")
        cluster.binary, new = old, cluster.binary
        cluster.start("Y")
        await rounds_until(
            watch, seen, lambda s: of(ev.WatchedVersionChanged, s), 30, "Y on 2.11.0"
        )
    finally:
        await session.close()
    (changed,) = of(ev.WatchedVersionChanged, seen)
    assert (changed.server, changed.previous, changed.version) == ("Y", new.version, "2.11.0")


async def test_lame_duck_shows_as_a_closed_client_port(cluster, state_dir):
    """/varz has no lame-duck flag; what shows is /healthz failing while /varz answers."""
    watch = Watch.over_http([cluster.monitor("Z")], interval=0.1)
    seen: list[object] = []
    watch.bus.subscribe(seen.append)
    nc = await nats.connect(cluster.client("Z"), name="holder", max_reconnect_attempts=0)
    try:
        url = cluster.monitor("Z")
        await rounds_until(
            watch, seen, lambda s: _serving(watch.view.servers.get(url)), 20,
            "Z healthy",
        )  # fmt: skip
        cluster.procs["Z"].send_signal(signal.SIGUSR2)
        await rounds_until(
            watch, seen, lambda s: any(e.listener_closed for e in of(ev.WatchedHealthChanged, s)),
            10, "the closed client port",
        )  # fmt: skip
    finally:
        await nc.close()
        await watch.aclose()
    line = next(e for e in of(ev.WatchedHealthChanged, seen) if e.listener_closed).describe()
    assert line.endswith(
        "it was serving and its client port is now closed while it still answers"
        " (lame duck mode, or on its way down)"
    ), line
    assert not of(ev.WatchedServerDown, seen)  # /varz still answered: not down


async def test_a_server_already_unhealthy_is_marked_lame_duck_only_when_its_port_closes(
    binary, tmp_path, state_dir
):
    """Running but wrong first: Z serving, then X and Y stop and Z's JetStream loses its
    meta group's quorum, so /healthz fails for another reason (503): not lame duck. Then
    lame duck closes Z's client port (/healthz 500, "failed to be ready for connections"):
    marked, though it was unhealthy already (the watch looked only when healthy turned
    unhealthy)."""
    cluster = Cluster(binary, tmp_path)
    session = watch_session(HttpRounds([cluster.monitor("Z")], 0.1), 0.1)
    watch = session.source.watch
    seen: list[object] = []
    session.bus.subscribe(seen.append)
    url = cluster.monitor("Z")
    nc = None
    try:
        for name in "XYZ":
            cluster.start(name)
        await rounds_until(watch, seen, lambda s: _serving(watch.view.servers.get(url)), 30,
                           "Z healthy")  # fmt: skip
        # A client keeps lame duck going (with none, the server is gone within a round).
        nc = await nats.connect(cluster.client("Z"), name="holder", max_reconnect_attempts=0)
        cluster.stop("X")
        cluster.stop("Y")

        def unhealthy_otherwise(_seen) -> bool:
            answer = watch.view.servers.get(url)
            return (isinstance(answer, Watched) and not answer.status.healthy
                    and "ready for connections" not in answer.health)  # fmt: skip

        await rounds_until(watch, seen, unhealthy_otherwise, 30, "Z up but unhealthy")
        for _ in range(5):  # a few rounds of the wrong kind of unhealthy
            await watch.round()
        assert of(ev.WatchedHealthChanged, seen)  # the change was seen …
        assert not of(ev.LameDuckEntered, seen)  # … and not taken for lame duck
        cluster.procs["Z"].send_signal(signal.SIGUSR2)
        await rounds_until(watch, seen, lambda s: of(ev.LameDuckEntered, s), 10, "lame duck")
    finally:
        if nc is not None:
            await nc.close()
        await session.close()
        cluster.close()
    (closed,) = [e for e in of(ev.WatchedHealthChanged, seen) if e.listener_closed]
    assert "failed to be ready for connections" in closed.detail


def _serving(answer: Watched | Unreachable | None) -> bool:
    return isinstance(answer, Watched) and answer.status.healthy


class Impostor:
    """A local HTTP server answering /varz the way a wrong URL might: a redirect, a web page,
    or far too much (said up front, or only by sending it)."""

    def __init__(self) -> None:
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path.startswith("/moved"):
                    self.send_response(302)
                    self.send_header("Location", "http://127.0.0.1:1/elsewhere")
                    self.end_headers()
                    return
                body = b"<html>hello</html>" if self.path.startswith("/page") else b"x" * (33 << 20)
                self.send_response(200)
                if not self.path.startswith("/endless"):  # else its end is the connection's
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize(
    ("path", "sentence"),
    [
        ("http://127.0.0.1:{port}/moved", "redirects to http://127.0.0.1:1/elsewhere"),
        ("http://127.0.0.1:{port}/page", "is not JSON: not a NATS monitoring endpoint"),
        ("http://127.0.0.1:{port}/huge", "sent more than 32 MiB"),
        ("http://127.0.0.1:{port}/endless", "sent more than 32 MiB"),
        ("https://127.0.0.1:{port}", "TLS with https://127.0.0.1:"),
    ],
)
async def test_what_is_not_a_monitoring_endpoint_is_one_sentence(path, sentence):
    impostor = Impostor()
    watch = Watch.over_http([path.format(port=impostor.port)], interval=0.1)
    try:
        (result,) = await watch.round()
    finally:
        await watch.aclose()
        impostor.close()
    assert sentence in result.error, result.error


async def test_a_server_that_fails_is_polled_less_often_up_to_eight_intervals_apart(
    cluster, state_dir
):
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there: refused at once
    watch = Watch.over_http([dead, cluster.monitor("Y")], interval=0.1)
    polled_dead, polled_live = [], []
    try:
        for number in range(32):
            results = await watch.round()
            if any(r.url == dead for r in results):
                polled_dead.append(number)
            polled_live.append(any(r.url == cluster.monitor("Y") for r in results))
    finally:
        await watch.aclose()
    # 1, 2, 4, then 8 rounds apart; the server that answers is polled every round.
    assert polled_dead == [0, 1, 3, 7, 15, 23, 31]
    assert all(polled_live)


@pytest.fixture
def https_server(binary: ServerBinary, tmp_path: Path) -> Iterator[str]:
    """A nats-server whose monitoring port speaks HTTPS with a self-signed certificate."""
    key, cert = self_signed(tmp_path)
    ports = ports_for("A", find_free_offset("A"))
    conf = tmp_path / "https.conf"
    conf.write_text(
        f'host: "127.0.0.1"\nport: {ports.client}\nhttps: "127.0.0.1:{ports.monitor}"\n'
        f'tls {{ cert_file: "{cert}"\n key_file: "{key}" }}\n'
    )
    proc = subprocess.Popen(
        [str(binary.path), "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        wait_until(lambda: listening(ports.monitor), 20, what="the HTTPS monitoring port")
        yield f"https://127.0.0.1:{ports.monitor}"
    finally:
        proc.kill()
        proc.wait(10)


async def test_an_untrusted_certificate_is_a_sentence_and_insecure_reads_on(
    https_server, state_dir
):
    checked = Watch.over_http([https_server], interval=0.1)
    trusting = Watch.over_http([https_server], interval=0.1, insecure=True)
    try:
        (refused,) = await checked.round()
        (read,) = await trusting.round()
    finally:
        await checked.aclose()
        await trusting.aclose()
    assert refused.error == (  # type: ignore[union-attr]
        f"the TLS certificate of {https_server} is not trusted (--insecure skips the check)"
    )
    assert isinstance(read, Watched) and read.status.version and read.server
    # The command line passes --insecure through: the headless watch reads the server.
    for flags, said in (((), "is not trusted"), (("--insecure",), "answers at")):
        watch = NatslabProcess("watch", "--headless", *flags, https_server)
        try:
            watch.wait_for(said, timeout=20)
        finally:
            watch.close()
