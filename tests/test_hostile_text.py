"""Text from outside natslab is data on every surface: names and words as real deployments,
participants and lesson files spell them reach the watch's screen, the board, the headless
printers, and the Markdown and HTML reports (read in Chromium) as written, never as markup,
never as a widget id, never as script."""

import asyncio
import io
from concurrent.futures import ThreadPoolExecutor

import nats
import pytest
from rich.console import Console

from natslab.cluster import events as ev
from natslab.lessons import events as lev
from natslab.present import class_report
from natslab.present.lesson_printer import LessonPrinter
from natslab.present.report import md
from natslab.present.watch_printer import WatchPrinter
from natslab.room.roster import RoomState
from natslab.tui.app import NatsLabApp
from natslab.tui.board import BoardApp, detail_text
from natslab.watch.runner import HttpRounds
from natslab.watch.source import watch_session
from tests.tui.pilot import client_cell, pane_title, wait_for
from tests.watched import Cluster

# Each breaks something it reaches unescaped: Rich's and Textual's markup, a trailing
# backslash, a widget id, HTML and a template.
HOSTILE = [
    "see chapter [/] appendix",
    "Press [n]",
    "[@click=app.quit]quit[/]",
    "trailing\\",
    "<script>window.pwned = 1</script>",
    "<img src=x onerror=window.pwned=1>",
    "{{ 7 * 7 }}",
    "ünïcødé 名前",
]
SERVER_NAMES = {"X": "nats-1.eu-west.example.com", "Y": "pod-[/]-1", "Z": "ü<b>z</b>\\"}


def printed(printer_of, *events) -> str:
    out = io.StringIO()
    console = Console(file=out, width=400, highlight=False, soft_wrap=True)
    printer = printer_of(console)
    for event in events:
        printer(event)
    return out.getvalue()


@pytest.mark.parametrize("text", HOSTILE)
def test_the_headless_lesson_printer_prints_a_lesson_files_words_as_written(text):
    out = printed(
        LessonPrinter,
        lev.LessonStarted(lesson_id="x", title=text, steps=1),
        lev.StepStarted(index=0, title=text, narrative=text, commands=(text,)),
        lev.CheckResult(
            index=0, position=0, description=text, ok=True, observation=text, final=True
        ),
        lev.StepFinished(index=0, ok=True, duration=1.0),
    )
    assert out.count(text) >= 5, out


@pytest.mark.parametrize("text", HOSTILE)
def test_the_headless_watch_prints_a_servers_name_as_written(text):
    out = printed(
        WatchPrinter, ev.WatchedServerDown(server=text, at=1.0, url="http://x", error="refused")
    )
    assert text in out, out


def hostile_room() -> list[tuple[str, dict]]:
    """A room's messages whose every free-text field is hostile (one participant each)."""
    stored = []
    for n, text in enumerate(HOSTILE):
        who = f"p{n}"

        def put(kind, at, who=who, **fields):
            body = {"type": kind, "at": 100.0 + at, "id": f"{who}:{kind}", **fields}
            stored.append((f"natslab.demo.p.{who}.{kind}", body))

        put("LessonStarted", 0, lesson_id="herd", title=text)
        put("StepStarted", 1, index=2, title=text)
        put("HelpRequested", 2, index=2, title=text, checks=[text], versions=text,
            servers=text, clients=text)  # fmt: skip
        put("PredictionJudged", 3, index=2, question=text, answers=[text, text],
            answer=n % 2, measured=text, matched=True, value=float(n))  # fmt: skip
        put("CheckResult", 4, index=2, description=text, observation=text, ok=False,
            final=True, figure=float(n), versions=text)  # fmt: skip
    stored.append(("natslab.demo.p._room.Revealed",
                   {"type": "Revealed", "lesson": "herd", "step": 2, "id": "r"}))  # fmt: skip
    return stored


class Recorded:
    """A board feed over a fixed state: nothing to start, nothing sent."""

    read_only = "A recording."

    def __init__(self, state: RoomState) -> None:
        self.room, self.state, self.revision = "demo", state, 1

    def now(self) -> float:
        return 200.0

    def unreachable(self) -> str:
        return ""

    async def start(self) -> None: ...

    async def close(self) -> None: ...


async def test_the_board_shows_hostile_participant_text_as_written():
    state = RoomState()
    state.take_all(hostile_room())
    assert state.refused_total == 0
    app = BoardApp(Recorded(state))  # type: ignore[arg-type]
    async with app.run_test(size=(200, 50)) as pilot:
        roster = app.query_one("#roster")
        await wait_for(pilot, lambda: roster.row_count == len(HOSTILE), 10, "every row")
        steps = {str(roster.get_row_at(i)[3]) for i in range(roster.row_count)}
        assert steps == {f"3. {text}" for text in HOSTILE}
        question = app.query_one("#questions")
        assert question.row_count == 1
        await pilot.press("enter")  # the roster's first row: a detail
        await pilot.pause()
        assert app.is_running
    for who in state.participants.values():
        assert detail_text(who).plain.count(HOSTILE[int(who.name[1:])]) >= 5


def test_the_class_report_escapes_hostile_text_and_keeps_it(state_dir, browser):
    report = class_report.build("demo", hostile_room())
    html_path, md_path = class_report.write(report)
    markdown = md_path.read_text()
    for text in HOSTILE:  # as Markdown shows it: < and > as entities, a reader sees them
        assert md(text) in markdown
    assert "<script>" not in markdown and "<img" not in markdown
    page = browser.new_page()
    page.goto(html_path.as_uri())
    assert page.evaluate("window.pwned") is None  # no script of theirs ran
    shown = page.inner_text("body")
    for text in HOSTILE:
        assert text in shown, text
    page.close()


def test_the_watch_screen_takes_real_names_as_data(binary, tmp_path, state_dir, browser):
    """Three servers named as deployments name them (an FQDN, a pod, markup and a trailing
    backslash), a client named as hostile as can be: the watch screen shows each as written,
    and the watch's report escapes them in Chromium."""
    from natslab.present.report import to_html
    from natslab.present.report_model import build

    named = HOSTILE[4] + HOSTILE[0]
    # Its own thread and loop: the sync Playwright of the browser fixture holds this one's.
    with ThreadPoolExecutor(1) as other:
        run_dir = other.submit(asyncio.run, watch_hostile_names(binary, tmp_path, named)).result()
    page_file = tmp_path / "watch.html"
    page_file.write_text(to_html(build(run_dir)))
    page = browser.new_page()
    page.goto(page_file.as_uri())
    assert page.evaluate("window.pwned") is None
    shown = page.inner_text("body")
    assert named in shown and SERVER_NAMES["Y"] in shown
    page.close()


async def watch_hostile_names(binary, tmp_path, named: str):
    """The watch's screen over three oddly named servers while `named` moves; its run."""
    cluster = Cluster(binary, tmp_path, SERVER_NAMES)
    session = watch_session(HttpRounds([cluster.monitor(n) for n in "XYZ"], 0.1), 0.1)
    app = NatsLabApp(session, [])
    nc = None
    try:
        for name in "XYZ":
            cluster.start(name)
        async with app.run_test(size=(160, 45)) as pilot:
            for server in SERVER_NAMES.values():
                await wait_for(pilot, lambda s=server: "running" in pane_title(app, s), 20, server)
                assert pane_title(app, server).startswith(server)
            nc = await nats.connect(cluster.client("X"), name=named, reconnect_time_wait=0.1)
            await wait_for(pilot, lambda: client_cell(app, named, 1) == SERVER_NAMES["X"], 10,
                           "the client on its server")  # fmt: skip
            cluster.stop("X")
            await wait_for(pilot, lambda: client_cell(app, named, 1) in
                           {SERVER_NAMES["Y"], SERVER_NAMES["Z"]}, 15, "moved")  # fmt: skip
            await pilot.press("q")
            await pilot.pause(0.2)
        assert app.return_code == 0
    finally:
        if nc is not None:
            await nc.close()
        await session.close()
        cluster.close()
    return session.run_dir.path


def test_names_from_monitoring_reach_the_screen_without_control_characters():
    """A client (or a server) may call itself anything: an escape sequence in its name
    would move the terminal's cursor and rewrite the watch's screen. It arrives as '?'."""
    from natslab.cluster.snapshot import connections, route_peers

    (conn,) = connections({"connections": [{"cid": 1, "name": "api\x1b[2J\u202e", "lang": "go\n"}]})
    assert (conn.name, conn.lang) == ("api?[2J?", "go?")
    (peer,) = route_peers({"routes": [{"remote_id": "NID", "remote_name": "n\x1b]0;x\x07"}]})
    assert peer.name == "n?]0;x?"
