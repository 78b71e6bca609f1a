"""Courses: the bundled lessons put in the order to take them, a course at a time
(labs/courses.toml). Their order, course after course, is natslab's learning order."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, model_validator

from natslab.errors import LessonFileError, UsageError
from natslab.lessons.model import LessonId, describe_validation_error
from natslab.resources import COURSES_FILE, bundled_labs_dir
from natslab.words import both

COURSE_ID = r"^[a-z][a-z0-9-]{0,31}$"


def _one_sentence(text: str) -> str:
    if "\n" in text.strip() or not text.strip().endswith((".", "?", "!")):
        raise ValueError("give one sentence, on one line, ending with a full stop")
    return " ".join(text.split())


class Course(BaseModel):
    """A named sequence of bundled lessons, taken in the order listed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=COURSE_ID)
    title: str = Field(min_length=1)
    about: Annotated[str, AfterValidator(_one_sentence)]
    lessons: list[LessonId] = Field(min_length=1)


class Courses(BaseModel):
    """Every course, in the order to take them; a lesson belongs to one course at most."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    courses: list[Course] = Field(min_length=1)

    @model_validator(mode="after")
    def _each_id_and_lesson_once(self) -> Courses:
        owner: dict[str, str] = {}
        problems: list[str] = []
        for index, course in enumerate(self.courses):
            if course.id in [c.id for c in self.courses[:index]]:
                problems.append(f"@courses.{index}.id: another course is also {course.id!r}")
            for position, lesson in enumerate(course.lessons):
                if lesson in owner:
                    problems.append(f"@courses.{index}.lessons.{position}: {lesson!r} is "
                                    f"already in course {owner[lesson]!r}")  # fmt: skip
                owner.setdefault(lesson, course.id)
        if problems:
            raise ValueError("\n".join(problems))
        return self


def courses_file() -> Path:
    return bundled_labs_dir() / COURSES_FILE


def load_courses(path: Path | None = None) -> list[Course]:
    """The courses file (the bundled one unless `path`), validated: every lesson a course
    lists is a bundled lesson, and every problem is one sentence naming the field."""
    path = path or courses_file()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LessonFileError(
            f"Cannot read the courses file {path}: {exc.strerror or exc}."
        ) from exc
    except UnicodeDecodeError as exc:
        raise LessonFileError(f"{path} is not UTF-8 text: {exc.reason}.") from exc
    except tomllib.TOMLDecodeError as exc:
        raise LessonFileError(f"{path} is not valid TOML: {exc}.") from exc
    try:
        return Courses.model_validate(data).courses
    except ValidationError as exc:
        raise LessonFileError(describe_validation_error(path, data, exc)) from exc


def learning_order() -> list[str]:
    """Every lesson the courses list, course after course."""
    return [lesson for course in load_courses() for lesson in course.lessons]


def find_course(name: str) -> Course:
    """The bundled course called `name`, or one sentence naming those there are."""
    courses = load_courses()
    for course in courses:
        if course.id == name:
            return course
    raise UsageError(
        f"There is no course called {name!r}; natslab's courses are "
        f"{both([c.id for c in courses])}."
    )
