"""The bundled lessons, and turning a name or a path into a loaded lesson."""

from __future__ import annotations

from pathlib import Path

from natslab.errors import LessonFileError
from natslab.lessons.courses import learning_order
from natslab.lessons.model import Lesson, load_lesson
from natslab.resources import bundled_lesson_files


def bundled() -> dict[str, Path]:
    """Lesson id (the file's stem) -> file, for every lesson shipped with natslab, in the
    order to learn them in: the courses' (labs/courses.toml), course after course; a lesson
    in no course comes last."""
    found = bundled_lesson_files()
    order = learning_order()

    def place(name: str) -> tuple[int, str]:
        return (order.index(name) if name in order else len(order), name)

    return {name: found[name] for name in sorted(found, key=place)}


def resolve(name_or_path: str) -> Path:
    """A bundled lesson's name, or a path to a lesson file of the user's own."""
    lessons = bundled()
    if name_or_path in lessons:
        return lessons[name_or_path]
    path = Path(name_or_path).expanduser()
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise LessonFileError(f"There is no lesson file at {path}.")
        return path
    raise LessonFileError(
        f"There is no lesson called {name_or_path!r}; bundled lessons are "
        f"{', '.join(lessons) or 'none'} (or give a path to a .toml file)."
    )


def load(name_or_path: str) -> Lesson:
    return load_lesson(resolve(name_or_path))
