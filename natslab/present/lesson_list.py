"""`natslab tutorial list`: the bundled lessons under their courses' headings, in the order
to take them, each with what it needs first and the learner's own last run of it."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.table import Column, Table
from rich.text import Text

from natslab.lessons import catalog
from natslab.lessons.courses import find_course, load_courses
from natslab.lessons.model import Lesson
from natslab.present.runs import Finished, last_finished
from natslab.words import counted

NARROW = 64  # columns below which a table's third column is too thin to read: one a line


def print_lessons(console: Console, only: str | None = None) -> None:
    """Every course (or the one called `only`), its heading and sentence, then its lessons."""
    every = load_courses()
    courses = [find_course(only)] if only is not None else every
    home = {lesson: course.id for course in every for lesson in course.lessons}
    lessons = {name: catalog.load(str(path)) for name, path in catalog.bundled().items()}
    groups = [(Text.assemble((c.title, "bold"), f" (course {c.id})"), c.about, c.lessons)
              for c in courses]  # fmt: skip
    if only is None and (loose := [name for name in lessons if name not in home]):
        groups.append((Text("In no course yet", style="bold"), "", loose))
    finished = last_finished()
    narrow = console.width < NARROW
    which = f"The lessons of course {only}" if only is not None else "Lessons by course"
    key = "" if narrow else " (? = questions to predict)"
    say(console, f"{which}, in the order to take them{key}:")
    widths = (max(map(len, lessons)), max(len(steps_text(one)) for one in lessons.values()))
    for heading, about, names in groups:
        console.print()
        say(console, heading)
        if about:
            say(console, about)
        shown = [(lesson, what_it_teaches(lesson, home, finished))
                 for lesson in (lessons[name] for name in names)]  # fmt: skip
        console.print(stacked(shown) if narrow else table(shown, widths), soft_wrap=False)
    if not finished:
        say(console, "How long each takes depends on your pace; once you have run one, its "
            "time shows here.")  # fmt: skip
    say(console, "Run one with `natslab tutorial NAME`, or give a path to your own .toml file.")


def say(console: Console, text: str | Text) -> None:
    """A line of prose, wrapped at the terminal's width (the CLI's console soft-wraps)."""
    console.print(Text(text) if isinstance(text, str) else text, soft_wrap=False)


def table(shown: list[tuple[Lesson, Text]], widths: tuple[int, int]) -> Table:
    """One course's lessons in three columns; the first two as wide in every course's table,
    so that they line up."""
    lessons = Table(
        Column("Lesson", no_wrap=True, min_width=widths[0]),
        Column("Steps", no_wrap=True, min_width=widths[1]),
        "What it teaches",
        box=None,
        pad_edge=False,
    )
    for lesson, about in shown:
        lessons.add_row(lesson.id, steps_text(lesson), about)
        lessons.add_row()
    return lessons


def stacked(shown: list[tuple[Lesson, Text]]) -> RenderableType:
    """For a narrow terminal: each lesson's name and steps on a line, what it teaches under it."""
    parts: list[RenderableType] = []
    for lesson, about in shown:
        asked = sum(1 for step in lesson.steps if step.predict)
        count = f"{counted(len(lesson.steps), 'step')}, {counted(asked, 'question')}"
        parts += [Text(f"{lesson.id}  ({count})"), Padding(about, (0, 0, 1, 2))]
    return Group(*parts)


def what_it_teaches(lesson: Lesson, home: dict[str, str], finished: dict[str, Finished]) -> Text:
    """Its title, its summary, what it needs first, and how the learner's last run went."""
    about = Text.assemble((lesson.title, "bold"), "\n", " ".join(lesson.summary.split()))
    if lesson.needs:
        about.append(f"\nneeds first: {needs_text(lesson, home)}", style="dim")
    last = finished.get(lesson.id)
    if last is not None:  # measured here, at whatever pace that run went
        how = "passed" if last.ok else "did not pass"
        about.append(f"\nYour last run took {took(last.duration)} and {how}.", style="dim")
    return about


def steps_text(lesson: Lesson) -> str:
    """'9, 3 ?': its steps, and how many of them ask a question."""
    asked = sum(1 for step in lesson.steps if step.predict)
    return f"{len(lesson.steps)}" + (f", {asked} ?" if asked else "")


def needs_text(lesson: Lesson, home: dict[str, str]) -> str:
    """'upgrade', or 'auth (in course upgrades)' for a lesson another course teaches."""
    said = []
    for need in lesson.needs:
        elsewhere = need in home and home[need] != home.get(lesson.id)
        said.append(f"{need} (in course {home[need]})" if elsewhere else need)
    return ", ".join(said)


def took(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds // 60:.0f} min {seconds % 60:.0f} s"
