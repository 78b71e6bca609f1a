"""Predictions: every judgement kind makes a different answer right when the run differs (its
negative control), the file format rejects a malformed question with its file, step and field,
and --answers is checked against the lesson before anything starts.

The judgements read LabState, which is pure: the histories here are folded from events, the
way the report replays a run. The headless and Pilot tests judge the same kinds on real runs.
"""

from types import SimpleNamespace

import pytest

from natslab.clients import events as cev
from natslab.cluster import events as sev
from natslab.errors import LessonFileError, UsageError
from natslab.lessons import model as m
from natslab.lessons import predictions
from natslab.lessons.lab_protocol import CheckContext
from natslab.lessons.model import Prediction, load_lesson, parse_answers
from natslab.state import LabState
from tests.test_state import cluster, connected

URL = {"A": "nats://127.0.0.1:4222", "B": "nats://127.0.0.1:4333", "C": "nats://127.0.0.1:4444"}


def context(state: LabState, step_started: float = 0.0) -> CheckContext:
    ctx = CheckContext(SimpleNamespace(state=state))  # type: ignore[arg-type]
    ctx.step_starts.append((1, step_started))
    return ctx


def lab(clients: int = 2, at: float = 2.0) -> LabState:
    """A, B and C routed; `clients` subscribers on A that know only A."""
    state = LabState()
    cluster(state, "ABC")
    for n in range(1, clients + 1):
        name = f"sub-{n}"
        state.apply(
            cev.ClientStarting(
                client=name, at=at - 0.1, kind="subscriber", seeds=(URL["A"],), options={}
            )
        )
        state.apply(connected(name, "A", URL["A"], pool=("127.0.0.1:4222",), at=at))
    return state


def move(state: LabState, client: str, to: str, at: float, gap_ms: float = 10.0) -> None:
    state.apply(cev.ClientDisconnected(client=client, at=at - gap_ms / 1000, url=URL["A"]))
    state.apply(
        cev.ClientReconnected(
            client=client,
            at=at,
            url=URL[to],
            server_name=to,
            client_id=9,
            pool=(),
            discovered=(),
            gap_ms=gap_ms,
        )
    )


def ask(judge: dict, *answers: dict) -> Prediction:
    return Prediction.model_validate({"question": "?", "judge": judge, "answers": list(answers)})


def judged(prediction: Prediction, state: LabState, step_started: float = 0.0):
    measured = predictions.measure(prediction.judge, context(state, step_started), 100.0)
    return measured, predictions.right_answers(prediction, measured.value)


THREE_WAYS = ({"text": "none", "below": 1}, {"text": "one", "at_least": 1, "below": 2},
              {"text": "two or more", "at_least": 2})  # fmt: skip


def test_client_server_follows_where_the_client_is():
    q = ask({"type": "client_server", "client": "sub-1"}, {"text": "B", "is": "B"},
            {"text": "C", "is": "C"}, {"text": "nowhere", "is": "none"})  # fmt: skip
    state = lab(1)
    move(state, "sub-1", "B", at=5.0)
    assert judged(q, state) == (predictions.Measured("B", "sub-1 is on B, from A"), (0,))
    move(state, "sub-1", "C", at=6.0)
    assert judged(q, state)[1] == (1,)
    state.apply(cev.ClientDisconnected(client="sub-1", at=7.0, url=URL["C"]))
    measured, _ = judged(q, state)
    assert not measured.final and measured.value == "none"


def test_clients_on_counts_and_waits_for_every_client():
    q = ask({"type": "clients_on", "server": "B"}, *THREE_WAYS)
    state = lab(2)
    assert judged(q, state)[1] == (0,)  # both still on A: none on B
    move(state, "sub-1", "B", at=5.0)
    assert judged(q, state)[1] == (1,)
    state.apply(cev.ClientDisconnected(client="sub-2", at=5.5, url=URL["A"]))
    assert not judged(q, state)[0].final  # sub-2 is between servers: not a figure yet
    move(state, "sub-2", "B", at=6.0)
    measured, right = judged(q, state)
    assert right == (2,) and measured.text == "2 of 2 clients on B"


def test_gossip_delay_is_measured_from_the_server_start():
    q = ask({"type": "gossip_delay", "clients": "sub-*", "server": "C"},
            {"text": "at once", "below": 0.1}, {"text": "a while", "at_least": 0.1},
            {"text": "never", "is": "never"})  # fmt: skip
    state = lab(2, at=0.5)  # connected before C started (at 1.0, in cluster())
    measured, right = judged(q, state)
    assert (measured.value, measured.final, right) == ("never", False, (2,))
    for name in ("sub-1", "sub-2"):
        state.apply(
            cev.ServersDiscovered(
                client=name, at=1.05, pool=("127.0.0.1:4444",), discovered=("127.0.0.1:4444",)
            )
        )
    assert judged(q, state)[1] == (0,)  # 50 ms after C started
    late = lab(1, at=0.5)
    late.apply(
        cev.ServersDiscovered(
            client="sub-1", at=2.2, pool=("127.0.0.1:4444",), discovered=("127.0.0.1:4444",)
        )
    )
    measured, right = judged(q, late)
    assert right == (1,) and measured.text == "1.2 s after C started"


def counts(state: LabState, client: str, lost: int, since_reconnect: int, at: float) -> None:
    state.apply(
        cev.MessageCounts(
            client=client, at=at, received=100, lost=lost, since_reconnect=since_reconnect
        )
    )


def test_most_lost_waits_until_every_subscriber_is_settled():
    q = ask({"type": "most_lost"}, {"text": "at most 100", "below": 101},
            {"text": "more", "at_least": 101})  # fmt: skip
    state = lab(2)
    counts(state, "sub-1", lost=3, since_reconnect=5, at=3.0)
    counts(state, "sub-2", lost=0, since_reconnect=5, at=3.0)
    assert judged(q, state)[1] == (0,)
    move(state, "sub-2", "B", at=4.0)  # a reconnect: its loss shows at its next message
    assert not judged(q, state)[0].final
    counts(state, "sub-2", lost=340, since_reconnect=1, at=4.5)
    measured, right = judged(q, state)
    assert right == (1,) and measured.text == "at most 340 messages (sub-2)"


def test_longest_gap_counts_only_this_steps_moves():
    q = ask({"type": "longest_gap"}, {"text": "fast", "below": 1}, {"text": "slow", "at_least": 1})
    state = lab(2)
    move(state, "sub-1", "B", at=5.0, gap_ms=2007)
    move(state, "sub-2", "B", at=5.0, gap_ms=14)
    assert judged(q, state, step_started=4.0)[1] == (1,)
    move(state, "sub-1", "C", at=9.0, gap_ms=12)
    # A later step judges its own moves only: sub-2's earlier move is not in it.
    measured, right = judged(q, state, step_started=8.0)
    assert right == (0,) and measured.text == "12 ms (sub-1, of 1 move)"


def test_drain_time_runs_from_lame_duck_to_the_last_client_leaving():
    q = ask({"type": "drain_time", "server": "A"}, {"text": "at once", "below": 1},
            {"text": "a while", "at_least": 1})  # fmt: skip
    state = lab(2)
    assert not judged(q, state)[0].final  # no lame duck yet
    state.apply(sev.LameDuckEntered(server="A", at=10.0, level="INF", text="Entering lame duck"))
    move(state, "sub-1", "B", at=10.3)
    assert not judged(q, state)[0].final  # sub-2 is still on A
    move(state, "sub-2", "C", at=10.6)
    assert judged(q, state)[1] == (0,)
    slow = lab(1)
    slow.apply(sev.LameDuckEntered(server="A", at=10.0, level="INF", text="Entering lame duck"))
    move(slow, "sub-1", "B", at=21.0)
    measured, right = judged(q, slow)
    assert right == (1,) and measured.text == "11.0 s from lame duck to the last client leaving"


def test_dropped_counts_this_steps_losses_and_waits_for_the_reconnecting():
    q = ask({"type": "dropped", "clients": "sub-*"}, {"text": "none", "below": 1},
            {"text": "some", "at_least": 1})  # fmt: skip
    state = lab(3)
    move(state, "sub-1", "B", at=3.0)  # before the step: not this step's loss
    assert judged(q, state, step_started=4.0)[1] == (0,)
    state.apply(cev.ClientDisconnected(client="sub-2", at=5.0, url=URL["A"]))
    assert not judged(q, state, step_started=4.0)[0].final  # sub-2 is still reconnecting
    # Closed for good after losing its server (a removed user's client): dropped, and final.
    state.apply(cev.ClientClosed(client="sub-2", at=5.1, reason="gave up reconnecting"))
    measured, right = judged(q, state, step_started=4.0)
    assert right == (1,) and measured.text == "1 of 3 clients lost their server (sub-2)"


def test_client_server_of_a_closed_client_is_none_and_final():
    q = ask({"type": "client_server", "client": "sub-1"}, {"text": "B", "is": "B"},
            {"text": "nowhere", "is": "none"})  # fmt: skip
    state = lab(1)
    state.apply(cev.ClientDisconnected(client="sub-1", at=5.0, url=URL["A"]))
    assert not judged(q, state)[0].final  # reconnecting: not yet anywhere, and not final
    state.apply(cev.ClientClosed(client="sub-1", at=6.0, reason="gave up reconnecting"))
    measured, right = judged(q, state)
    assert measured.final and right == (1,), measured


def test_jetstream_answer_is_this_steps_latest_probe():
    q = ask({"type": "jetstream_answer", "request": "publish"}, {"text": "ack", "is": "ok"},
            {"text": "nothing", "is": "no_response"})  # fmt: skip
    state = lab(0)
    assert not judged(q, state, step_started=4.0)[0].final  # nothing probed yet
    probe = cev.JetStreamProbed
    state.apply(probe(server="A", request="publish", answer="ok", detail="acked", at=3.0))
    assert not judged(q, state, step_started=4.0)[0].final  # an earlier step's answer
    state.apply(probe(server="A", request="publish", answer="timeout", detail="late", at=5.0))
    state.apply(probe(server="A", request="create_stream", answer="10008", detail="no", at=5.5))
    state.apply(probe(server="A", request="publish", answer="no_response", detail="none", at=6.0))
    measured, right = judged(q, state, step_started=4.0)
    assert right == (1,) and measured.text == "through A: none"


def test_answered_by_counts_this_steps_latest_round_through_the_server():
    q = ask({"type": "answered_by", "server": "E", "clients": "edge-*"},
            {"text": "all", "at_least": 3}, {"text": "not all", "below": 3})  # fmt: skip
    state = lab(0)
    assert not judged(q, state, step_started=4.0)[0].final  # no round yet
    rounds = cev.RequestsAnswered
    state.apply(rounds(server="E", subject="s", answered_by=("edge-1",) * 3, at=3.0))
    assert not judged(q, state, step_started=4.0)[0].final  # an earlier step's round
    state.apply(rounds(server="E", subject="s", answered_by=("edge-1", "hub-1", ""), at=5.0))
    state.apply(rounds(server="B", subject="s", answered_by=("edge-1",) * 3, at=6.0))  # B's
    measured, right = judged(q, state, step_started=4.0)
    assert right == (1,) and measured.value == 1, measured
    assert measured.text == "1 of 3 answered by edge-*: edge-1 answered 1, hub-1 answered 1, " \
        "1 unanswered"  # fmt: skip
    state.apply(rounds(server="E", subject="s", answered_by=("edge-2",) * 3, at=7.0))
    assert judged(q, state, step_started=4.0)[1] == (0,)


def test_stream_peers_is_where_the_leader_says_the_replicas_are():
    q = ask({"type": "stream_peers"}, {"text": "still C", "is": "A,B,C"},
            {"text": "D now", "is": "A,B,D"})  # fmt: skip
    state = lab(0)
    assert not judged(q, state)[0].final  # no stream yet
    for server, replicas in (("A", ("B", "C")), ("A", ("B", "D"))):
        state.servers["A"].jetstream = sev_jsz(server, replicas)
        measured, right = judged(q, state)
        assert right == ((0,) if "C" in replicas else (1,)), measured


def test_meta_members_is_the_meta_group_as_a_server_counts_it():
    from natslab.cluster.snapshot import JetStreamStatus, ReplicaStatus

    q = ask({"type": "meta_members", "server": "A"}, {"text": "C is back", "is": "A,B,C,D"},
            {"text": "C is not", "is": "A,B,D"})  # fmt: skip
    state = lab(0)
    assert not judged(q, state)[0].final  # A has not answered /jsz yet
    for listed in (("B", "C", "D"), ("B", "D")):
        peers = tuple(ReplicaStatus(r, True) for r in listed)
        state.servers["A"].jetstream = JetStreamStatus(meta_leader="B", meta_replicas=peers)
        measured, right = judged(q, state)
        assert right == ((0,) if "C" in listed else (1,)), measured


def sev_jsz(leader: str, replicas: tuple[str, ...]):
    from natslab.cluster.snapshot import JetStreamStatus, ReplicaStatus, StreamStatus

    stream = StreamStatus("LEDGER", leader, tuple(ReplicaStatus(r, True) for r in replicas))
    return JetStreamStatus(meta_leader=leader, streams=(stream,))


def test_publish_gap_waits_for_publishing_to_resume():
    q = ask({"type": "publish_gap"}, {"text": "short", "below": 0.25},
            {"text": "long", "at_least": 0.25})  # fmt: skip
    state = lab(0)
    state.apply(
        cev.ClientStarting(client="ledger", at=1.0, kind="ledger", seeds=(URL["A"],), options={})
    )
    ctx = context(state, 9.0)

    def at(now: float):
        measured = predictions.measure(q.judge, ctx, now)
        return measured, predictions.right_answers(q, measured.value)

    state.apply(cev.LedgerCounts(client="ledger", at=10.0, acked=500, last_ack_at=10.0))
    state.apply(cev.PublishGap(client="ledger", at=10.0, start=9.97, failed=0))
    measured, right = at(10.1)
    assert right == (0,) and measured.text == "30 ms without an ack (0 failed publishes)"
    assert not at(12.0)[0].final  # two seconds without an ack: still in a gap
    state.apply(cev.PublishGap(client="ledger", at=15.0, start=10.0, failed=900))
    state.apply(cev.LedgerCounts(client="ledger", at=15.0, acked=501, last_ack_at=15.0))
    measured, right = at(15.1)
    assert right == (1,) and measured.text == "5.0 s without an ack (900 failed publishes)"


def test_acked_lost_counts_what_this_steps_verification_found_missing():
    q = ask({"type": "acked_lost"}, {"text": "none", "below": 1},
            {"text": "what came after the backup", "at_least": 1})  # fmt: skip
    state = lab(0)
    state.apply(
        cev.ClientStarting(client="ledger", at=1.0, kind="ledger", seeds=(URL["A"],), options={})
    )

    def verified(at: float, missing: int) -> None:
        state.apply(
            cev.LedgerVerified(
                client="ledger", at=at, stream="LEDGER", acked=900, stored=900 - missing,
                missing=missing, missing_ids=(), duplicates=0, longest_gap_ms=20.0,
                failed=0, redeliveries=0,
            )
        )  # fmt: skip

    verified(3.0, 0)  # an earlier step's verification does not answer this one
    measured, _ = judged(q, state, step_started=5.0)
    assert not measured.final and "not been verified in this step" in measured.text
    verified(6.0, 0)
    assert judged(q, state, step_started=5.0)[1] == (0,)
    verified(7.0, 412)  # running but wrong: the stream answers, and lacks some
    measured, right = judged(q, state, step_started=5.0)
    assert right == (1,) and measured.text == "412 of 900 acknowledged missing from LEDGER"


def test_every_judgement_kind_is_registered_and_tested():
    kinds = set(m.Judgement.__args__[0].__args__)  # type: ignore[attr-defined]
    assert predictions.registered() == kinds
    tested = {name.removeprefix("test_") for name in globals() if name.startswith("test_")}
    for kind in kinds:
        tag = kind.model_fields["type"].annotation.__args__[0]
        assert any(t.startswith(tag) for t in tested), f"no negative control for {tag}"


# --- the file format -------------------------------------------------------------------

STEP = """
id = "q"
title = "Q"
servers = ["A", "B"]

[[steps]]
title = "Stop A"
{extra}
[[steps.actions]]
type = "{action}"
server = "A"

[steps.predict]
question = "Where does sub-1 go?"
judge = {judge}
{answers}
"""
ANSWER = '[[steps.predict.answers]]\ntext = "{text}"\n{match}\n'


def lesson_file(tmp_path, *answers, judge='{ type = "clients_on", server = "B" }',
                action="stop_server", extra=""):  # fmt: skip
    text = STEP.format(
        extra=extra,
        action=action,
        judge=judge,
        answers="".join(ANSWER.format(text=f"answer {i}", match=a) for i, a in enumerate(answers)),
    )
    path = tmp_path / "q.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("answers", "judge", "extra", "action", "error"),
    [
        (["below = 1"], None, "", "stop_server",
         "field predict.answers: List should have at least 2 items"),
        (["below = 2", "at_least = 1"], None, "", "stop_server",
         "field predict.answers[1]: its range overlaps answer 1's"),
        (['is = "B"', "at_least = 1"], None, "", "stop_server",
         "field predict.answers[0]: a clients_on judgement measures a number"),
        (["at_least = 1", 'is = "B"'], '{ type = "client_server", client = "sub-1" }', "",
         "stop_server", "field predict.answers[0]: a client_server judgement measures a server"),
        (['is = "D"', 'is = "B"'], '{ type = "client_server", client = "sub-1" }', "",
         "stop_server", "field predict.answers[0].is: 'D' is not one of the lesson's servers"),
        (['is = "B"', 'is = "B"'], '{ type = "client_server", client = "sub-1" }', "",
         "stop_server", "field predict.answers[0]: another answer is also 'B'"),
        (["below = 1", "at_least = 1"], '{ type = "clients_on", server = "E" }', "",
         "stop_server", "field predict.judge.server: server E is not one of the lesson's"),
        (["below = 1", "at_least = 1"], '{ type = "guess" }', "", "stop_server",
         "field predict.judge: unknown judgement type 'guess'"),
        (["below = 1", "below = 3\nat_least = 2"], None, "hands_on = true", "start_server",
         "field hands_on: the step's first action must be one a learner can do"),
        (["at_least = 3\nbelow = 3", "at_least = 3"], None, "", "stop_server",
         "field predict.answers[0]: at_least 3 is not below 3"),
    ],
)  # fmt: skip
def test_a_malformed_question_names_file_step_and_field(
    tmp_path, answers, judge, extra, action, error
):
    kwargs = {"judge": judge} if judge else {}
    path = lesson_file(tmp_path, *answers, extra=extra, action=action, **kwargs)
    with pytest.raises(LessonFileError) as caught:
        load_lesson(path)
    message = str(caught.value)
    assert message.startswith("q.toml, step 1 'Stop A', "), message
    assert error in message, message


def test_answers_are_checked_against_the_lesson(tmp_path):
    lesson = load_lesson(lesson_file(tmp_path, "below = 1", "at_least = 1"))
    assert parse_answers(lesson, "2") == [1]
    assert parse_answers(lesson, "-") == [None]
    with pytest.raises(UsageError, match=r"gives 2 answers, but lesson 'q' asks 1 question\."):
        parse_answers(lesson, "1,2")
    with pytest.raises(
        UsageError, match=r"answer 1 is '3', but question 1 \(step 1, 'Stop A'\) has answers 1-2"
    ):
        parse_answers(lesson, "3")


def test_a_judged_prediction_has_one_wording_for_every_screen():
    """The terminal, the report and the lesson panel all print outcome() and said()."""
    from natslab.lessons.events import PredictionJudged

    def judged(answer: int | None, matched: bool | None) -> PredictionJudged:
        return PredictionJudged(
            at=0.0, index=1, question="Where do they go?", answers=("A", "B", "C"),
            answer=answer, right=(1,), measured="3 on B", matched=matched,
        )  # fmt: skip

    assert (judged(1, True).said(), judged(1, True).outcome()) == ("2. B", "right")
    assert judged(0, False).outcome() == "the run says 2. B"
    assert judged(None, None).said() == ""
    assert judged(None, None).outcome() == "not answered: the run says 2. B"
