"""Log search and its highlighting: what the search screen shows, decided without a screen."""

from rich.text import Text

from natslab.present.renderings import LogSearch, MatchHighlighter

LOG = [
    "[1] 2026/11/26 06:00:00.000000 [INF] Server is ready",
    "[1] 2026/11/26 06:00:01.000000 [INF] 127.0.0.1:6333 - rid:5 - Route connection created",
    "[1] 2026/11/26 06:00:02.000000 [ERR] Error trying to connect to route: dial tcp",
    "[1] 2026/11/26 06:00:03.000000 [INF] 127.0.0.1:6333 - rid:5 - Router connection closed",
]


def test_a_search_is_case_insensitive_and_counts_what_it_searched():
    found = LogSearch.run(LOG, "route CONNECTION")
    assert found.matches == [LOG[1]]
    assert (found.total, found.searched, found.error) == (1, 4, None)
    assert found.summary() == "1 matching line of 4"


def test_a_regular_expression_may_match_many_and_only_the_last_are_kept():
    found = LogSearch.run(LOG, r"rout(e|er) connection", limit=1)
    assert found.matches == [LOG[3]]
    assert found.total == 2
    assert found.summary() == "2 matching lines of 4, the last 1 shown"


def test_a_broken_pattern_is_a_message_and_an_empty_one_finds_nothing():
    broken = LogSearch.run(LOG, "[ERR")
    assert broken.matches == [] and broken.pattern is None
    assert broken.summary().startswith("not a valid pattern: unterminated character set")
    assert LogSearch.run(LOG, "").matches == []


def test_matches_are_marked_on_top_of_the_log_colours():
    found = LogSearch.run(LOG, "trying")
    text = Text(LOG[2])
    MatchHighlighter(found.pattern).highlight(text)
    start = LOG[2].index("trying")
    marked = [s for s in text.spans if str(s.style) == "reverse bold"]
    assert [(s.start, s.end) for s in marked] == [(start, start + len("trying"))]
    assert any(str(s.style) == "bold red" for s in text.spans), "the [ERR] colour is kept"


def test_the_client_chart_scales_to_the_busiest_server_and_keeps_the_most_per_slice():
    from natslab.present.renderings import CHART_LABEL_WIDTH, CountHistory, count_chart
    from natslab.state import LabState
    from tests.test_state import connected, started

    state = LabState()
    state.apply_all([started("A", 1.0), started("B", 1.0)])
    history = CountHistory(length=4, every=1.0)
    history.sample(state, 10.0)  # [0, 0, 0, 0] for both
    for n in range(8):
        state.apply(connected(f"a-{n}", "A", "127.0.0.1:4222", pool=("127.0.0.1:4222",)))
    history.sample(state, 11.0)  # A: [0, 0, 0, 8]
    lines = count_chart(history, CHART_LABEL_WIDTH + 4).plain.splitlines()
    assert lines == ["A    8  ▁▁▁█", "B    0  ▁▁▁▁"]
    # Two columns for four samples: each keeps the larger of its two.
    assert count_chart(history, CHART_LABEL_WIDTH + 2).plain.splitlines()[0].endswith("▁█")


def test_the_mesh_label_says_no_servers_only_when_none_runs():
    from natslab.present.renderings import mesh_text
    from natslab.state import LabState
    from tests.test_state import started

    state = LabState()
    assert mesh_text(state).plain == "no servers running"
    state.apply(started("A", 1.0))
    assert mesh_text(state).plain == "A runs alone: no routes"
    state.apply(started("B", 2.0))
    assert mesh_text(state).plain.strip() == "A╌B"
    # Two clusters (joined by a gateway, say) never route to each other: each is shown by
    # its name with its own pairs, not as a broken pair A╌C; one not polled yet joins one.
    state.apply(started("C", 3.0))
    state.servers["A"].cluster_name = state.servers["B"].cluster_name = "west"
    assert mesh_text(state).plain.strip() == "A╌B A╌C B╌C"  # C not polled yet: west's
    state.servers["C"].cluster_name = "east"
    assert mesh_text(state).plain.strip() == "west: A╌B east: C"
