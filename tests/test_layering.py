"""Only natslab/tui may import Textual; the domain and the headless CLI must run without it."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "natslab"


def domain_files() -> list[Path]:
    """Every module of natslab outside natslab/tui, package by package as they are today."""
    return [f for f in PACKAGE.rglob("*.py") if f.relative_to(PACKAGE).parts[0] != "tui"]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_domain_source_never_imports_textual():
    files = domain_files()
    # Every package is read (a stale list once named state.py and skipped state/).
    packages = {
        f.relative_to(PACKAGE).parts[0] for f in files if len(f.relative_to(PACKAGE).parts) > 1
    }
    expected = {d.name for d in PACKAGE.iterdir() if (d / "__init__.py").exists()} - {"tui"}
    assert packages == expected and {"state", "room", "watch", "cli"} <= packages, packages
    offenders = {
        str(f.relative_to(PACKAGE)): mods
        for f in files
        if (mods := {m for m in imported_modules(f) if m.split(".")[0] == "textual"})
    }
    assert offenders == {}


def test_importing_the_domain_and_cli_loads_no_textual():
    code = (
        "import sys, natslab.cli, natslab.lab.session, natslab.lab.local, natslab.doctor\n"
        "import natslab.present.lab_printer, natslab.present.lesson_printer\n"
        "import natslab.cluster.supervisor, natslab.cluster.leftovers\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] == 'textual')\n"
        "print(loaded)\n"
    )
    assert printed_by(code) == "[]"


def test_a_watch_loads_nothing_that_acts():
    """The watch and its screen's source, in a fresh interpreter: no supervisor, no lab
    clients, no operator. Only the system-account watch loads nats-py, to send requests."""
    code = (
        "import sys, natslab.watch.source, natslab.watch.runner, natslab.present.watch_printer\n"
        "acting = ('natslab.cluster.supervisor', 'natslab.cluster.process',\n"
        "          'natslab.clients.client', 'natslab.clients.fleet', 'natslab.lab.operator',\n"
        "          'natslab.lab.local', 'nats')\n"
        "print(sorted(m for m in acting if m in sys.modules))\n"
    )
    assert printed_by(code) == "[]"


def printed_by(code: str) -> str:
    """What `code` prints in a fresh interpreter, which has imported nothing yet."""
    return subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True
    ).stdout.strip()
