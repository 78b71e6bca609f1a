"""The client panel redraws only what changed, and still shows every change (no servers)."""

from textual.app import App

from natslab.clients import events as cev
from natslab.state import LabState
from natslab.tui.widgets.client_panel import ClientPanel
from tests.test_state import cluster, connected, started
from tests.tui.pilot import wait_for


class PanelApp(App[None]):
    def compose(self):
        yield ClientPanel()


def row(panel: ClientPanel, client: str) -> list[str]:
    return [cell.plain for cell in panel._table.get_row(client)]


POOL = ("127.0.0.1:4222", "127.0.0.1:4333")


def forty_clients_on_a() -> LabState:
    """A and B, and forty clients on A that know both."""
    state = LabState()
    cluster(state, names="AB")
    for n in range(1, 41):
        state.apply(connected(f"c-{n}", "A", "127.0.0.1:4222", pool=POOL, discovered=POOL))
    return state


async def laid_out(pilot, app: PanelApp) -> ClientPanel:
    panel = app.query_one(ClientPanel)
    await wait_for(pilot, lambda: panel.content_size.width > 0, 5, "the panel laid out")
    return panel


async def test_rows_follow_moves_late_gossip_and_closes_and_keep_the_readers_place():
    state = forty_clients_on_a()
    pool = POOL
    app = PanelApp()
    async with app.run_test(size=(160, 30)) as pilot:
        panel = await laid_out(pilot, app)
        panel.show(state)
        assert row(panel, "c-2")[1:4] == ["A", "2.15.1", "A* B*"]
        panel._table.move_cursor(row=30)
        await wait_for(pilot, lambda: panel._table.scroll_y > 0, 5, "the table scrolled")
        scrolled = panel._table.scroll_y

        # A move: that row changes.
        state.apply(
            cev.ClientReconnected(
                client="c-2", at=5.0, url="127.0.0.1:4333", server_name="B", client_id=9,
                pool=pool, discovered=pool, gap_ms=12.0,
            )
        )  # fmt: skip
        panel.show(state)
        assert row(panel, "c-2")[4:6] == ["1", "12 ms"]
        assert row(panel, "c-3")[4:6] == ["0", "-"]

        # Gossip about a server the lab had no name for yet is named once it starts.
        more = (*pool, "127.0.0.1:4444")
        state.apply(cev.ServersDiscovered(client="c-1", at=6.0, pool=more, discovered=more))
        panel.show(state)
        assert row(panel, "c-1")[3] == "A* B*"
        state.apply(started("C", 6.1))
        panel.show(state)
        assert row(panel, "c-1")[3] == "A* B* C*"

        # A closed client goes last; the reader's row and scroll position stay.
        state.apply(cev.ClientClosed(client="c-1", at=7.0, reason="stopped by the lab"))
        panel.show(state)
        keys = [key.value for key in panel._table.rows]
        assert keys[-1] == "c-1" and keys[0] == "c-2"
        assert row(panel, "c-1")[1] == "closed"
        assert panel._table.cursor_row == 30
        # (within a line: the table keeps the cursor row in view as it fills again)
        await wait_for(
            pilot, lambda: abs(panel._table.scroll_y - scrolled) <= 1, 5, "the scroll kept"
        )


async def test_one_clients_change_touches_only_that_rows_changed_cells():
    state = forty_clients_on_a()
    app = PanelApp()
    async with app.run_test(size=(160, 30)) as pilot:
        panel = await laid_out(pilot, app)
        panel.show(state)
        table = panel._table
        updated: list[tuple[str, str]] = []
        bulk: list[int] = []
        update_cell, replace_rows = table.update_cell, table.replace_rows

        def counting_update(row_key, column_key, value, **kw):
            updated.append((str(getattr(row_key, "value", row_key)), value.plain))
            return update_cell(row_key, column_key, value, **kw)

        def counting_replace(rows):
            bulk.append(len(rows))
            return replace_rows(rows)

        table.update_cell, table.replace_rows = counting_update, counting_replace
        panel.show(state)  # nothing changed: nothing is redrawn
        assert (updated, bulk) == ([], [])

        state.apply(cev.MessageCounts(client="c-7", at=8.0, received=30, lost=4, published=0))
        panel.show(state)
        assert bulk == [] and updated == [("c-7", "30"), ("c-7", "4")], updated


async def test_a_narrow_panel_keeps_lost_in_view_however_many_servers_a_client_knows():
    """Five servers made Knows "A B* C* D* E*" and pushed Lost, the column a step is judged
    by, past the edge of a 48-column panel (from the learners' walks at 120x40)."""
    state = LabState()
    cluster(state, names="ABCDE")
    pool = tuple(f"127.0.0.1:{4222 + 111 * n}" for n in range(5))
    state.apply(connected("ledger-reader", "A", pool[0], pool=pool, discovered=pool[1:]))
    state.apply(cev.MessageCounts(client="ledger-reader", at=8.0, received=30, lost=4))
    app = PanelApp()
    async with app.run_test(size=(48, 20)) as pilot:
        panel = await laid_out(pilot, app)
        panel.show(state)
        table = panel._table
        await wait_for(pilot, lambda: table.row_count == 1, 5, "the client's row")
        await pilot.pause()
        labels = [str(c.label) for c in table.columns.values()]
        assert labels[:3] == ["Client", "On", "Lost"], labels
        lost_ends = sum(c.get_render_width(table) for c in list(table.columns.values())[:3])
        assert lost_ends <= table.scrollable_content_region.width, (lost_ends, table.size)
        assert "A B* C* D* E*" in row(panel, "ledger-reader")[-1]
