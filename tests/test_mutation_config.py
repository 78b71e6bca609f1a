"""mutmut_config.py names files, functions and tests: a rename must fail here, not leave
mutation testing quietly skipping what it was meant to mutate (mutmut 2 drops a path that
does not exist, and the hook skips a function it cannot find)."""

import tomllib
from pathlib import Path

import mutmut_config

ROOT = Path(__file__).resolve().parent.parent


def test_every_target_file_function_and_test_exists():
    missing = []
    for path, functions in mutmut_config.TARGETS.items():
        assert (ROOT / path).is_file(), path
        defined = {name for _, _, name in mutmut_config._functions(str(ROOT / path))}
        missing += [f"{path}: {name}" for name in functions if name not in defined]
        for test in {t for tests in functions.values() for t in tests}:
            file, _, name = test.partition("::")
            name = name.split("[")[0]  # a parametrized test's id: its function's name
            if not (ROOT / file).is_file() or (
                name and f"def {name}(" not in (ROOT / file).read_text()
            ):
                missing.append(test)
    assert missing == []


def test_pyproject_mutates_exactly_the_target_files():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mutmut"]
    assert set(config["paths_to_mutate"].split(",")) == set(mutmut_config.TARGETS)
