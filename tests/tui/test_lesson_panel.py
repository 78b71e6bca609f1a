"""The lesson panel at a laptop's 120x40: every verdict and the next question in view, the
finished step's lines before the next step's preview, and the keyboard on the story."""

import pytest

from natslab.lab.local import open_lab
from natslab.lab.settings import RunSettings
from natslab.lessons import catalog
from natslab.lessons import events as ev
from natslab.tui.app import NatsLabApp
from natslab.tui.widgets.lesson_panel import LessonPanel, LessonStory
from tests.tui.pilot import first_block_text, wait_for

# As a learner's run of quorum-loss printed them at step 5 (walk at 120x40, stop 41): the
# ledger's report is the step's payoff, and it was below the next question's fold.
REPORT = (
    "ledger: step 1: 59 ms (2 failed, until step 2), step 2: 28247 ms (1411 failed, until "
    "step 4), step 3: under 20 ms, step 4: 33 ms, step 5: 67 ms; 0 acknowledged lost"
)


def tutorial_app(name: str):
    """A tutorial with no server running: the panel draws fixed events."""
    session = open_lab(settings=RunSettings(offset=12100))
    lesson = catalog.load(name)
    yield NatsLabApp(session, lesson.servers, lesson)
    session.source.supervisor.kill_all_now()
    session.run_dir.finish()


@pytest.fixture
def quorum_app():
    yield from tutorial_app("quorum-loss")


@pytest.fixture
def super_cluster_app():
    """The lesson with the longest title (70 characters)."""
    yield from tutorial_app("super-cluster")


def step_five_passed(lesson) -> list[ev.LessonEvent]:
    """Step 5 passed with three verdicts; step 6 previewed, with its question."""
    step, following = lesson.steps[4], lesson.steps[5]
    assert following.predict is not None
    checks = [
        ("stream LEDGER has a leader and all 3 replicas are current", "leader A; B, C current"),
        (
            "ledger: at most 0 acknowledged messages lost",
            "0 of 3603 acknowledged missing from LEDGER; 0 duplicates; 4818 failed publishes",
        ),
        ("measured: the ledger of every client", REPORT),
    ]
    return [
        ev.StepStarted(
            index=4, title=step.title, narrative=step.narrative, commands=tuple(step.commands)
        ),
        ev.ActionDone(
            index=4, action="restart_server", ok=True,
            detail="restarted C with nats-server 2.15.1", command="nats-server -D -p 4444",
        ),
        *(
            ev.CheckResult(index=4, position=n, description=d, ok=True, observation=o, final=True)
            for n, (d, o) in enumerate(checks)
        ),
        ev.StepFinished(index=4, ok=True, duration=0.7),
        ev.StepPreviewed(
            index=5, title=following.title, preview=following.preview,
            commands=tuple(following.commands), question=following.predict.question,
            answers=tuple(a.text for a in following.predict.answers),
        ),
    ]  # fmt: skip


async def test_every_verdict_and_the_whole_question_are_in_view_at_120_by_40(quorum_app):
    app = quorum_app
    async with app.run_test(size=(120, 40)) as pilot:
        for event in step_five_passed(app.lesson):
            app.runner._emit(event)
        narrative = app.query_one("#narrative")
        await wait_for(
            pilot,
            lambda: (
                "0 acknowledged lost" in str(app.query_one("#checks").render())
                and "Predict (step 6)" in str(app.query_one("#prompt").render())
                and first_block_text(narrative) == app.lesson.steps[4].title
            ),
            5,
            "step 5's verdicts and step 6's question",
        )
        await pilot.pause()
        verdicts, asks = app.query_one(".verdicts"), app.query_one(".asks")
        # Nothing to scroll to: every check line, the report included, and every answer.
        assert verdicts.max_scroll_y == 0, (verdicts.size, verdicts.virtual_size)
        assert asks.max_scroll_y == 0, (asks.size, asks.virtual_size)
        assert verdicts.region.bottom <= asks.region.y  # verdicts above, the question below
        story = app.query_one(LessonStory)
        assert story.size.height >= 4

        # The finished step's commands and action lines, then the next step's preview.
        commands, upcoming = app.query_one("#commands"), app.query_one("#upcoming")
        assert "restarted C" in str(commands.render())
        assert "Next: step 6" in upcoming.source and "Next:" not in narrative.source
        assert commands.virtual_region.y < upcoming.virtual_region.y


async def test_the_keyboard_reads_the_lesson_and_m_gives_it_the_screen(quorum_app):
    app = quorum_app
    async with app.run_test(size=(120, 40)) as pilot:
        for event in step_five_passed(app.lesson):
            app.runner._emit(event)
        story = app.query_one(LessonStory)
        await wait_for(pilot, lambda: story.max_scroll_y > 0, 5, "a story taller than its box")
        assert app.focused is story
        await pilot.press("pagedown")
        await wait_for(pilot, lambda: story.scroll_y > 0, 5, "the story to scroll")
        await pilot.press("m")
        panel = app.query_one(LessonPanel)
        # The whole screen, not the 48 columns the lesson has beside the logs at 120.
        await wait_for(
            pilot,
            lambda: app.screen.maximized is panel and panel.outer_size.width == app.size.width,
            5,
            "the lesson maximised across the screen",
        )
        await pilot.press("m")
        await wait_for(pilot, lambda: app.screen.maximized is None, 5, "restored")
        # Tab leaves the story for the logs: the verdicts and the question show all they
        # hold, so the keyboard has nothing to scroll there and does not stop at them.
        await pilot.press("tab")
        await wait_for(pilot, lambda: type(app.focused).__name__ == "FoldedLog", 5, "a log")


async def test_the_footer_shows_every_key_whole_at_120_columns(quorum_app):
    """It ended "v Raw li▏" at a laptop's width (from the learners' walks)."""
    from natslab.tui.widgets.footer import SteadyFooter

    app = quorum_app
    async with app.run_test(size=(120, 40)) as pilot:
        footer = app.query_one(SteadyFooter)
        await wait_for(pilot, lambda: bool(footer.query("FooterKey")), 5, "the footer")
        await pilot.pause()
        keys = {k.description: k for k in footer.query("FooterKey")}
        assert {"All lines", "Raw lines", "palette"} <= set(keys), sorted(keys)
        # Every key whole, and none under the palette's hint at the right end.
        hint = keys.pop("palette").region
        assert all(k.region.right <= hint.x for k in keys.values()), {
            d: k.region for d, k in keys.items()
        }


async def test_a_title_wider_than_the_border_is_whole_at_the_head_of_the_story(
    super_cluster_app,
):
    """The border cut it ("A super-cluster: two clusters joined by gatewa…", from a walk)."""
    app = super_cluster_app
    async with app.run_test(size=(120, 40)) as pilot:
        panel = app.query_one(LessonPanel)
        await wait_for(pilot, lambda: panel.size.width > 0, 5, "the lesson panel")
        assert len(app.lesson.title) > panel.size.width  # no border could hold it
        story = app.query_one("#narrative")
        # Drawn whole, first, wrapped within the story (bold, not a one-line heading).
        await wait_for(
            pilot, lambda: first_block_text(story) == app.lesson.title, 5, "the title drawn"
        )
        assert story.source.startswith(f"**{app.lesson.title}**\n\n{app.lesson.summary}")
