"""The link operations: cut, black-hole, delay and heal the link between two servers, through
the run's link proxies (cluster/link.py)."""

from __future__ import annotations

from natslab.cluster.link import PASS, LinkMode, LinkSet
from natslab.errors import ServerStateError
from natslab.lab.operations import BlackholeLink, CutLink, DelayLink, Done, HealLink
from natslab.lab.operator import Operator, performs
from natslab.words import counted

LinkOp = CutLink | BlackholeLink | DelayLink | HealLink


def links_of(lab: Operator, op: LinkOp) -> LinkSet:
    """The run's link proxies, or the sentence that says why there are none."""
    links = lab.supervisor.links
    if links is None:
        a, b = op.servers
        raise ServerStateError(
            f"The link {a}↔{b} cannot be changed: this run's routes do not go through "
            "natslab's link proxies. Start it with links (`links = true` in the lesson, "
            "`natslab lab --links`)."
        )
    return links


@performs(CutLink)
async def _cut_link(op: CutLink, lab: Operator) -> Done:
    a, b = op.servers
    closed = await links_of(lab, op).set_pair(a, b, LinkMode("cut"))
    return Done(
        f"cut {a}↔{b}: {counted(closed, 'route connection')} closed, and both ways refuse "
        "new ones until it is healed",
        command=lab.by_hand(op),
    )


@performs(BlackholeLink)
async def _blackhole_link(op: BlackholeLink, lab: Operator) -> Done:
    a, b = op.servers
    links = links_of(lab, op)
    await links.set_pair(a, b, LinkMode("blackhole"))
    held = sum(proxy.connections for proxy in links.between(a, b))
    return Done(
        f"{a}↔{b} is a black hole: it holds {counted(held, 'route connection')} open and "
        "carries nothing; new ones are taken in and held",
        command=lab.by_hand(op),
    )


@performs(DelayLink)
async def _delay_link(op: DelayLink, lab: Operator) -> Done:
    a, b = op.servers
    mode = LinkMode("delay", op.ms, op.jitter_ms)
    await links_of(lab, op).set_pair(a, b, mode)
    return Done(f"{a}↔{b}: everything crossing it, each way, is {mode.words()}",
                command=lab.by_hand(op))  # fmt: skip


@performs(HealLink)
async def _heal_link(op: HealLink, lab: Operator) -> Done:
    a, b = op.servers
    links = links_of(lab, op)
    was = links.mode(a, b)
    await links.set_pair(a, b, PASS)
    before = "it was already passing everything" if was == PASS else f"it was: {was.words()}"
    return Done(f"healed {a}↔{b}: it passes everything again ({before})",
                command=lab.by_hand(op))  # fmt: skip
