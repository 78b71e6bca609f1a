"""NATS user JWTs, for a room on a deployment whose operator gave the instructor an account
signing key: natslab issues each participant a user scoped to their own subjects, and the
room a bearer join user. A JWT is a header, claims (nats v2) and an ed25519 signature of the
two by an nkey (the encoding of nats-io/jwt v2: base64url without padding)."""

from __future__ import annotations

import base64
import hashlib
import json
import time
from pathlib import Path
from typing import Any

import nkeys

from natslab.errors import UsageError

HEADER = {"typ": "JWT", "alg": "ed25519-nkey"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def encode(issuer: nkeys.KeyPair, subject: str, name: str, nats: dict[str, Any],
           expires: float | None = None) -> str:  # fmt: skip
    """A JWT of `nats` claims about `subject`, signed by `issuer`."""
    claims: dict[str, Any] = {
        "iat": int(time.time()),
        "iss": issuer.public_key.decode(),
        "name": name,
        "sub": subject,
        "nats": {**nats, "version": 2},
    }
    if expires is not None:
        claims["exp"] = int(expires)
    digest = hashlib.sha256(json.dumps(claims, sort_keys=True).encode()).digest()
    claims["jti"] = base64.b32encode(digest).decode().rstrip("=")
    head, body = _b64(json.dumps(HEADER).encode()), _b64(json.dumps(claims).encode())
    return f"{head}.{body}.{_b64(issuer.sign(f'{head}.{body}'.encode()))}"


def user(signing_key: nkeys.KeyPair, account: str, user_key: str, name: str,
         pub: list[str], sub: list[str], bearer: bool = False,
         expires: float | None = None) -> str:  # fmt: skip
    """A user of `account`, signed by one of its signing keys, allowed only `pub`/`sub`."""
    claims: dict[str, Any] = {
        "type": "user", "pub": {"allow": pub}, "sub": {"allow": sub},
        "subs": -1, "data": -1, "payload": -1, "issuer_account": account,
    }  # fmt: skip
    if bearer:
        claims["bearer_token"] = True  # presented alone, no key: for the join line
    return encode(signing_key, user_key, name, claims, expires)


def creds(token: str, seed: str) -> str:
    """A .creds file, as nsc writes it and nats-py reads it."""
    return (
        f"-----BEGIN NATS USER JWT-----\n{token}\n------END NATS USER JWT------\n\n"
        f"-----BEGIN USER NKEY SEED-----\n{seed}\n------END USER NKEY SEED------\n"
    )


def claims_of(token: str) -> dict[str, Any]:
    """The claims of a JWT (not verified: the server does that)."""
    body = token.split(".")[1]
    data: dict[str, Any] = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return data


def load_signing_key(path: Path) -> nkeys.KeyPair:
    """An account signing key's seed (SA…), from the file the deployment's operator gave."""
    try:
        seed = path.expanduser().read_text().strip().splitlines()[-1].strip()
        key = nkeys.from_seed(seed.encode())
    except (OSError, IndexError, nkeys.ErrInvalidSeed, ValueError) as exc:
        raise UsageError(
            f"--signing-key {path}: not an account signing key's seed (a line starting SA)."
        ) from exc
    if not seed.startswith("SA"):
        raise UsageError(f"--signing-key {path}: that seed is not an account's (SA…).")
    return key
