"""Small helpers for the sentences natslab writes."""


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """'1 client', '3 clients': a count with its noun in the right number."""
    if number == 1:
        return f"{number} {noun}"
    return f"{number} {plural or noun + 's'}"
