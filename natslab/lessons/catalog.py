"""The bundled lessons, and turning a name or a path into a loaded lesson."""

from __future__ import annotations

from pathlib import Path

from natslab.errors import LessonFileError
from natslab.lessons.model import Lesson, load_lesson
from natslab.resources import bundled_labs_dir

# The order to learn them in: the walkthrough, then seeds, then what goes wrong at scale, then
# the procedure recommended today, then JetStream, then the day's operator track. A lesson not
# listed here comes last.
LEARNING_ORDER = (
    "upgrade", "seed", "seed-failure", "herd", "auth", "lame-duck", "jetstream-upgrade",
    "cluster-name", "config-reload", "quorum-loss", "replace-node",
)  # fmt: skip


def bundled() -> dict[str, Path]:
    """Lesson id (the file's stem) -> file, for every lesson shipped with natslab, in the
    order to learn them in."""
    found = {path.stem: path for path in bundled_labs_dir().glob("*.toml")}

    def place(name: str) -> tuple[int, str]:
        return (LEARNING_ORDER.index(name) if name in LEARNING_ORDER else len(LEARNING_ORDER), name)

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
