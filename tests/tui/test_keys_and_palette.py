"""Keys a learner presses (r, s, p, m, tab, --auto) and the palette's actions, through Pilot."""

from pathlib import Path

import pytest
from textual.widgets._footer import FooterKey

from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons import catalog
from natslab.lessons.model import Lesson
from natslab.state import ActionTaken
from natslab.tui.app import NatsLabApp
from natslab.tui.widgets.footer import SteadyFooter
from tests.tui.pilot import run_palette, server_log, server_pane, wait_for

TWO_STEPS = {
    "id": "two",
    "title": "Two steps",
    "servers": ["A", "B"],
    "steps": [
        {
            "title": "A and one subscriber, expected on B",
            "narrative": "First notes.",
            "actions": [
                {"type": "start_server", "server": "A", "routes": []},
                {"type": "start_clients", "seeds": ["A"]},
            ],
            "checks": [{"type": "client_on", "servers": ["B"], "timeout": 1}],
        },
        {
            "title": "B on its own",
            "narrative": "Second notes.",
            "actions": [{"type": "start_server", "server": "B", "routes": []}],
            "checks": [{"type": "server_ready", "server": "B"}],
        },
    ],
}


async def tab_to_pane(pilot, app, other):
    """Press tab until a server pane other than `other` has the focus (a few presses)."""
    for _ in range(8):
        await pilot.press("tab")
        await wait_for(pilot, lambda: app.focused is not None, 5, "something focused")
        pane = app.panes.holding(app.focused)
        if pane is not None and pane is not other:
            return pane
    raise AssertionError("tab never reached another server pane")


def status(app) -> str:
    return str(app.query_one("#lesson-status").render())


def narrative(app) -> str:
    return app.query_one("#narrative").source


async def test_retry_skip_previous_notes_maximise_and_tab(session):
    lesson = Lesson.model_validate(TWO_STEPS)
    app = NatsLabApp(session, lesson.servers, lesson)
    runner = app.runner
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: "failed" in status(app), 20, "step 1 to fail")
        first_run = runner.record.steps[0]

        await pilot.press("r")  # its actions ran: only the checks run again
        await wait_for(
            pilot,
            lambda: runner.record.steps[0] is not first_run and not runner.progress.running,
            20,
            "the retry to finish",
        )
        assert runner.progress.failed and len(session.source.fleet.clients) == 1

        await pilot.press("s")
        await wait_for(pilot, lambda: runner.progress.next_index == 1, 5, "the skip")
        await pilot.press("n")
        await wait_for(pilot, lambda: "Lesson complete" in status(app), 20, "step 2 to pass")
        assert narrative(app).startswith("**B on its own**")

        await pilot.press("p")
        await wait_for(
            pilot, lambda: narrative(app).startswith("**Step 2: B on its own**"), 5, "p once"
        )
        await pilot.press("p")
        await wait_for(pilot, lambda: "First notes." in narrative(app), 5, "p twice")

        # tab walks the focusable widgets: the lesson's scrolling parts, then the panes.
        first = await tab_to_pane(pilot, app, None)
        second = await tab_to_pane(pilot, app, first)
        assert second is not first
        await pilot.press("m")
        await wait_for(pilot, lambda: app.screen.maximized is not None, 5, "maximised")
        await pilot.press("m")
        await wait_for(pilot, lambda: app.screen.maximized is None, 5, "restored")


async def test_auto_runs_every_step_without_a_key(session):
    """On a projector nobody answers or acts: the question shows during the pause before its
    step, then the reveal; a hands-on step is done by natslab."""
    question = {
        "question": "How many clients are on A?",
        "judge": {"type": "clients_on", "server": "A"},
        "answers": [{"text": "none", "below": 1}, {"text": "some", "at_least": 1}],
    }
    lesson = Lesson.model_validate(
        {
            **TWO_STEPS,
            "steps": [
                {
                    "title": "A",
                    "actions": [
                        {"type": "start_server", "server": "A", "routes": []},
                        {"type": "start_clients", "seeds": ["A"]},
                    ],
                    "checks": [{"type": "client_on", "servers": ["A"]}],
                },
                {**TWO_STEPS["steps"][1], "predict": question},
                {
                    "title": "Stop B",
                    "hands_on": True,
                    "actions": [{"type": "stop_server", "server": "B"}],
                },
            ],
        }
    )
    seen: list[object] = []
    session.bus.subscribe(seen.append)
    app = NatsLabApp(session, lesson.servers, lesson, auto=True, auto_pause=1.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot, lambda: "Predict (step 2)" in str(app.query_one("#prompt").render()), 30,
            "the question, during the pause",
        )  # fmt: skip
        assert not app.runner.progress.running
        await wait_for(
            pilot,
            lambda: "not answered: the run says 2. some" in str(app.query_one("#reveal").render()),
            30, "the reveal, during the next pause",
        )  # fmt: skip
        await wait_for(pilot, lambda: "Lesson complete" in status(app), 30, "the lesson to finish")
        record = app.runner.record
        assert [s.ok for s in record.steps.values()] == [True, True, True]
        reveal = record.steps[1].prediction
        assert reveal is not None and reveal.answer is None and reveal.right == (1,)
        kinds = [type(e).__name__ for e in seen]
        assert "HandsOnWaiting" not in kinds
        assert record.steps[2].actions[0].detail.startswith("stopped B with Ctrl+C")


class PaletteRun:
    """A free-form lab of A and B (with an upgrade binary), its notifications recorded, and
    a way to run one palette entry and wait until it has done what it says."""

    def __init__(self, offset, binary, tmp_path):
        upgrade = tmp_path / "new" / "nats-server"
        upgrade.parent.mkdir()
        upgrade.write_bytes(Path(binary.path).read_bytes())
        upgrade.chmod(0o755)
        self.upgrade = upgrade.resolve()
        self.session = open_lab(settings=RunSettings(offset=offset, upgrade_binary=upgrade))
        self.state = self.session.state
        self.app = NatsLabApp(self.session, ["A", "B"], start_servers=True)
        self.notes: list[tuple[str, str]] = []  # every notification, as (title, message)
        self.app.notify = lambda message, title="", **_: self.notes.append((title, message))  # type: ignore[method-assign]
        self.taken: list[ActionTaken] = []  # what the session recorded for the report
        self.session.bus.subscribe(
            lambda e: self.taken.append(e) if isinstance(e, ActionTaken) else None
        )

    def said(self, title: str) -> str:
        """What the action line showed for the action, once the run recorded it."""
        taken = next((t for t in self.taken if t.title == title), None)
        if taken is None:
            return ""
        shown = str(self.app.action_line.render())
        assert shown.startswith(f"✓ {title}: {taken.detail}") or title not in shown, shown
        return f"{taken.detail}\n$ {taken.command}"

    async def run(self, pilot, title: str, done) -> str:
        await run_palette(pilot, title)
        await wait_for(pilot, lambda: self.said(title) != "" and done(), 20, title)
        assert not [n for n in self.notes if n[0] == title]  # no toast over the clients
        return self.said(title)


@pytest.fixture
async def palette(offset, binary, tmp_path):
    lab = PaletteRun(offset, binary, tmp_path)
    try:
        yield lab
    finally:
        await lab.session.close()


async def test_palette_kill_seed_publish_and_toggle_do_what_they_say(palette):
    state, session = palette.state, palette.session
    async with palette.app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: state.is_full_mesh("AB"), 20, "the mesh A-B")
        pid_b = state.servers["B"].pid

        shown = await palette.run(pilot, "Kill server B", lambda: not state.servers["B"].up)
        assert f"$ kill -KILL {pid_b}" in shown and "killed B" in shown
        shown = await palette.run(
            pilot, "Start server B as a seed (no routes)", lambda: state.servers["B"].up
        )
        assert "$ nats-server -D -p" in shown and "-routes" not in shown
        shown = await palette.run(
            pilot, "Start a publisher on A", lambda: bool(session.source.fleet.publishers())
        )
        assert "publishing 100 msg/s" in shown and "$ nats pub -s nats://127.0.0.1:" in shown
        shown = await palette.run(
            pilot,
            "Toggle dont_randomize for new clients (now off)",
            lambda: session.operator.palette_clients.dont_randomize,
        )
        assert "dont_randomize is on" in shown and "$ nats-py: connect(dont_randomize" in shown


async def test_palette_restart_upgrade_and_lame_duck_do_what_they_say(palette):
    state = palette.state
    async with palette.app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: state.is_full_mesh("AB"), 20, "the mesh A-B")
        before = state.servers["A"].pid
        shown = await palette.run(
            pilot, "Restart server A", lambda: state.servers["A"].pid != before
        )
        assert "restarted A with nats-server" in shown
        shown = await palette.run(
            pilot, "Upgrade server A", lambda: state.servers["A"].binary == palette.upgrade
        )
        assert f"({palette.upgrade})" in shown or str(palette.upgrade) in shown
        pid_b = state.servers["B"].pid
        shown = await palette.run(pilot, "Lame duck server B", lambda: not state.servers["B"].up)
        assert f"$ nats-server --signal ldm={pid_b}" in shown


async def test_a_free_form_lab_offers_only_the_labs_keys(session):
    from natslab.tui.screens import HelpScreen
    from natslab.tui.widgets.footer import SteadyFooter

    app = NatsLabApp(session, ["A", "B"])
    async with app.run_test(size=(120, 40)) as pilot:
        footer = app.query_one(SteadyFooter)
        await wait_for(pilot, lambda: bool(footer.query("FooterKey")), 5, "the footer")
        shown = {key.description for key in footer.query("FooterKey")}
        assert "Search" in shown
        assert not shown & {"Next step", "Retry", "Skip", "Prev notes"}
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), 5, "the help")
        source = app.screen.query_one("#help").source
        assert "`/`" in source and "run the next step" not in source


async def test_at_80_columns_one_log_shows_at_a_time_and_brackets_switch(session):
    app = NatsLabApp(session, ["A", "B", "C"], start_servers=True)  # entries for the timeline
    async with app.run_test(size=(80, 24)) as pilot:
        panes = {name: server_pane(app, name) for name in "ABC"}
        await wait_for(pilot, lambda: panes["A"].display and panes["A"].region.height > 0, 5, "A")
        assert [panes[n].region.height for n in "BC"] == [0, 0]
        await pilot.press("right_square_bracket")
        await wait_for(pilot, lambda: panes["B"].region.height > 0, 5, "B shown")
        assert panes["A"].region.height == 0
        await pilot.press("left_square_bracket", "left_square_bracket")
        await wait_for(pilot, lambda: panes["C"].region.height > 0, 5, "C shown, wrapping round")
        timeline, clients = app.query_one("#timeline"), app.query_one("#client-panel")
        assert timeline.region.height == 0 and clients.region.height > 0
        await wait_for(pilot, lambda: len(timeline.entries) >= 3, 20, "a few timeline entries")
        await pilot.press("t")
        await wait_for(pilot, lambda: timeline.region.height > 0, 5, "the timeline in its place")
        assert clients.region.height == 0

        def wrapped_at_its_width() -> bool:
            """Each entry takes the lines it needs at the shown width, not at the hidden one."""
            width = timeline.scrollable_content_region.width
            entries = list(timeline.entries)
            needed = sum(len(text.wrap(app.console, width)) for text in entries)
            return width > 40 and len(timeline.lines) == needed

        await wait_for(pilot, wrapped_at_its_width, 5, "the timeline re-wrapped at 78 columns")


async def test_the_line_a_check_quoted_is_marked_in_its_pane(session):
    from rich.style import Style

    from natslab.present.renderings import CITED_STYLE

    lesson = Lesson.model_validate(
        {
            "id": "cite",
            "title": "Cite",
            "servers": ["A"],
            "steps": [
                {
                    "title": "A",
                    "actions": [{"type": "start_server", "server": "A", "routes": []}],
                    "checks": [
                        {"type": "log_contains", "server": "A", "pattern": "Server is ready"}
                    ],
                }
            ],
        }
    )
    app = NatsLabApp(session, lesson.servers, lesson)
    marked = Style.parse(CITED_STYLE).bgcolor

    def background(log, index: int) -> set[object]:
        return {s.style.bgcolor for s in log.strip_at(log.first_row(index)) if s.style}

    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await wait_for(pilot, lambda: "Lesson complete" in status(app), 20, "the step to pass")
        log = server_log(app, "A")
        # The check read the log store; the pane shows the line at its next redraw.
        await wait_for(
            pilot, lambda: any("Server is ready" in line for line in log.lines), 5, "the line"
        )
        ready = next(i for i, line in enumerate(log.lines) if "Server is ready" in line)
        await wait_for(pilot, lambda: marked in background(log, ready), 5, "the quoted line marked")
        assert marked not in background(log, 0), "only the quoted line is marked"


async def test_a_narrow_client_panel_keeps_the_columns_a_move_is_judged_by(session):
    from natslab.lessons import catalog
    from natslab.present.renderings import CLIENT_COLUMNS, COMPACT_CLIENT_COLUMNS
    from natslab.tui.widgets.client_panel import ClientPanel

    lesson = catalog.load("upgrade")
    for size, expected in (((120, 40), COMPACT_CLIENT_COLUMNS), ((200, 50), CLIENT_COLUMNS)):
        app = NatsLabApp(session, lesson.servers, lesson)
        async with app.run_test(size=size) as pilot:
            table = app.query_one("#clients")
            await wait_for(
                pilot,
                lambda t=table, e=expected: tuple(str(c.label) for c in t.columns.values()) == e,
                5,
                f"the columns at {size}",
            )
            panel = app.query_one(ClientPanel)
            assert panel.size.width < panel.COMPACT_BELOW or expected == CLIENT_COLUMNS


async def test_f_unfolds_a_panes_log_and_v_shows_the_raw_lines(palette):
    state = palette.state
    async with palette.app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: state.is_full_mesh("AB"), 20, "the mesh A-B")
        footer = palette.app.query_one(SteadyFooter)

        def f_dimmed() -> bool:
            return any(k.key == "f" and k.has_class("-disabled") for k in footer.query(FooterKey))

        palette.app.query_one("#clients").focus()  # no log: f and v show, dimmed
        await wait_for(pilot, f_dimmed, 5, "f dimmed off a log")
        pane = await tab_to_pane(pilot, palette.app, None)
        await wait_for(pilot, lambda: not f_dimmed(), 5, "f lit on a log")
        log = pane.log_view
        await wait_for(pilot, lambda: "hidden:" in pane.border_subtitle, 10, "folded lines")
        folded = len(log.lines)

        await pilot.press("f")  # every line, the noise the fold hid included
        assert pane.border_subtitle == "every line · f: fold"
        await wait_for(pilot, lambda: len(log.lines) > folded, 5, "the hidden lines shown")
        assert not any(line.startswith("[") for line in log.lines)  # still the compact form

        await pilot.press("v")  # as nats-server wrote them: "[pid] date time [LVL] ..."
        assert pane.border_subtitle == "raw lines · v: compact"
        pid = state.servers[pane.server].pid
        await wait_for(
            pilot, lambda: log.lines and log.lines[0].startswith(f"[{pid}] "), 5, "raw lines"
        )
        await pilot.press("v", "f")
        await wait_for(pilot, lambda: "hidden:" in pane.border_subtitle, 5, "folded again")


async def test_palette_toggles_honoring_lame_duck_and_avoid_lost_server_for_new_clients(palette):
    session = palette.session
    async with palette.app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: palette.state.is_full_mesh("AB"), 20, "the mesh A-B")
        for switch, title in (
            ("honor_lame_duck", "Toggle honor_lame_duck for new clients (now off)"),
            ("avoid_lost_server", "Toggle avoid_lost_server for new clients (now off)"),
        ):
            shown = await palette.run(
                pilot, title, lambda s=switch: getattr(session.operator.palette_clients, s)
            )
            assert "is on" in shown, shown
        switches = session.operator.palette_clients
        assert switches.honor_lame_duck and switches.avoid_lost_server
        # New subscribers take them: nats-py's own options, as the lab client passes them.
        await palette.run(pilot, "Add 5 subscribers to A", lambda: "sub-5" in palette.state.clients)
        options = palette.state.clients["sub-1"].options
        assert options["honor_lame_duck"] and options["avoid_lost_server"], options


async def test_the_help_scrolls_to_its_last_lines_on_a_laptop_screen(session):
    from textual.containers import VerticalScroll

    from natslab.tui.screens import HelpScreen

    app = NatsLabApp(session, ["A", "B"], catalog.load("upgrade"))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen), 5, "the help")
        scroll = app.screen.query_one("#help-scroll", VerticalScroll)
        await wait_for(pilot, lambda: scroll.max_scroll_y > 0, 5, "help longer than its box")
        await pilot.press("end")
        await wait_for(pilot, lambda: scroll.scroll_y == scroll.max_scroll_y, 5, "the end")
        # The last lines (what ×2 and a struck-through name mean) are in view now.
        last = app.screen.query("#help MarkdownBlock").last()
        assert scroll.scrollable_content_region.contains_region(last.region) or (
            last.region.bottom <= scroll.scrollable_content_region.bottom
        )


async def test_at_80x24_the_client_panel_shows_its_clients_rows(session):
    """The per-server chart gives way so that the table's header and its three rows show."""
    from natslab.present.renderings import CLIENT_COLUMNS

    app = NatsLabApp(session, ["A", "B", "C"], start_servers=True, subscribers=3)
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.query_one("#clients")

        def rows_shown() -> bool:  # with the chart given way: it has a line per server by then
            short = app.client_panel.has_class("-short")
            return short and table.row_count == 3 and table.region.height >= 4

        await wait_for(pilot, rows_shown, 30, "the chart hidden, three subscribers' rows in view")
        # Every column fits: a horizontal scrollbar would take one of the rows.
        columns = tuple(str(c.label) for c in table.columns.values())
        assert columns == CLIENT_COLUMNS
        assert not table.show_horizontal_scrollbar
    app = NatsLabApp(session, ["A", "B", "C"])
    async with app.run_test(size=(120, 40)) as pilot:  # with room, the chart stays
        await wait_for(pilot, lambda: app.client_panel.content_size.height > 0, 5, "the panel")
        assert not app.client_panel.has_class("-short")
