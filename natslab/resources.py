"""Where the bundled lessons are: inside the installed package, or labs/ in a source checkout."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_PACKAGE_DIR = Path(str(files("natslab")))
# Beside the lessons, and not one of them: the courses that put them in order.
COURSES_FILE = "courses.toml"


def bundled_labs_dir() -> Path:
    """The wheel ships labs/ as natslab/labs; editable installs read the checkout's labs/."""
    installed = _PACKAGE_DIR / "labs"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "labs"


def bundled_lesson_files() -> dict[str, Path]:
    """Lesson id (the file's stem) -> file, for every lesson shipped, in no particular order."""
    return {
        path.stem: path for path in bundled_labs_dir().glob("*.toml") if path.name != COURSES_FILE
    }
