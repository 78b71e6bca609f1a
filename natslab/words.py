"""Small helpers for the sentences natslab writes."""

import unicodedata
from collections import Counter
from collections.abc import Sequence


def counted(number: int, noun: str) -> str:
    """'1 client', '3 clients': a count with its noun in the right number."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def unless_said(prefix: str, text: str) -> str:
    """`text` without the `prefix` it starts with: a line that names a URL already need not
    hear it again in the error that follows ('refused the connection', not the URL twice)."""
    return text.removeprefix(prefix).lstrip(" :") if text.startswith(prefix) else text


def both(names: Sequence[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return _joined(names, "and")


def either(names: Sequence[str]) -> str:
    """'A', 'A or B', 'A, B or C'."""
    return _joined(names, "or")


def _joined(names: Sequence[str], word: str) -> str:
    names = list(names)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + f" {word} {names[-1]}"


# Bidirectional overrides and isolates: they reorder what a reader sees ("Trojan source").
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def printable(text: str, lines: bool = False) -> str:
    """Text from outside natslab as a terminal may show it: no control character (an escape
    sequence would move the cursor and rewrite what is on screen) and no bidirectional
    override; each becomes '?'. `lines` keeps newlines and tabs (a narrative's paragraphs)."""
    if text.isprintable():  # the usual case, and cheap
        return text
    kept = "\n\t" if lines else ""
    return "".join(ch if ch in kept or not _unsafe(ch) else "?" for ch in text)


def _unsafe(ch: str) -> bool:
    """A control character, a line or paragraph separator, or a bidirectional override;
    not a joiner or a no-break space, which real names use."""
    return unicodedata.category(ch) in ("Cc", "Zl", "Zp") or ch in _BIDI


def tally(answered_by: Sequence[str]) -> str:
    """Who answered a round of requests, most first ("" is a request nobody answered):
    "svc-1 answered 12, svc-2 answered 8, 0 unanswered"."""
    counts = Counter(answered_by)
    unanswered = counts.pop("", 0)
    said = [f"{name} answered {n}" for name, n in counts.most_common()]
    return ", ".join([*said, f"{unanswered} unanswered"])
