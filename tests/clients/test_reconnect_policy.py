"""The avoid-lost-server policy picks its next server from what nats-py hands it."""

from urllib.parse import urlparse

from nats.aio.client import Server

from natslab.clients.reconnect import avoid_lost_server, is_server

A_INFO = {"server_name": "A", "host": "127.0.0.1", "port": 4222}


def pool(*entries: tuple[str, int]) -> list[Server]:
    return [Server(uri=urlparse(f"nats://{url}"), reconnects=n) for url, n in entries]


def test_the_lost_server_is_recognised_under_either_loopback_name():
    assert is_server(urlparse("nats://127.0.0.1:4222"), A_INFO)
    assert is_server(urlparse("nats://localhost:4222"), A_INFO)
    assert not is_server(urlparse("nats://127.0.0.1:4333"), A_INFO)
    assert is_server(urlparse("nats://localhost:4222"), {"host": "0.0.0.0", "port": 4222})
    assert not is_server(urlparse("nats://192.0.2.7:4222"), A_INFO)


def test_an_untried_other_server_is_chosen_at_once():
    choose = avoid_lost_server(2.0)
    servers = pool(("localhost:4222", 0), ("127.0.0.1:4222", 0), ("127.0.0.1:4444", 0))
    chosen, delay = choose(servers, A_INFO)
    assert chosen is servers[2] and delay == 0.0


def test_the_pool_order_decides_between_untried_servers():
    choose = avoid_lost_server(2.0)
    servers = pool(("127.0.0.1:4444", 0), ("127.0.0.1:4333", 0), ("127.0.0.1:4222", 0))
    assert choose(servers, A_INFO)[0] is servers[0]
    assert choose(servers[::-1], A_INFO)[0] is servers[1]


def test_when_every_other_server_failed_the_least_tried_is_retried_after_the_wait():
    choose = avoid_lost_server(0.5)
    servers = pool(("127.0.0.1:4222", 1), ("127.0.0.1:4333", 2), ("127.0.0.1:4444", 3))
    chosen, delay = choose(servers, A_INFO)
    assert chosen is servers[0] and delay == 0.5


async def test_the_palette_switch_applies_to_clients_started_after_it(
    session, start_servers, offset
):
    await start_servers("A")
    palette = {entry.title: entry for entry in session.palette()}
    done = await session.source.perform(
        palette["Toggle avoid_lost_server for new clients (now off)"].operation
    )
    assert "avoid_lost_server is on" in done.detail
    assert "reconnect_to_server_handler" in done.command
    palette = {entry.title: entry for entry in session.palette()}
    await session.source.perform(palette["Add 5 subscribers to A"].operation)
    started = [c for c in session.source.fleet.clients.values() if c.name.startswith("sub-")]
    assert len(started) == 5
    assert all(c.options.avoid_lost_server for c in started)
    assert "Toggle avoid_lost_server for new clients (now on)" in palette
