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
