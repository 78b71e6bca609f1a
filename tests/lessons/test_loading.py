"""Lesson files: the bundled ones validate, broken ones fail with file, step and field named."""

import typing
from pathlib import Path

import pytest

from natslab.errors import LessonFileError
from natslab.lab import operations, operator
from natslab.lessons import catalog, checks
from natslab.lessons import model as m
from natslab.lessons.model import load_lesson

GOOD = """
id = "tiny"
title = "Tiny"
servers = ["A", "B"]

[[steps]]
title = "Start A"

[[steps.actions]]
type = "start_server"
server = "A"

[[steps.checks]]
type = "log_contains"
server = "A"
pattern = "route.*:{cluster:B}"

[[steps]]
title = "Clients"

[[steps.actions]]
type = "start_clients"
count = 3
seeds = ["A"]

[[steps.checks]]
type = "client_on"
servers = ["A"]
"""


def test_bundled_lessons_validate():
    lessons = catalog.bundled()
    assert {"upgrade", "seed", "lame-duck", "herd", "seed-failure", "auth"} <= set(lessons)
    for name, path in lessons.items():
        lesson = load_lesson(path)
        assert lesson.id == name
        assert all(step.narrative.strip() for step in lesson.steps), name


def test_every_action_and_check_type_has_an_implementation():
    from natslab.lab import local  # noqa: F401  (the local lab registers every performer)
    from natslab.lessons import predictions

    def members(annotated):
        return set(typing.get_args(typing.get_args(annotated)[0]))

    assert members(m.Judgement) == predictions.registered()
    assert members(m.Action) <= operator.performed_kinds()
    assert set(typing.get_args(operations.Operation)) == operator.performed_kinds()
    assert members(m.Check) == checks.registered()


def test_a_good_file_loads(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(GOOD)
    lesson = load_lesson(path)
    assert [s.title for s in lesson.steps] == ["Start A", "Clients"]
    assert lesson.steps[1].actions[0].count == 3


BREAKAGES = [
    (
        "unknown action",
        ('type = "start_clients"', 'type = "launch_clients"'),
        "step 2 'Clients', field actions[0]: unknown action type 'launch_clients'",
    ),
    (
        "unknown check",
        ('type = "client_on"', 'type = "client_at"'),
        "step 2 'Clients', field checks[0]: unknown check type 'client_at'",
    ),
    (
        "undeclared server",
        ('seeds = ["A"]', 'seeds = ["C"]'),
        "step 2 'Clients', field actions[0].seeds: server C is not one of the lesson's servers",
    ),
    (
        "not a server name",
        ('seeds = ["A"]', 'seeds = ["a1"]'),
        "step 2 'Clients', field actions[0].seeds[0]: 'a1' is not a server name",
    ),
    (
        "bad regex",
        ("route.*", "route(*"),
        "step 1 'Start A', field checks[0].pattern: not a valid regular expression",
    ),
    (
        "port placeholder for an undeclared server",
        ("{cluster:B}", "{cluster:D}"),
        "step 1 'Start A', field checks[0].pattern: server D is not one of",
    ),
    (
        "missing field",
        ('seeds = ["A"]\n', ""),
        "step 2 'Clients', field actions[0].seeds: this field is required",
    ),
    (
        "wrong type",
        ("count = 3", 'count = "three"'),
        "step 2 'Clients', field actions[0].count: Input should be a valid integer",
    ),
    (
        "unknown field",
        ("count = 3", "count = 3\ncolour = 1"),
        "step 2 'Clients', field actions[0].colour: unknown field",
    ),
    (
        "disallowed server flag",
        (
            'server = "A"\n\n[[steps.checks]]',
            'server = "A"\nlog_flags = ["-c"]\n\n[[steps.checks]]',
        ),
        "step 1 'Start A', field actions[0].log_flags: '-c' is not one of",
    ),
    ("missing title", ('title = "Tiny"\n', ""), "field title: this field is required"),
    (
        "a link action in a lesson without links",
        (
            'type = "start_clients"\ncount = 3\nseeds = ["A"]',
            'type = "cut_link"\nservers = ["A", "B"]',
        ),
        "step 2 'Clients', field actions[0].type: cut_link acts on a link proxy, and this "
        "lesson's routes go through none; add `links = true` at its top",
    ),
    (
        "a link from a server to itself",
        (
            'type = "start_clients"\ncount = 3\nseeds = ["A"]',
            'type = "heal_link"\nservers = ["B", "B"]',
        ),
        "step 2 'Clients', field actions[0].servers: a link joins two servers, not B to itself",
    ),
    (
        "negative timeout",
        ('servers = ["A"]\n', 'servers = ["A"]\ntimeout = -1\n'),
        "step 2 'Clients', field checks[0].timeout: Input should be greater than 0",
    ),
]


@pytest.mark.parametrize(
    ("old", "new", "expected"), [b[1] + (b[2],) for b in BREAKAGES], ids=[b[0] for b in BREAKAGES]
)
def test_broken_files_name_file_step_and_field(tmp_path, old, new, expected):
    assert old in GOOD
    path = tmp_path / "broken.toml"
    path.write_text(GOOD.replace(old, new, 1))
    with pytest.raises(LessonFileError) as info:
        load_lesson(path)
    message = str(info.value)
    assert message.startswith("broken.toml, ")
    assert expected in message
    assert "\n" not in message


def test_not_toml_and_not_utf8_and_missing(tmp_path):
    (tmp_path / "x.toml").write_text("[[[")
    with pytest.raises(LessonFileError, match="is not valid TOML"):
        load_lesson(tmp_path / "x.toml")
    (tmp_path / "y.toml").write_bytes(b"\xff\xfe")
    with pytest.raises(LessonFileError, match="is not UTF-8"):
        load_lesson(tmp_path / "y.toml")
    with pytest.raises(LessonFileError, match="Cannot read lesson file"):
        load_lesson(tmp_path / "missing.toml")


def test_unknown_lesson_name_lists_the_bundled_ones():
    with pytest.raises(LessonFileError, match=r"bundled lessons are .*upgrade"):
        catalog.resolve("upgrad")


def test_bundled_files_are_where_the_package_says(tmp_path):
    assert all(Path(p).is_file() for p in catalog.bundled().values())


def test_a_port_in_a_sentence_is_this_runs_or_said_to_be_the_walkthroughs():
    """A learner on offset ports reads this run's ports; a walkthrough port written out as a
    number must say that it is the walkthrough's (commands are labelled so on screen)."""
    import re

    from natslab.lessons.wording import with_ports

    loose = []
    for name, path in catalog.bundled().items():
        for number, step in enumerate(catalog.load(str(path)).steps, 1):
            for field in (step.narrative, step.preview):
                for port in re.finditer(r":\d{4,5}\b", field):
                    said = "walkthrough" in field[max(0, port.start() - 80) : port.start()]
                    # ... and beside it, the port this run uses in its stead.
                    if not said or not m.PORT_PLACEHOLDER.search(field):
                        loose.append(f"{name} step {number}: {port.group()}")
    assert loose == []
    shifted = with_ports("nats://localhost:{client:A}", lambda s, k: {"client": 16222}[k])
    assert shifted == "nats://localhost:16222"


def test_lessons_are_listed_in_the_order_to_learn_them():
    """The catalog's order is the courses', course after course, and `tutorial list` shows
    each lesson under its own course's heading, in that order."""
    from natslab.lessons.courses import learning_order, load_courses
    from tests.cli_process import run_natslab

    courses = load_courses()
    assert [c.id for c in courses] == ["upgrades", "operations"]
    assert (
        list(catalog.bundled())
        == learning_order()
        == [lesson for course in courses for lesson in course.lessons]
    )
    listing = run_natslab("tutorial", "list").stdout
    headings = [listing.index(f"\n{c.title} (course {c.id})\n") for c in courses]
    assert headings == sorted(headings)
    for course, start, end in zip(courses, headings, [*headings[1:], len(listing)], strict=True):
        assert course.about in " ".join(listing[start:end].split())
        positions = [listing.index(f"\n{name} ", start, end) for name in course.lessons]
        assert positions == sorted(positions), course.id
    assert "Upgrading a cluster, one server at a time" in listing


def test_each_lesson_needs_only_lessons_taken_before_it():
    order = list(catalog.bundled())
    for name in order:
        for need in catalog.load(name).needs:
            assert order.index(need) < order.index(name), f"{name} needs {need}, taught later"
    assert catalog.load("jetstream-upgrade").needs == ["lame-duck"]


@pytest.fixture
def labs(tmp_path, monkeypatch):
    """A folder of bundled lessons of the test's own, holding only what each one needs."""
    folder = tmp_path / "labs"
    folder.mkdir()
    monkeypatch.setattr("natslab.resources.bundled_labs_dir", lambda: folder)

    def write(**needs: list[str]) -> None:
        for name, needed in needs.items():
            (folder / f"{name}.toml").write_text(f"needs = {needed!r}\n".replace("'", '"'))

    return write


def needing(tmp_path, lesson_id: str, needs: str) -> Path:
    path = tmp_path / "mine.toml"
    path.write_text(GOOD.replace('id = "tiny"', f'id = "{lesson_id}"\nneeds = {needs}'))
    return path


def test_a_need_must_be_a_bundled_lesson(tmp_path, labs):
    labs(a=[], b=[])
    with pytest.raises(LessonFileError) as failed:
        load_lesson(needing(tmp_path, "tiny", '["a", "c"]'))
    assert str(failed.value) == (
        "mine.toml, field needs[1]: 'c' is not a bundled lesson (natslab has a and b)."
    )
    assert load_lesson(needing(tmp_path, "tiny", '["b", "a"]')).needs == ["b", "a"]


def test_needs_that_lead_back_to_the_lesson_are_refused(tmp_path, labs):
    labs(a=["c"], b=["a"], c=["b"], d=["b"])
    with pytest.raises(LessonFileError) as failed:
        load_lesson(needing(tmp_path, "a", '["c"]'))
    assert str(failed.value) == (
        "mine.toml, field needs: a needs c, which needs b, which needs a: a circle, so none of "
        "them can be taken first."
    )
    with pytest.raises(LessonFileError) as failed:
        load_lesson(needing(tmp_path, "b", '["d"]'))
    assert str(failed.value) == (
        "mine.toml, field needs: b needs d, which needs b: a circle, so neither can be taken first."
    )
    with pytest.raises(LessonFileError) as failed:
        load_lesson(needing(tmp_path, "d", '["d"]'))
    assert str(failed.value) == (
        "mine.toml, field needs: d needs itself, and no lesson comes before itself."
    )
    # The same lessons with the circle broken where this file stands: d needs b, b needs a,
    # and a (this file) needs nothing.
    assert load_lesson(needing(tmp_path, "a", "[]")).needs == []
    assert load_lesson(needing(tmp_path, "e", '["d"]')).needs == ["d"]


def test_every_problem_of_a_file_is_reported_each_where_the_author_wrote_it(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(
        'id = "bad"\ntitle = "Bad"\nservers = ["A"]\n\n[[steps]]\ntitle = "One"\n\n'
        '[[steps.actions]]\ntype = "start_server"\nserver = "A"\n\n'
        '[[steps.checks]]\ntype = "client_on"\nservers = ["B"]\n\n'
        '[[steps.checks]]\ntype = "route_peers"\nserver = "C"\npeers = []\n'
    )
    with pytest.raises(LessonFileError) as failed:
        load_lesson(path)
    assert str(failed.value).splitlines() == [
        "bad.toml, step 1 'One', field actions[0].routes: server B is not one of the lesson's "
        "servers (A) (not given here: the default, A and B, names B; give routes yourself).",
        "bad.toml, step 1 'One', field checks[0].servers: server B is not one of the lesson's "
        "servers (A).",
        "bad.toml, step 1 'One', field checks[1].server: server C is not one of the lesson's "
        "servers (A).",
    ]


def test_the_readme_names_the_lessons_in_the_order_tutorial_list_shows():
    """The README's list of bundled lessons is the catalog's learning order."""
    import re
    from pathlib import Path

    from natslab.lessons.catalog import bundled

    readme = (Path(__file__).parent.parent.parent / "README.md").read_text()
    said = readme.split("`natslab tutorial list` shows the bundled lessons")[1].split(".\n")[0]
    names = [n for n in re.findall(r"`([a-z-]+)`", said) if n in bundled()]
    assert names == list(bundled())


def test_every_bundled_lesson_ends_with_what_it_means_for_your_roll():
    """Each lesson's last narrative turns what it showed into advice for a real roll."""
    from natslab.lessons import catalog

    for lesson_id in catalog.bundled():
        last = catalog.load(lesson_id).steps[-1].narrative
        assert "**What this means for your roll.**" in last, lesson_id


def test_a_walkthrough_command_names_a_port_its_server_has():
    """A command shown as the walkthrough's (offset 0) dials a client port one of the lesson's
    servers has there, and a server started with `-p` gets its own: leaf-nodes said 4777 for
    E, whose port is 4666, so `nats sub -s nats://localhost:4777` reached nothing."""
    import re

    from natslab.cluster.ports import ports_for

    wrong = []
    for name, path in catalog.bundled().items():
        lesson = catalog.load(str(path))
        clients = {ports_for(s).client: s for s in lesson.servers}
        for number, step in enumerate(lesson.steps, 1):
            for command in step.commands:
                for port in re.findall(r"-s nats://localhost:(\d+)", command):
                    if int(port) not in clients:
                        wrong.append(f"{name} step {number}: -s …:{port}")
                started = re.search(
                    r"nats-server .*?-p (\d+) -cluster nats://localhost:(\d+)", command
                )
                if started and int(started[1]) not in clients:
                    wrong.append(f"{name} step {number}: -p {started[1]}")
                elif started and ports_for(clients[int(started[1])]).cluster != int(started[2]):
                    wrong.append(f"{name} step {number}: -cluster …:{started[2]}")
    assert wrong == []


def test_a_jetstream_answer_is_claimed_in_words_not_in_its_toml_value():
    """'answered no_response' leaked the lesson format's value into a learner's line."""
    from types import SimpleNamespace

    from natslab.lessons.checks import describe
    from natslab.lessons.lab_protocol import CheckContext

    ctx = CheckContext(SimpleNamespace())  # type: ignore[arg-type]

    def claim(answer) -> str:
        check = m.JetStreamAnswer(
            type="jetstream_answer", request="publish", server="A", answer=answer
        )
        return describe(check, ctx)

    assert claim("no_response") == "a publish through A gets no response"
    assert claim("ok") == "a publish through A succeeds"
    assert claim("timeout") == "a publish through A times out"
    assert claim(10008) == "a publish through A is refused with error 10008"


def test_a_meta_peers_claim_reads_as_a_sentence():
    """'A sees the meta group, and any leads' read as if "any" were a server."""
    from types import SimpleNamespace

    from natslab.lessons.checks import describe
    from natslab.lessons.lab_protocol import CheckContext

    ctx = CheckContext(SimpleNamespace())  # type: ignore[arg-type]
    check = m.MetaPeers(type="meta_peers", server="A", leader="any", members=["B", "A", "D"])
    assert (
        describe(check, ctx) == "A sees the meta group of exactly A, B and D, and some server leads"
    )


def test_an_upgrade_to_the_same_binary_is_claimed_as_the_version_it_started_with():
    """With no `--to`, "A reports the upgrade binary's version" named a binary there was not
    (a newcomer's read); with one, the claim names it."""
    from types import SimpleNamespace

    from natslab.lessons.checks import describe
    from natslab.lessons.lab_protocol import CheckContext

    def claim(versions: dict[str, str], binary: str) -> str:
        lab = SimpleNamespace(expected_version=versions.__getitem__)
        check = m.ServerVersion(type="server_version", server="A", binary=binary)
        return describe(check, CheckContext(lab))  # type: ignore[arg-type]

    same = {"default": "2.15.1", "upgrade": "2.15.1"}
    assert claim(same, "upgrade") == "A reports nats-server 2.15.1, the version it started with"
    newer = {"default": "2.14.5", "upgrade": "2.15.1"}
    assert claim(newer, "upgrade") == "A reports the upgrade binary's version, nats-server 2.15.1"
    assert claim(newer, "default") == "A reports the default binary's version, nats-server 2.14.5"
