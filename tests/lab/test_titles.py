"""One wording per operation (lab/titles.py): every operation has a title, and the palette,
a lab's start-up and a lesson's record use it."""

import typing

import pytest

from natslab.lab import operations as ops
from natslab.lab.operator import start_plan
from natslab.lab.titles import entry, title
from natslab.lessons import events as lev

LEAST: dict[type, dict[str, object]] = {  # what each operation needs, at the least
    ops.StartServer: {"server": "A"},
    ops.StopServer: {"server": "A"},
    ops.KillServer: {"server": "A"},
    ops.LameDuck: {"server": "A"},
    ops.RestartServer: {"server": "A"},
    ops.StartClients: {"seeds": ("A", "B")},
    ops.StopClients: {},
    ops.StartPublisher: {"seeds": ("B",)},
    ops.StopPublisher: {},
    ops.StartResponders: {"seeds": ("E",)},
    ops.SendRequests: {"server": "E"},
    ops.WaitHealthz: {"server": "A"},
    ops.WaitStopped: {"server": "A"},
    ops.Pause: {"seconds": 2},
    ops.EditConfig: {"server": "A", "config": "debug: true"},
    ops.ValidateConfig: {"server": "A"},
    ops.ReloadConfig: {"server": "A"},
    ops.ToggleClientSwitch: {"switch": "dont_randomize"},
    ops.CreateStream: {"server": "A"},
    ops.EditStream: {"server": "A", "tags": ("zone:b",)},
    ops.PromoteMirror: {"server": "A", "name": "BACKUP"},
    ops.BackupStream: {"server": "A"},
    ops.DeleteStream: {"server": "A"},
    ops.RestoreStream: {"server": "A"},
    ops.DamageStore: {"server": "A"},
    ops.ExpectRefusal: {"action": ops.DeleteStream(server="A"), "says": "not found"},
    ops.StartLedger: {"seeds": ("A",)},
    ops.VerifyLedger: {},
    ops.MoveLeader: {"server": "A", "stream": "LEDGER", "to": "C"},
    ops.WaitMesh: {"servers": ("A", "B", "C")},
    ops.ProbeJetStream: {"server": "A", "request": "publish"},
    ops.RemoveServer: {"server": "C", "through": "A"},
    ops.RemoveStreamPeer: {"server": "C", "through": "A"},
    ops.WipeStore: {"server": "C"},
    ops.PauseServer: {"server": "A"},
    ops.ResumeServer: {"server": "A"},
    ops.CutLink: {"servers": ("A", "B")},
    ops.BlackholeLink: {"servers": ("A", "B")},
    ops.DelayLink: {"servers": ("A", "B"), "ms": 200},
    ops.HealLink: {"servers": ("A", "B")},
}


def test_every_operation_has_a_title_of_its_own():
    kinds = set(typing.get_args(ops.Operation))
    assert kinds == set(LEAST)  # a new operation must be listed here, and worded
    titles = {kind: title(kind(**LEAST[kind])) for kind in kinds}  # type: ignore[arg-type]
    assert all(t and t[0].isupper() for t in titles.values()), titles
    assert len(set(titles.values())) == len(titles)  # no two say the same
    assert titles[ops.StartClients] == "Add 1 subscriber to A or B"
    assert titles[ops.MoveLeader] == "Move stream LEDGER's leader to C"
    assert title(ops.StartServer(server="D", routes=())) == "Start server D as a seed (no routes)"
    assert title(ops.RestartServer(server="B", binary="upgrade")) == "Upgrade server B"
    jittery = ops.DelayLink(servers=("B", "C"), ms=250, jitter_ms=50)
    assert title(jittery) == "Delay the link B↔C by 250 ms + up to 50 ms"


def test_something_that_is_no_operation_has_no_title():
    with pytest.raises(AssertionError, match="no title"):
        title(object())  # type: ignore[arg-type]


def test_a_palette_line_and_a_start_up_say_the_operations_title():
    plan = start_plan(["A", "B"], subscribers=3)
    assert [e.title for e in plan] == [
        "Start server A (routes to A and B)",
        "Start server B (routes to A and B)",
        "Add 3 subscribers to A (--subscribers)",
        "Wait for the route mesh of A, B",
    ]
    assert all(e.title.startswith(title(e.operation)) for e in plan)
    toggle = entry(ops.ToggleClientSwitch(switch="honor_lame_duck"), "now off")
    assert toggle.title == "Toggle honor_lame_duck for new clients (now off)"


def test_a_run_recorded_before_titles_reports_its_actions_by_type(tmp_path):
    from natslab.cluster.rundir import RunDir
    from natslab.lab.recorder import EventRecorder
    from natslab.present.report_model import build

    run = RunDir.create(tmp_path)
    recorder = EventRecorder(run.path)
    done = {"index": 0, "ok": True, "detail": "started", "command": "nats-server -p 4222"}
    recorder(lev.ActionDone(action="start_server", **done))  # as an older natslab wrote it
    recorder(lev.ActionDone(action="stop_server", title="Stop server A (Ctrl+C)", **done))
    recorder.close()
    run.finish()
    said = [title for _, title, _, _, _ in build(run.path, with_logs=False).actions]
    assert said == ["start_server", "Stop server A (Ctrl+C)"]


def test_the_lesson_actions_noted_on_the_timeline_are_operations():
    from natslab.lessons.runner import NOTED_ON_THE_TIMELINE

    kinds = {k.__dataclass_fields__["type"].default for k in typing.get_args(ops.LessonOperation)}
    assert kinds >= NOTED_ON_THE_TIMELINE, NOTED_ON_THE_TIMELINE - kinds
