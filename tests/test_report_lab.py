"""A free-form lab run's report: the palette actions taken (refused ones too) and the bill of
what each client received and lost, from real servers, a real publisher and subscribers."""

import pytest

from natslab.errors import NatslabError
from natslab.lab.local import LabSession, open_lab
from natslab.lab.operations import PaletteEntry, StopPublisher
from natslab.lab.recorder import EVENTS_FILE, read_events
from natslab.lab.settings import RunSettings
from natslab.present.report import to_html, to_markdown
from natslab.present.report_model import build
from natslab.state import ClientState
from tests.helpers import async_wait_until


async def take(lab: LabSession, title: str) -> None:
    """Run the palette entry of that title, as the TUI's palette does."""
    entry = next(e for e in lab.palette() if e.title == title)
    await lab.take(entry)


async def test_a_lab_run_reports_its_actions_and_what_clients_lost(offset):
    lab = open_lab(settings=RunSettings(offset=offset))
    lab.start_polling()  # the route mesh is seen in /routez, as in the TUI
    try:
        await take(lab, "Start server A (routes to A and B)")
        await take(lab, "Start server B (routes to A and B)")
        await async_wait_until(lambda: lab.state.is_full_mesh("AB"), 20, what="the mesh A-B")
        await take(lab, "Add 5 subscribers to A")
        await take(lab, "Start a publisher on B")

        def subscribers():
            return [c for c in lab.state.lab_clients() if c.kind == "subscriber"]

        await async_wait_until(
            lambda: len(subscribers()) == 5 and all(c.received > 0 for c in subscribers()),
            20,
            what="every subscriber receiving",
        )
        with pytest.raises(NatslabError):
            await lab.take(PaletteEntry("Stop publisher nobody", StopPublisher(name="nobody")))
        await take(lab, "Stop server A (Ctrl+C)")
        on_b = ClientState.CONNECTED, "B"
        await async_wait_until(
            lambda: all((c.state, c.server) == on_b for c in subscribers()),
            30,
            what="every subscriber on B",
        )
    finally:
        await lab.close()

    report = build(lab.run_dir.path)
    assert report.kind == "lab"
    titles = [(title, ok) for _, title, ok, _, _ in report.actions]
    assert titles == [
        ("Start server A (routes to A and B)", True),
        ("Start server B (routes to A and B)", True),
        ("Add 5 subscribers to A", True),
        ("Start a publisher on B", True),
        ("Stop publisher nobody", False),
        ("Stop server A (Ctrl+C)", True),
    ]
    assert report.actions[3][4].startswith("nats pub -s nats://127.0.0.1:")  # its command
    assert [m.kind for m in report.marks].count("action") == 6
    # The bill is the run's own counts: what the state held when the run closed.
    subs = {c.name: c for c in lab.state.lab_clients() if c.kind == "subscriber"}
    lanes = {lane.client: lane for lane in report.lanes if lane.client in subs}
    assert {n: (lane.received, lane.lost) for n, lane in lanes.items()} == {
        n: (c.received, c.lost) for n, c in subs.items()
    }
    assert all(lane.received > 0 for lane in lanes.values())
    assert all(lane.moves == 1 and lane.segments[0].server == "A" for lane in lanes.values())
    (bill,) = [b for b in report.bills if b.kind == "subscriber"]
    assert (bill.clients, bill.moves, bill.lost) == (5, 5, sum(c.lost for c in subs.values()))

    # Counters come several times a second; a client's are kept only when its loss changes,
    # and its last totals once: the record stays small over a long lab.
    records = read_events(lab.run_dir.path / EVENTS_FILE)
    for name in subs:
        counts = [r for r in records if r["type"] == "MessageCounts" and r["client"] == name]
        assert counts[-1]["received"] == subs[name].received
        assert len(counts) <= len({r["lost"] for r in counts}) + 2  # + totals at close, at end

    page = to_html(report)
    assert "This run had no lesson" not in page and "Steps and checks" not in page
    assert "A free-form lab run: 6 actions taken;" in page
    assert "What was done" in page and "Stop publisher nobody" in page
    markdown = to_markdown(report)
    assert "✗ Stop publisher nobody: There is no publisher named nobody." in markdown
