"""Where the bundled lessons are: inside the installed package, or labs/ in a source checkout."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

_PACKAGE_DIR = Path(str(files("natslab")))


def bundled_labs_dir() -> Path:
    """The wheel ships labs/ as natslab/labs; editable installs read the checkout's labs/."""
    installed = _PACKAGE_DIR / "labs"
    if installed.is_dir():
        return installed
    return _PACKAGE_DIR.parent / "labs"
