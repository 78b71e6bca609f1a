"""Small helpers for the sentences natslab writes."""


def counted(number: int, noun: str) -> str:
    """'1 client', '3 clients': a count with its noun in the right number."""
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"
