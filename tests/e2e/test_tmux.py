"""One end-to-end run in a real terminal: tmux runs the installed `natslab tutorial upgrade`."""

import itertools
import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from natslab.cluster.ports import LANE_ENV_VAR
from tests.cli_process import NATSLAB
from tests.helpers import run_server_pids

# A real terminal: left out of the quick loop.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("tmux") is None, reason=".ci/run installs tmux"),
]
SUB_1_ROW = re.compile(r"│ sub-1\s+(\S+)")
CHECK_LINE = re.compile(r"✓ A is ready — A is running")


class Terminal:
    """A detached tmux session of a fixed size, read with capture-pane."""

    def __init__(
        self, name: str, command: str, env: dict[str, str], size: tuple[int, int] = (120, 40)
    ) -> None:
        self.name = name
        width, height = str(size[0]), str(size[1])
        # The pane takes the tmux server's environment (whichever test started that server),
        # not this worker's: pass this worker's lane of port offsets on explicitly.
        lane = os.environ.get(LANE_ENV_VAR)
        env = {**env, LANE_ENV_VAR: lane} if lane else env
        exports = " ".join(f"{key}={value}" for key, value in env.items())
        # Size the window first, then start the program in it, so that it never sees the
        # 80x24 a detached session begins with.
        subprocess.run(
            ["tmux", "new-session", "-d", "-s", name, "-x", width, "-y", height, "sleep 600"],
            check=True,
        )
        subprocess.run(["tmux", "resize-window", "-t", name, "-x", width, "-y", height], check=True)
        subprocess.run(
            # COLUMNS/LINES from the environment would override the real size of the pane.
            [
                "tmux",
                "respawn-pane",
                "-k",
                "-t",
                name,
                f"env -u COLUMNS -u LINES {exports} {command}",
            ],
            check=True,
        )

    def screen(self) -> str:
        return subprocess.run(
            ["tmux", "capture-pane", "-p", "-t", self.name],
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def keys(self, *keys: str) -> None:
        subprocess.run(["tmux", "send-keys", "-t", self.name, *keys], check=True)

    def wait_for(
        self,
        text: str | re.Pattern[str] | Callable[[str], bool],
        timeout: float = 60,
        every: float = 0.2,
    ) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if isinstance(text, re.Pattern):
                found = bool(text.search(screen))
            else:
                found = text(screen) if callable(text) else text in screen
            if found:
                return screen
            if time.monotonic() >= deadline:
                raise AssertionError(f"timed out waiting for {text!r}; the screen was:\n{screen}")
            time.sleep(every)

    def close(self) -> None:
        subprocess.run(["tmux", "kill-session", "-t", self.name], check=False, capture_output=True)


ANSWERS = {4: "2", 5: "2", 6: "1"}


@pytest.mark.slow(seconds=20)
def test_upgrade_in_a_real_terminal(tmp_path, state_dir):
    marker = tmp_path / "exit-status"
    command = f"{NATSLAB} tutorial upgrade --port-offset auto; echo $? > {marker}; sleep 60"
    env = {
        "NATSLAB_STATE_DIR": str(state_dir),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }
    # Tall enough that step 1's checks show below its actions in the lesson panel.
    term = Terminal(f"natslab-e2e-{os.getpid()}", command, env, size=(120, 60))
    try:
        term.wait_for("Press n to run step 1", timeout=30)
        for number in range(1, 10):
            # Steps 4-6 ask a question first; the answer locks and the step runs.
            term.keys(ANSWERS.get(number, "n"))
            if number == 5:
                # Hands-on: the screen shows the learner's command; the test runs it, as a
                # learner would in another shell (after making sure it is this run's A).
                turn = term.wait_for(re.compile(r"kill -INT (\d+)"), timeout=30)
                pid = int(re.search(r"kill -INT (\d+)", turn).group(1))
                assert "Your turn: stop server A" in turn, turn
                assert pid in run_server_pids(state_dir)
                os.kill(pid, signal.SIGINT)
            # The last step's status gives way to "Lesson complete".
            done = f"Step {number} of 9 passed" if number < 9 else "Lesson complete"
            screen = term.wait_for(done, timeout=90)
            if number == 1:
                # A check's verdict with what it observed, and A's own log in its pane: with
                # B still down, A's refused dials to B fold into one line with a counter.
                assert CHECK_LINE.search(screen), screen
                term.wait_for(re.compile(r"route to \S+ refused ×\d+"), timeout=10)
            if number == 2:
                term.wait_for("route A-B", timeout=10)  # the timeline
            if number == 3:
                # The client panel redraws on its own timer, a tick after the lesson panel
                # (which the step's end redraws at once): wait for sub-1's row to say A. It
                # may first show sub-1 still connecting, drawn a moment before the connect.
                term.wait_for(re.compile(r"│ sub-1\s+A\s"), timeout=10)
            if number == 5:
                on = term.wait_for(re.compile(r"│ sub-1\s+(?:A→)?[BC]\s"), timeout=10)
                assert SUB_1_ROW.search(on).group(1)[-1] in "BC"
        term.wait_for("Lesson complete", timeout=10)
        # The palette lists what can be done, each with the command it stands for.
        term.keys("C-p")
        term.wait_for("Search for commands", timeout=10)
        term.keys("Add 5 subscribers to A")
        term.wait_for(re.compile(r'nats sub -s nats://127\.0\.0\.1:\d+ ">"'), timeout=10)
        term.keys("Escape")
        term.wait_for(lambda screen: "nats sub -s" not in screen, timeout=10)
        pids = run_server_pids(state_dir)
        assert pids
        term.keys("q")
        term.wait_for("Stop every server and quit?", timeout=10)
        term.keys("y")
        deadline = time.monotonic() + 20
        while not (marker.exists() and marker.read_text().strip()):
            assert time.monotonic() < deadline, term.screen()
            time.sleep(0.2)
        assert marker.read_text().strip() == "0"
        assert not [pid for pid in pids if psutil.pid_exists(pid)]
        # The terminal was handed back: the shell's own output is on a normal screen again,
        # and natslab's last words say where the run is and how to see its report.
        screen = term.screen()
        assert "Lesson complete" not in screen
        (run_dir,) = state_dir.glob("runs/*")
        saved = "".join(screen.splitlines())  # a long path wraps at the pane's edge
        assert f"This run is saved in {run_dir}; `natslab report {run_dir}`" in saved, screen
    finally:
        term.close()


def test_installed_command_is_the_one_under_test():
    """The `natslab` the terminal runs imports this checkout's package, not another copy."""
    interpreter = Path(NATSLAB).read_text().splitlines()[0].removeprefix("#!")
    where = subprocess.run(
        [interpreter, "-c", "import natslab; print(natslab.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(where).parent == Path(__file__).parent.parent.parent / "natslab"


@pytest.mark.slow
def test_closing_the_terminal_stops_natslab_and_its_servers(tmp_path, state_dir):
    # TERM stays tmux's own: with it Textual's shutdown more often hangs on the dead terminal.
    env = {"NATSLAB_STATE_DIR": str(state_dir), "PATH": os.environ.get("PATH", "")}
    term = Terminal(f"natslab-hup-{os.getpid()}", f"{NATSLAB} lab --port-offset auto", env)
    try:
        term.wait_for("● running", timeout=30)
        deadline = time.monotonic() + 30
        while len(run_pids := run_server_pids(state_dir)) < 3:
            assert time.monotonic() < deadline, term.screen()
            time.sleep(0.2)
        natslab = natslab_pids(state_dir)
        assert natslab, "the natslab process was not found"
    finally:
        term.close()  # tmux sends SIGHUP, as closing a terminal window does
    # The servers go at once, even when the app's own shutdown hangs (natslab's watchdog
    # only ends that after 10 s).
    wait_all_gone(run_pids, "a server outlived its terminal by 5 s", timeout=5)
    wait_all_gone(natslab, "natslab outlived its terminal")


def test_closing_the_terminal_at_once_even_with_the_run_directory_gone(tmp_path):
    # The first-frame benchmark did this: close the terminal the moment the tutorial is drawn
    # and delete its state directory. Textual's shutdown then hangs on the dead terminal, and
    # the watchdog must get natslab out although it can no longer write run.json.
    state_dir = tmp_path / "state"
    # TERM stays tmux's own, as in the benchmark: the hang is likelier with it.
    env = {"NATSLAB_STATE_DIR": str(state_dir)}
    command = f"{NATSLAB} tutorial upgrade --port-offset auto"
    term = Terminal(f"natslab-gone-{os.getpid()}", command, env)
    try:
        # Close as soon as the first frame shows, while Textual is still writing.
        term.wait_for("Press n to run step 1", timeout=30, every=0.01)
        natslab = natslab_pids(state_dir)
        assert natslab, "the natslab process was not found"
    finally:
        term.close()
    shutil.rmtree(state_dir)
    wait_all_gone(natslab, "natslab outlived its terminal")


def natslab_pids(state_dir: Path) -> set[int]:
    """natslab processes of this test: the ones whose state directory is its own."""
    found = set()
    for proc in psutil.process_iter(["cmdline"]):
        try:
            cmdline = proc.info["cmdline"] or []
            if cmdline[1:2] == [NATSLAB] and proc.environ().get("NATSLAB_STATE_DIR") == str(
                state_dir
            ):
                found.add(proc.pid)
        except psutil.Error:
            continue
    return found


def wait_all_gone(pids: set[int], what: str, timeout: float = 20) -> None:
    """Wait until none of these processes runs any more (a zombie counts as gone)."""
    deadline = time.monotonic() + timeout

    def alive(pid: int) -> bool:
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False

    while any(alive(pid) for pid in pids):
        assert time.monotonic() < deadline, what
        time.sleep(0.2)


def test_a_laptop_terminal_shows_what_step_two_talks_about(tmp_path, state_dir):
    """At 120x40, after step 2 a pane shows a whole "Route connection created" line and the
    cluster-name conflict; the noise (ping timers, route dials) is folded away."""
    command = f"{NATSLAB} tutorial upgrade --port-offset auto"
    term = Terminal(f"natslab-laptop-{os.getpid()}", command, pane_env(state_dir))
    try:
        term.wait_for("Press n to run step 1", timeout=30)
        for number in (1, 2):
            term.keys("n")
            term.wait_for(f"Step {number} of 9 passed", timeout=90)
        screen = term.wait_for(re.compile(r"INF rid:\d+ Route connection created"), timeout=10)
        assert "Cluster Name Conflict" in screen or "cluster name" in screen, screen
        assert "Ping Timer" not in screen and "Trying to connect to route" not in screen
        assert re.search(r"hidden: .*route dials", screen), screen
        # The step's verdicts come into view, not below the fold.
        term.wait_for("✓ A and B are routed to each other", timeout=10)
    finally:
        term.close()


def test_auto_and_auto_pause_from_the_command_line_run_a_lesson_hands_free(tmp_path, state_dir):
    """`--auto --auto-pause 1`, as typed for a projector: no key is pressed, every step runs
    and the status says so; q then stops the servers."""
    command = f"{NATSLAB} tutorial seed --auto --auto-pause 1 --port-offset auto"
    term = Terminal(f"natslab-auto-{os.getpid()}", command, pane_env(state_dir))
    try:
        term.wait_for("Lesson complete", timeout=120)
        pids = run_server_pids(state_dir)
        assert pids
        term.keys("q")
        term.wait_for("Stop every server and quit?", timeout=10)
        term.keys("y")
        wait_all_gone(pids, "the servers after q, y")
    finally:
        term.close()


def pane_env(state_dir: Path) -> dict[str, str]:
    """What a pane's natslab needs: this test's state dir, a colour terminal, the PATH."""
    return {
        "NATSLAB_STATE_DIR": str(state_dir),
        "TERM": "xterm-256color",
        "PATH": os.environ.get("PATH", ""),
    }


def test_lab_subscribers_start_in_the_ui_too(tmp_path, state_dir):
    """`natslab lab --subscribers 3` starts them in the UI, not only with --headless."""
    command = f"{NATSLAB} lab --servers A --subscribers 3 --port-offset auto"
    term = Terminal(f"natslab-subs-{os.getpid()}", command, pane_env(state_dir))
    try:
        # All three on one screen: a capture taken while the panel redraws may show part of
        # it, so the test waits for the whole of it rather than reading the next screen once.
        term.wait_for(
            lambda screen: all(re.search(rf"│ sub-{n}\s+A\s", screen) for n in (1, 2, 3)),
            timeout=60,
        )
    finally:
        term.close()


TIMESTAMP = re.compile(r"^\d\d:\d\d:\d\d")


def log_panes(screen: str) -> list[tuple[list[str], str]]:
    """The side-by-side log panes of a screen: each one's log rows (its title row and its
    scrollbar column left out) and its bottom border."""
    rows = screen.splitlines()
    top = next(i for i, row in enumerate(rows) if "╭" in row)
    bottom = next(i for i in range(top + 1, len(rows)) if "╰" in rows[i])
    lefts = [i for i, ch in enumerate(rows[top]) if ch == "╭"]
    rights = [i for i, ch in enumerate(rows[top]) if ch == "╮"]
    return [
        ([row[left + 1 : right] for row in rows[top + 2 : bottom]], rows[bottom][left : right + 1])
        for left, right in zip(lefts, rights, strict=True)
    ]


def test_at_120_columns_logs_wrap_between_words_and_pane_footers_are_whole(tmp_path, state_dir):
    """Three log panes side by side at a laptop's 120x40: a wrapped row ends at a space, never
    inside a word ("Router connec|tion"), and each footer fits its pane (no "…")."""
    command = f"{NATSLAB} lab --subscribers 3 --port-offset auto"
    term = Terminal(f"natslab-wrap-{os.getpid()}", command, pane_env(state_dir), (120, 40))
    try:

        def three_full_panes(screen: str) -> bool:
            panes = log_panes(screen) if "╭" in screen and "╰" in screen else []
            return len(panes) == 3 and all(
                rows[-1].strip() and "hidden" in footer  # filled: a scrollbar at the right
                for rows, footer in panes
            )

        screen = term.wait_for(three_full_panes, timeout=60)
        wrapped = 0
        for rows, footer in log_panes(screen):
            assert "…" not in footer, footer
            # A log that overflows (its first line, "Starting nats-server", scrolled away)
            # has a scrollbar in its last column; one that fits uses that column too.
            fits = any("Starting nats-server" in row for row in rows)
            text = rows if fits else [row[:-1] for row in rows]
            for row, after in itertools.pairwise(text):
                if after.strip() and not TIMESTAMP.match(after):  # `after` continues `row`
                    wrapped += 1
                    longer_than_a_row = " " not in row  # a server id: cut where the row ends
                    assert row.endswith(" ") or longer_than_a_row, f"cut:\n{row}|\n{after}|"
        assert wrapped >= 3  # the check above had wrapped rows to look at
    finally:
        term.close()


def test_at_80x24_the_client_panel_shows_client_rows(tmp_path, state_dir):
    command = f"{NATSLAB} lab --subscribers 3 --port-offset auto"
    term = Terminal(f"natslab-small-{os.getpid()}", command, pane_env(state_dir), (80, 24))
    try:
        screen = term.wait_for(re.compile(r"│ sub-3\s+A\s"), timeout=60)
        assert re.search(r"│ sub-1\s+A\s", screen) and re.search(r"│ sub-2\s+A\s", screen)
        footer = log_panes(screen)[0][1]
        assert "…" not in footer, footer
    finally:
        term.close()


@pytest.mark.parametrize("ending", ["q", "SIGTERM"])
def test_watching_through_the_system_account_in_a_real_terminal(
    binary, tmp_path, state_dir, ending
):
    """`natslab watch --context` as an operator types it: one URL in a natscli context,
    every server of the cluster on screen, read-only; q quits, SIGTERM too, and either way
    the run directory is closed."""
    import json

    from tests.watched import WATCHER, Cluster

    cluster = Cluster(binary, tmp_path)
    config_home = tmp_path / "xdg"
    (config_home / "nats" / "context").mkdir(parents=True)
    (config_home / "nats" / "context" / "ops.json").write_text(
        json.dumps({"url": cluster.client("Y"), "user": WATCHER[0], "password": WATCHER[1]})
    )
    env = {**pane_env(state_dir), "XDG_CONFIG_HOME": str(config_home)}
    term = None
    try:
        for name in "XYZ":
            cluster.start(name)
        term = Terminal(f"natslab-sys-{os.getpid()}-{ending}",
                        f"{NATSLAB} watch --context ops", env)  # fmt: skip
        screen = term.wait_for(lambda s: all(f"{n} ● running" in s for n in "XYZ"), 60)
        footer = screen.rstrip().splitlines()[-1]
        assert "q Quit" in footer and "palette" not in footer  # nothing to do: it only reads
        (natslab,) = natslab_pids(state_dir)
        if ending == "q":
            term.keys("q")
        else:
            os.kill(natslab, signal.SIGTERM)
        wait_all_gone({natslab}, f"natslab watch outlived {ending}")
    finally:
        if term is not None:
            term.close()
        cluster.close()
    (run_dir,) = state_dir.glob("runs/*")
    assert json.loads((run_dir / "run.json").read_text())["ended"]
