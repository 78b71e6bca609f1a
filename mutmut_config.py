"""Mutation testing (mutmut 2.5, configured in pyproject.toml's [tool.mutmut]): which functions
are mutated, and the control tests that must catch each one's mutants.

mutmut mutates whole files; this hook skips every mutant outside the functions named here and
runs, for the others, only the tests that exercise their function (each run starts real
servers, so the whole suite per mutant would take hours)."""

from __future__ import annotations

import ast
import functools
from pathlib import Path
from typing import Any

CHECK_CONTROLS = ["tests/lessons/test_check_controls.py"]
LOSS_CONTROLS = ["tests/lessons/test_loss_control.py", *CHECK_CONTROLS]
JETSTREAM_CONTROLS = [
    "tests/lab/test_jetstream.py::test_every_jetstream_check_passes_a_true_claim_and_fails_a_false_one"
]
LAME_DUCK_LESSON = "tests/lessons/test_headless_lessons.py::test_lame_duck_passes_end_to_end[0]"
FOLD = "tests/test_watch_fold.py"
HTTP_WATCH = [
    f"tests/test_watch.py::{name}"
    for name in (
        "test_lame_duck_shows_as_a_closed_client_port",
        "test_a_server_already_unhealthy_is_marked_lame_duck_only_when_its_port_closes",
        "test_watch_reports_a_stop_a_return_a_move_and_a_new_meta_leader",
        "test_a_server_restarted_on_another_version_is_reported",
    )
]
SYSTEM_HEALTH = ["tests/test_watch_health.py"]
PAGING = ["tests/test_watch_paging.py"]
SYSTEM_WATCH = [
    f"tests/test_watch_system.py::{name}"
    for name in (
        "test_the_system_account_watch_reads_every_page_of_connections",
        "test_lame_duck_is_the_servers_own_word_through_the_system_account",
        "test_a_server_stopped_in_the_cli_is_down_and_back",
        "test_a_server_that_hangs_is_down_while_the_others_answer",
    )
]
LAME_DUCK_WATCH = [
    HTTP_WATCH[0],
    HTTP_WATCH[1],
    "tests/test_watch_system.py::test_lame_duck_is_the_servers_own_word_through_the_system_account",
]

# File -> function (qualified, as Class.method.inner) -> its control tests, fastest first:
# pytest stops at the first failure (-x), so a mutant a pure test kills costs seconds.
TARGETS: dict[str, dict[str, list[str]]] = {
    "natslab/lessons/checks.py": {
        "_lost": LOSS_CONTROLS,
        "_unsettled": LOSS_CONTROLS,  # what makes a loss figure final, for _lost
        "_healthz": CHECK_CONTROLS,
        # The controls never drain a server that holds clients: the lame-duck lesson does,
        # and its test times the drain against the curve (75 s a mutant, so it runs last).
        "_drained": [*CHECK_CONTROLS, LAME_DUCK_LESSON],
        "_replicas_current": JETSTREAM_CONTROLS,
        "_mesh": CHECK_CONTROLS,
    },
    "natslab/watch/fold.py": {  # a server down, back, restarted; health; lame duck; moves
        "fold": [FOLD, *HTTP_WATCH, *SYSTEM_WATCH[1:]],
        "listener_closed": [FOLD, *LAME_DUCK_WATCH],
        "_health": [FOLD, *HTTP_WATCH],
        "_moves": [FOLD, *HTTP_WATCH[2:]],
    },
    "natslab/watch/source.py": {"WatchedServers._lame_duck": LAME_DUCK_WATCH},
    "natslab/watch/system.py": {  # the announcement, a quiet server, CONNZ pages
        "SystemRounds._lame_duck": SYSTEM_WATCH,
        "SystemRounds.round": SYSTEM_WATCH,
        "SystemRounds._poll": [*SYSTEM_HEALTH, *SYSTEM_WATCH],
        "SystemRounds._poll.page": [*PAGING, *SYSTEM_WATCH[:1]],
    },
    "natslab/cluster/snapshot.py": {"all_connections": [*PAGING, *SYSTEM_WATCH[:1]]},
}

# A failure of any kind kills the mutant: mutmut 2 counts only exit code 1 as one, and a
# mutant that breaks an import makes pytest exit 2. PYTHONPATH: the code mutated here, also
# in the natslab processes the tests start, never an installed copy.
PYTEST = "python -m pytest -p no:cacheprovider -n 0 -x -q --no-header"


def runner(tests: list[str]) -> str:
    """The shell command that runs `tests` against the mutant in the working tree."""
    return f"sh -c 'PYTHONPATH=\"$PWD\" {PYTEST} {' '.join(tests)} || exit 1'"


@functools.cache
def _functions(filename: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every def in the file, decorators left out:
    a decorator's arguments run once, at import, and say how a check is described."""
    found: list[tuple[int, int, str]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = prefix + child.name
                if not isinstance(child, ast.ClassDef):
                    found.append((child.lineno, child.end_lineno or child.lineno, name))
                visit(child, name + ".")

    visit(ast.parse(Path(filename).read_text()), "")
    return found


def function_at(filename: str, line: int) -> str:
    """The innermost function whose body holds `line` (1-based), or ''."""
    holding = [f for f in _functions(filename) if f[0] <= line <= f[1]]
    return max(holding, key=lambda f: f[0])[2] if holding else ""


def pre_mutation(context: Any) -> None:
    """Skip a mutant outside the targets; run only its function's control tests."""
    wanted = TARGETS.get(Path(context.filename).as_posix(), {})
    tests = wanted.get(function_at(context.filename, context.mutation_id.line_number + 1))
    if not tests:
        context.skip = True
        return
    context.config.test_command = runner(tests)
