"""The system-account watch asks for CONNZ a page at a time, and the server answers in pages.

Found by mutation testing (issue 34): a CONNZ request without its limit (or with no body at
all) passed the paging test, since 25 clients fit in the server's default page of 1,024;
every client was seen, in one answer. Here each answer must hold at most a page.
"""

import time

import nats

from natslab.cluster import snapshot
from natslab.watch.poller import Watched
from tests.watched import system_rounds


async def test_each_connz_answer_is_one_page_of_the_size_asked(cluster, monkeypatch):
    """25 named clients on X and pages of 10: X's connections arrive in answers of at most
    10, three or more of them, together holding every client once, and no page is asked
    for past the last."""
    pages: list[int] = []
    read = snapshot.connections

    def counted(data: dict) -> tuple[snapshot.Connection, ...]:
        found = read(data)
        pages.append(len(found))
        return found

    monkeypatch.setattr(snapshot, "CONNZ_PAGE", 10)
    monkeypatch.setattr(snapshot, "connections", counted)
    clients = [await nats.connect(cluster.client("X"), name=f"p-{n:02}") for n in range(25)]
    rounds = system_rounds(cluster, on="X")
    wanted = {f"p-{n:02}" for n in range(25)}
    names: list[str] = []
    try:
        await rounds.open()
        deadline = time.monotonic() + 20
        while not wanted <= set(names) and time.monotonic() < deadline:
            pages.clear()  # this round's answers only, of every server
            answers = await rounds.round()
            x = [a for a in answers if isinstance(a, Watched) and a.server == "X"]
            names = [c.name for c in x[0].status.connections if c.name] if x else []
    finally:
        await rounds.aclose()
        for nc in clients:
            await nc.close()
    assert set(names) >= wanted and len(names) == len(set(names)), names
    assert max(pages) <= 10 and len([p for p in pages if p]) >= 3, pages
    # No page asked past the last: the one empty answer each of Y and Z gives (no clients).
    assert pages.count(0) <= 2, pages
