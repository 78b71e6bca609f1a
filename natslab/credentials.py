"""A NATS .creds file checked before nats-py reads it: readable, and holding a JWT and a seed."""

from __future__ import annotations

from pathlib import Path

CREDS_MARKS = (b"BEGIN NATS USER JWT", b"BEGIN USER NKEY SEED")


def creds_problem(path: Path) -> str | None:
    """Why `path` is not a usable credentials file, as a sentence, or None. Checked here
    because nats-py reads a file without the JWT's mark forever."""
    try:
        text = path.expanduser().read_bytes()
    except OSError as exc:
        return f"Cannot read the credentials file {path}: {exc.strerror or exc}."
    if not all(mark in text for mark in CREDS_MARKS):
        return (
            f"{path} is not a NATS credentials file: it holds a user's JWT and nkey seed, "
            "as `nsc generate creds` writes it."
        )
    return None
