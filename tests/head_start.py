"""Bytecode written once, before pytest-xdist's workers start, for every process after."""

from __future__ import annotations

import compileall
import os
from pathlib import Path

import pytest

import natslab

TESTS = Path(__file__).parent


def in_controller() -> bool:
    """The xdist controller, or a lone pytest: the process that runs before any worker."""
    return not os.environ.get("PYTEST_XDIST_WORKER")


def compile_natslab() -> None:
    """The suite starts about 280 natslab processes. Where Python may not write bytecode
    (`PYTHONDONTWRITEBYTECODE`, as on this project's CI machine) each of them compiled every
    natslab module it imported again; reading bytecode is still allowed there, and
    compileall writes it explicitly."""
    compileall.compile_dir(Path(natslab.__file__).parent, quiet=1)


def rewrite_tests(config: pytest.Config) -> None:
    """Every worker imports every test module, and pytest rewrites each one's asserts on
    import; it keeps the result in a pyc unless bytecode may not be written, so six workers
    did all of it six times over (collection 4.0 s of CPU each, 2.4 s with the pycs). This
    takes the steps of pytest's own import hook (`AssertionRewritingHook.exec_module`) once.
    They are pytest's internals: a pytest without them only loses the head start."""
    if config.getoption("assertmode") != "rewrite":
        return
    try:
        from _pytest.assertion import rewrite

        state = config.stash[rewrite.assertstate_key]
        for source in (*TESTS.rglob("test_*.py"), *TESTS.rglob("conftest.py")):
            cache = rewrite.get_cache_dir(source)
            pyc = cache / (source.name[:-3] + rewrite.PYC_TAIL)
            if rewrite._read_pyc(source, pyc) is None and rewrite.try_makedirs(cache):
                stat, code = rewrite._rewrite_test(source, config)
                rewrite._write_pyc(state, code, stat, pyc)
    except (ImportError, AttributeError, KeyError, TypeError):
        return
