"""The bundled lessons, and turning a name or a path into a loaded lesson."""

from __future__ import annotations

from pathlib import Path

from natslab.errors import LessonFileError
from natslab.lessons.model import Lesson, load_lesson
from natslab.resources import bundled_labs_dir


def bundled() -> dict[str, Path]:
    """Lesson id (the file's stem) -> file, for every lesson shipped with natslab."""
    return {path.stem: path for path in sorted(bundled_labs_dir().glob("*.toml"))}


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
