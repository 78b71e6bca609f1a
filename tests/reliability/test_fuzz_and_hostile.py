"""Random lesson files only ever load or fail with the loader's sentence; hostile set-ups fail
in one sentence and leave nothing behind."""

import contextlib
import tomllib

import psutil
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from natslab.cluster.ports import is_free, ports_for
from natslab.errors import LessonFileError
from natslab.lessons import catalog
from natslab.lessons.model import load_lesson
from tests.cli_process import run_natslab

BUNDLED = catalog.bundled()["upgrade"].read_text()


def mutations() -> st.SearchStrategy[str]:
    """Bundled text with lines dropped, duplicated, swapped or rewritten, and plain noise."""
    lines = BUNDLED.splitlines()

    @st.composite
    def mutated(draw: st.DrawFn) -> str:
        out = list(lines)
        for _ in range(draw(st.integers(1, 6))):
            i = draw(st.integers(0, len(out) - 1))
            kind = draw(st.sampled_from(["drop", "dup", "swap", "noise", "value"]))
            if kind == "drop":
                del out[i]
            elif kind == "dup":
                out.insert(i, out[i])
            elif kind == "swap":
                j = draw(st.integers(0, len(out) - 1))
                out[i], out[j] = out[j], out[i]
            elif kind == "noise":
                out[i] = draw(st.text(max_size=40))
            elif "=" in out[i]:
                key = out[i].split("=", 1)[0]
                value = draw(st.sampled_from(['"Z"', "-1", "[]", '"(*"', "true", "1e309", '""']))
                out[i] = f"{key}= {value}"
        return "\n".join(out)

    return st.one_of(mutated(), st.text(max_size=300))


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=mutations())
def test_mutated_lessons_load_or_fail_with_a_sentence(tmp_path, text):
    path = tmp_path / "fuzzed.toml"
    path.write_bytes(text.encode("utf-8", errors="replace"))
    try:
        lesson = load_lesson(path)
    except LessonFileError as exc:
        message = str(exc)
        # Every problem of the file, a sentence a line, each naming the file.
        assert all(line.endswith(".") and ".toml" in line for line in message.splitlines())
        return
    assert lesson.steps  # a valid lesson really has steps
    tomllib.loads(path.read_text())


def test_loading_never_starts_a_process(tmp_path):
    before = {p.pid for p in psutil.Process().children(recursive=True)}
    for text in ["", "[[[", BUNDLED.replace('type = "start_server"', 'type = "rm -rf"')]:
        path = tmp_path / "x.toml"
        path.write_text(text)
        with contextlib.suppress(LessonFileError):
            load_lesson(path)
    assert {p.pid for p in psutil.Process().children(recursive=True)} == before


def test_unwritable_state_dir_is_one_sentence(tmp_path, monkeypatch, offset):
    # A regular file where a folder should be stops even root from creating the run dir.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("NATSLAB_STATE_DIR", str(blocker / "state"))
    result = run_natslab("lab", "--headless", "--servers", "A", "--port-offset", str(offset))
    assert result.returncode == 1
    assert "Cannot create the run directory under" in result.stderr
    assert "set NATSLAB_STATE_DIR to a writable folder" in result.stderr
    assert "Traceback" not in result.stderr
    # natslab has exited, so its servers would no longer be anyone's child here: look for
    # them where they would be, on A's ports, and by the state dir they would carry.
    a = ports_for("A", offset)
    assert not [port for port in (a.client, a.cluster, a.monitor) if not is_free(port)]
    assert not [
        p.pid
        for p in psutil.process_iter(["name"])
        if p.info["name"] == "nats-server"
        and _environ(p).get("NATSLAB_STATE_DIR", "").startswith(str(blocker))
    ]


def _environ(proc: psutil.Process) -> dict[str, str]:
    try:
        return proc.environ()
    except psutil.Error:
        return {}
