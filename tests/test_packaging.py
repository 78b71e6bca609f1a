"""The wheel carries the lessons, so natslab finds them from any working directory."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).parent.parent


def test_wheel_ships_labs_inside_the_package(tmp_path):
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = (tmp_path / "dist").glob("natslab-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "site")
    assert "natslab/labs/README.md" in names
    assert "natslab/labs/courses.toml" in names  # the courses ship beside the lessons
    assert "natslab/cli/__init__.py" in names
    # The report's templates and style are package data: a report written from the wheel
    # needs them (the Chromium test reads a page made by the installed package).
    assert {
        "natslab/present/templates/report.html.j2",
        "natslab/present/templates/_style.css",
        "natslab/present/templates/compare.html.j2",
    } <= set(names)
    assert not [n for n in names if n.startswith("tests/")]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "natslab = natslab.cli:main" in (tmp_path / "site" / entry_points).read_text()

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    found = subprocess.run(
        [
            sys.executable,
            "-c",
            "from natslab.resources import bundled_labs_dir; print(bundled_labs_dir())",
        ],
        cwd=elsewhere,
        env={"PYTHONPATH": str(tmp_path / "site"), "PATH": "/usr/bin:/bin"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert Path(found) == tmp_path / "site" / "natslab" / "labs"
    assert (Path(found) / "README.md").is_file()


def test_source_checkout_finds_labs():
    from natslab.resources import bundled_labs_dir

    assert bundled_labs_dir() == ROOT / "labs"
