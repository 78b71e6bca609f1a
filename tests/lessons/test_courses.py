"""Courses (labs/courses.toml): every bundled lesson in one, each listed lesson a bundled one,
and `natslab tutorial list` showing them, whole or one course, at any terminal width."""

import pytest

from natslab.errors import LessonFileError
from natslab.lessons import catalog
from natslab.lessons.courses import find_course, load_courses
from tests.cli_process import run_natslab

COURSES = """
[[courses]]
id = "first"
title = "First"
about = "The first one."
lessons = ["upgrade", "seed"]

[[courses]]
id = "second"
title = "Second"
about = "The second one."
lessons = ["herd"]
"""


def test_every_bundled_lesson_is_in_a_course():
    listed = [lesson for course in load_courses() for lesson in course.lessons]
    assert sorted(listed) == sorted(catalog.bundled())
    assert find_course("operations").lessons[0] == "cluster-name"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            '["herd"]',
            '["herd", "quorum-los"]',
            "courses.toml, field courses[1].lessons[1]: 'quorum-los' is not a bundled lesson "
            "(natslab has ",
        ),
        (
            '["herd"]',
            '["seed"]',
            "courses.toml, field courses[1].lessons[0]: 'seed' is already in course 'first'.",
        ),
        (
            'id = "second"',
            'id = "first"',
            "courses.toml, field courses[1].id: another course is also 'first'.",
        ),
        (
            '"The second one."',
            '"The second one"',
            "courses.toml, field courses[1].about: give one sentence, on one line, ending with "
            "a full stop.",
        ),
        ('lessons = ["herd"]\n', "", "courses.toml, field courses[1].lessons: this field is"),
    ],
    ids=["not bundled", "in two courses", "two ids", "not a sentence", "no lessons"],
)
def test_a_broken_courses_file_names_the_field(tmp_path, old, new, expected):
    path = tmp_path / "courses.toml"
    path.write_text(COURSES.replace(old, new))
    with pytest.raises(LessonFileError) as failed:
        load_courses(path)
    assert str(failed.value).startswith(expected), str(failed.value)


def test_a_good_courses_file_loads(tmp_path):
    path = tmp_path / "courses.toml"
    path.write_text(COURSES)
    assert [(c.id, c.lessons) for c in load_courses(path)] == [
        ("first", ["upgrade", "seed"]),
        ("second", ["herd"]),
    ]


def test_one_course_is_listed_alone_with_what_its_lessons_need_first():
    listing = run_natslab("tutorial", "list", "--course", "operations")
    assert listing.returncode == 0, listing.stderr
    out = listing.stdout
    assert "The lessons of course operations, in the order to take them" in out
    assert "\nA day of operations (course operations)\n" in out
    assert "\nconfig-reload " in out
    assert "needs first: auth (in course upgrades)" in out
    assert "Upgrading a cluster (course upgrades)" not in out
    assert "\nupgrade " not in out and "\nauth " not in out


def test_an_unknown_course_is_one_sentence_naming_the_known_ones():
    listing = run_natslab("tutorial", "list", "--course", "upgrade")
    assert listing.returncode == 1
    assert listing.stdout == ""
    assert listing.stderr.strip() == (
        "natslab: There is no course called 'upgrade'; natslab's courses are upgrades and "
        "operations."
    )
    running = run_natslab("tutorial", "herd", "--course", "upgrades")
    assert running.returncode == 1
    assert "--course is for `natslab tutorial list --course upgrades`" in running.stderr


@pytest.mark.parametrize("columns", [80, 50])
def test_the_listing_fits_the_terminal(monkeypatch, columns):
    """Every line fits the width, each lesson's name starts a line whole, and what each
    needs first is said, at 80 columns and on a narrow terminal alike."""
    monkeypatch.setenv("COLUMNS", str(columns))
    out = run_natslab("tutorial", "list").stdout
    too_wide = [line for line in out.splitlines() if len(line) > columns]
    assert too_wide == []
    for name in catalog.bundled():
        assert f"\n{name} " in out, name
    said = " ".join(out.split())
    assert "needs first: lame-duck" in said and "needs first: auth (in course upgrades)" in said
    assert said.count("needs first:") == sum(bool(catalog.load(n).needs) for n in catalog.bundled())


def test_a_participant_keeps_a_rooms_course_only_if_it_reads_as_a_course_id():
    """The room's answer is data from elsewhere: markup, or anything but an id, is dropped."""
    from natslab.lessons.courses import COURSE_ID
    from natslab.room.participant.membership import COURSE_NAME, course_in

    assert f"^{COURSE_NAME.pattern}$" == COURSE_ID
    assert course_in({"ok": True, "course": "operations"}) == "operations"
    for said in ("[red]x[/]", "Upgrades", "a" * 33, 3, None):
        assert course_in({"course": said}) == "", said
    assert course_in({"ok": True}) == ""
