"""The footer and static text skip redundant rebuilds, yet still show every real change."""

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Button
from textual.widgets._footer import FooterKey

from natslab.tui.widgets.footer import SteadyFooter
from natslab.tui.widgets.steady import SteadyStatic
from tests.tui.pilot import wait_for


class WithExtraKey(Button):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("x", "noop", "Extra")]


class FooterApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Button("one", id="one")
        yield Button("two", id="two")
        yield WithExtraKey("extra", id="extra")
        yield SteadyStatic("first", id="text")
        yield SteadyFooter()


def footer_keys(app: App[None]) -> list[FooterKey]:
    return list(app.query_one(SteadyFooter).query(FooterKey))


def descriptions(app: App[None]) -> set[str]:
    return {key.description for key in footer_keys(app)}


async def test_footer_is_kept_while_the_keys_stay_and_rebuilt_when_they_change():
    app = FooterApp()
    async with app.run_test() as pilot:
        app.query_one("#one").focus()
        await wait_for(pilot, lambda: bool(footer_keys(app)), 5, "the footer's keys")
        keys = footer_keys(app)
        assert "Extra" not in descriptions(app)

        footer = app.query_one(SteadyFooter)
        asked = footer.decisions
        await pilot.press("tab")
        await wait_for(pilot, lambda: footer.decisions > asked, 5, "the footer to be asked")
        assert app.focused is app.query_one("#two")
        assert footer_keys(app) == keys, "same keys shown, yet the footer was rebuilt"

        await pilot.press("tab")
        await wait_for(pilot, lambda: "Extra" in descriptions(app), 5, "the Extra key shown")
        await pilot.press("tab")
        await wait_for(pilot, lambda: "Extra" not in descriptions(app), 5, "Extra gone again")


class Dimmable(App[None]):
    """A key that can act only while the second button has the focus: shown either way."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("y", "only_on_two", "Only two")]

    def compose(self) -> ComposeResult:
        yield Button("one", id="one")
        yield Button("two", id="two")
        yield SteadyFooter()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "only_on_two":
            return True if self.focused is self.query_one("#two") else None
        return True


async def test_a_key_that_only_dims_or_lights_is_restyled_in_place():
    app = Dimmable()
    async with app.run_test() as pilot:
        app.query_one("#one").focus()
        footer = app.query_one(SteadyFooter)
        await wait_for(pilot, lambda: "Only two" in descriptions(app), 5, "the key, dimmed")
        (key,) = [k for k in footer_keys(app) if k.description == "Only two"]
        await wait_for(pilot, lambda: key.has_class("-disabled"), 5, "the key dimmed")
        rebuilds = footer.rebuilds
        await pilot.press("tab")
        await wait_for(pilot, lambda: not key.has_class("-disabled"), 5, "the key lit")
        await pilot.press("tab")
        await wait_for(pilot, lambda: key.has_class("-disabled"), 5, "the key dimmed again")
        assert footer.rebuilds == rebuilds and key in footer_keys(app)  # the same widget


async def test_steady_static_skips_only_unchanged_content():
    app = FooterApp()
    async with app.run_test() as pilot:
        text = app.query_one("#text", SteadyStatic)
        await pilot.pause()
        refreshes = []
        original = text.refresh
        text.refresh = lambda *a, **k: refreshes.append(k) or original(*a, **k)  # type: ignore[method-assign]
        text.update("first")
        assert refreshes == []
        text.update("second")
        assert refreshes and str(text.content) == "second"


class PanesApp(App[None]):
    def compose(self) -> ComposeResult:
        from natslab.tui.widgets.pane_grid import PaneGrid

        yield PaneGrid(["A", "B"], stacked=False)


async def test_a_flooded_pane_is_drawn_four_times_a_second_and_ends_on_the_newest_line():
    """Times are given, not waited for: flush(now) decides from the `now` it is handed."""
    from natslab.tui.widgets.pane_grid import FLOOD_LINES, FLOOD_SECONDS, PaneGrid

    app = PanesApp()
    async with app.run_test() as pilot:
        grid = app.query_one(PaneGrid)
        log_a, log_b = grid.pane("A").log_view, grid.pane("B").log_view

        def flood(server: str, start: int) -> None:
            grid.queue(server, [f"[1] line {n} of {server}" for n in range(start, start + 500)])

        await wait_for(pilot, lambda: log_a.is_mounted and log_b.is_mounted, 5, "the logs")
        flood("A", 0)
        grid.queue("B", ["[1] a quiet line"])
        grid.flush(100.0)
        assert log_a.raw_lines[-1] == "[1] line 499 of A"  # the first batch goes at once
        flood("A", 500)
        grid.queue("B", ["[1] another quiet line"])
        grid.flush(100.0 + FLOOD_SECONDS / 2)
        assert log_a.raw_lines[-1] == "[1] line 499 of A"  # flooded: gathered, not drawn
        assert log_b.raw_lines[-1] == "[1] another quiet line"  # a quiet pane: at once
        grid.flush(100.0 + FLOOD_SECONDS)
        assert log_a.raw_lines[-1] == "[1] line 999 of A"  # a quarter second on: drawn
        grid.queue("A", ["[1] one line"] * FLOOD_LINES)  # not more than FLOOD_LINES: no flood
        grid.flush(100.0 + FLOOD_SECONDS + 0.01)
        assert len(log_a.raw_lines) == 1000 + FLOOD_LINES
