"""labs/README.md documents every action, check and field a lesson file may use."""

import dataclasses
import re
import typing
from pathlib import Path

from natslab.lessons import model as m

README = (Path(__file__).parent.parent.parent / "labs" / "README.md").read_text()


def rows() -> dict[str, str]:
    """The format tables: the first cell's type names -> the row's text."""
    found = {}
    for line in README.splitlines():
        cells = line.split("|")
        if len(cells) > 2:
            for name in re.findall(r"`([a-z_]+)`", cells[1]):
                found.setdefault(name, line)  # the action and check tables come first
    return found


def fields(model: type) -> set[str]:
    if dataclasses.is_dataclass(model):
        names = {f.name for f in dataclasses.fields(model)}
    else:
        names = set(model.model_fields)
    return names - {"type"}


def test_every_action_and_check_field_is_documented():
    documented = rows()
    missing = []
    for union in (m.Action, m.Check):
        for model in typing.get_args(typing.get_args(union)[0]):
            tag = (
                model.__pydantic_fields__["type"].annotation.__args__[0]
                if dataclasses.is_dataclass(model)
                else model.model_fields["type"].annotation.__args__[0]
            )
            row = documented.get(tag)
            if row is None:
                missing.append(f"{tag}: no row")
                continue
            for field in fields(model) - {"timeout", "holds_for"}:
                if f"`{field}`" not in row:
                    missing.append(f"{tag}.{field}")
    assert missing == []


def test_the_fields_every_check_has_are_documented():
    for field in ("timeout", "holds_for"):
        assert f"`{field}`" in README


def test_every_lesson_and_course_field_is_documented():
    """A lesson file's top-level fields in the format's example, a course's in its own."""
    from natslab.lessons.courses import Course

    example, courses = README.split("## Format")[1].split("### Courses")
    for field in m.Lesson.model_fields:
        assert re.search(rf"^({field} = |\[\[{field}\]\])", example, re.MULTILINE), field
    for field in Course.model_fields:
        assert re.search(rf"^{field} = ", courses.split("## ")[0], re.MULTILINE), field
    assert "`needs`" in example


def test_the_operations_coverage_table_counts_itself_and_names_real_things():
    """labs/README.md's table of the docs' procedures: its "N of M" is its own rows, and
    every lesson, action or check it names exists."""
    from natslab.lessons import catalog

    text = Path(__file__).resolve().parents[2].joinpath("labs", "README.md").read_text()
    section = text.split("## What the operations course rehearses", 1)[1]
    rows = [line for line in section.splitlines() if line.startswith("| ") and "---" not in line]
    rows = rows[1:]  # the header
    covered = [row for row in rows if not row.rstrip(" |").endswith("not yet")]
    said = re.search(r"(\d+) of (\d+) procedures are covered", section)
    assert said and (int(said[1]), int(said[2])) == (len(covered), len(rows))
    named = {name for row in covered for name in re.findall(r"`([a-z_-]+)`", row.split("|")[3])}
    known = set(catalog.bundled()) | set(documented_tags()) | {"tags", "account_info"}
    assert named - known == set(), named - known


def documented_tags() -> set[str]:
    tags = set()
    for union in (m.Action, m.Check):
        for model in typing.get_args(typing.get_args(union)[0]):
            field = (
                model.__pydantic_fields__["type"]
                if dataclasses.is_dataclass(model)
                else model.model_fields["type"]
            )
            tags.add(field.annotation.__args__[0])
    return tags
