"""Check claims in words: selectors, server lists and log patterns as a learner reads them."""

from __future__ import annotations

import re
from collections.abc import Callable

from natslab.cluster.ports import PORT_PLACEHOLDER

# Regex pieces a learner need not read: "any text" becomes an ellipsis, escapes their letter.
_ANY_TEXT = re.compile(r"(?:\[\^ ?\]|\\S|\.)[*+]\??")
_ESCAPED = re.compile(r"\\(.)")


def who(selector: str, noun: str = "client") -> str:
    """'*' -> 'every client', 'sub-*' -> 'every sub-… client', 'sub-1' -> 'sub-1'."""
    if selector == "*":
        return f"every {noun}"
    if selector.endswith("-*") and "*" not in selector[:-2]:
        return f"every {selector[:-1]}… {noun}"
    if any(ch in selector for ch in "*?["):
        return f"every {noun} named like {selector}"
    return selector


def pattern_words(pattern: str, port: Callable[[str, str], int]) -> str:
    """A lesson regex as quoted text: port placeholders as "B's cluster port :16333",
    wildcards as an ellipsis, escapes and anchors dropped."""
    pieces: list[str] = []
    last = 0
    for match in PORT_PLACEHOLDER.finditer(pattern):
        # "...:{cluster:B}" reads "... B's cluster port :16333": the colon moves to the port.
        pieces.append(_plain(pattern[last : match.start()].removesuffix(":")))
        kind, server = match.group(1), match.group(2)
        pieces.append(f"{server}'s {kind} port :{port(server, kind)}")
        last = match.end()
    pieces.append(_plain(pattern[last:]))
    text = re.sub(r"\s+", " ", "".join(pieces)).strip()
    return f"“{text}”"


def _plain(regex: str) -> str:
    text = _ANY_TEXT.sub(" … ", regex.strip("^$"))
    text = _ESCAPED.sub(r"\1", text)
    return text.replace("(", "").replace(")", "").replace("|", " or ")


def with_ports(text: str, port: Callable[[str, str], int]) -> str:
    """A narrative's {client:A}, {cluster:A}, {monitor:A} as this run's port numbers."""
    return PORT_PLACEHOLDER.sub(lambda m: str(port(m.group(2), m.group(1))), text)
