"""The README is the front door: it links every page under docs/, every relative link of the
README and of those pages leads to a file that exists, and its test command is CI's."""

import re
from pathlib import Path

ROOT = Path(__file__).parent.parent
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def relative_links(page: Path) -> list[str]:
    return [t for t in LINK.findall(page.read_text()) if "://" not in t]


def test_every_docs_page_is_linked_from_the_readme_and_every_link_resolves():
    pages = sorted((ROOT / "docs").glob("*.md"))
    assert len(pages) >= 7, pages
    from_readme = {(ROOT / t).resolve() for t in relative_links(ROOT / "README.md")}
    assert {p.resolve() for p in pages} <= from_readme
    for page in [ROOT / "README.md", *pages]:
        for target in relative_links(page):
            assert (page.parent / target).exists(), f"{page.name} links {target}, not there"


def test_the_readme_shows_the_screen_and_the_test_command_ci_runs():
    readme = (ROOT / "README.md").read_text()
    assert "](docs/screenshot.svg)" in readme and (ROOT / "docs" / "screenshot.svg").exists()
    assert "pip install -e '.[test]' && pytest" in readme
    assert "pytest" in (ROOT / ".ci" / "run").read_text()


def test_the_readmes_lesson_table_counts_each_lessons_steps_and_questions():
    """A newcomer found replace-node listed with 5 steps and 1 question after it had 6 and 2."""
    from natslab.lessons import catalog

    rows = re.findall(r"^\| `([a-z-]+)` \| .* \| (\d+)(?:, (\d+) questions?)? \|$",
                      (ROOT / "README.md").read_text(), re.MULTILINE)  # fmt: skip
    listed = {name: (int(steps), int(asked or 0)) for name, steps, asked in rows}
    lessons = {name: catalog.load(name) for name in catalog.bundled()}
    actual = {
        name: (len(lesson.steps), sum(1 for step in lesson.steps if step.predict))
        for name, lesson in lessons.items()
    }
    assert listed == actual
