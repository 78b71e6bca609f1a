"""Small helpers for the sentences natslab writes."""

from collections.abc import Sequence


def counted(number: int, noun: str) -> str:
    """'1 client', '3 clients': a count with its noun in the right number."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


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
