"""How a watch through the system account logs in: from -s/--creds/--user flags, or from a
natscli context file (~/.config/nats/context/NAME.json, the selected one by default)."""

from __future__ import annotations

import json
import os
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from natslab.credentials import creds_problem
from natslab.errors import NatslabError


class LoginError(NatslabError):
    """A context or a login that cannot be used, in one sentence."""


@dataclass(frozen=True)
class SystemLogin:
    """One NATS URL (or several, comma-separated) and the system-account user to log in as.
    The fields a natscli context holds, under the names it gives them (jsm.go natscontext)."""

    url: str
    user: str = ""
    password: str = ""
    creds: str = ""
    nkey: str = ""
    token: str = ""
    cert: str = ""
    key: str = ""
    ca: str = ""
    inbox_prefix: str = ""
    context: str = ""  # the context's name, when it came from one

    @property
    def urls(self) -> list[str]:
        return [u.strip() for u in self.url.split(",") if u.strip()]

    def origin(self) -> str:
        """Where this login came from, for a sentence."""
        return f"context {self.context!r}" if self.context else "the command line"

    def connect_options(self) -> dict[str, Any]:
        """nats.connect keyword arguments; files are checked first, so a bad one is a sentence."""
        options: dict[str, Any] = {}
        if self.user:
            options.update(user=self.user, password=self.password)
        elif self.creds:
            problem = creds_problem(Path(self.creds))
            if problem:
                raise LoginError(f"{problem} (from {self.origin()})")
            options["user_credentials"] = str(Path(self.creds).expanduser())
        elif self.nkey:
            seed = Path(self.nkey).expanduser()
            if not seed.is_file():
                raise LoginError(f"The nkey seed file {self.nkey} of {self.origin()} is missing.")
            options["nkeys_seed"] = str(seed)
        elif self.token:
            options["token"] = self.token
        if self.ca or self.cert:
            options["tls"] = self._tls()
        if self.inbox_prefix:
            options["inbox_prefix"] = self.inbox_prefix
        return options

    def _tls(self) -> ssl.SSLContext:
        try:
            context = ssl.create_default_context(cafile=self.ca or None)
            if self.cert and self.key:
                context.load_cert_chain(self.cert, self.key)
        except (OSError, ssl.SSLError) as exc:
            raise LoginError(f"The TLS files of {self.origin()} do not load: {exc}.") from exc
        return context


def context_dir() -> Path:
    """natscli's folder: $XDG_CONFIG_HOME/nats, else ~/.config/nats (jsm.go parentDir)."""
    parent = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(parent) / "nats"


def known_contexts() -> list[str]:
    folder = context_dir() / "context"
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def from_context(name: str | None) -> SystemLogin:
    """The named natscli context, or the selected one (context.txt) when `name` is None."""
    if not name:
        selected = context_dir() / "context.txt"
        name = selected.read_text().strip() if selected.is_file() else ""
        if not name:
            raise LoginError(
                f"No natscli context is selected ({selected} is missing or empty): give "
                "--context NAME, or -s URL with --creds or --user/--password."
            )
    if not name or ".." in name or "/" in name:
        raise LoginError(f"{name!r} is not a context name.")
    path = context_dir() / "context" / f"{name}.json"
    if not path.is_file():
        known = ", ".join(known_contexts()) or "none"
        raise LoginError(f"No natscli context {name!r}: {path} does not exist (known: {known}).")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise LoginError(f"The context file {path} is not readable JSON: {exc}.") from exc
    if not isinstance(data, dict):
        raise LoginError(f"The context file {path} is not a JSON object.")
    if data.get("nsc"):
        raise LoginError(
            f"Context {name!r} finds its login through nsc ({data['nsc']}); natslab reads "
            "only what the file holds: give --creds with the file nsc generates."
        )
    fields = {k: str(data.get(k) or "") for k in SystemLogin.__dataclass_fields__}
    fields.update(url=fields["url"] or "nats://127.0.0.1:4222", context=name)
    return SystemLogin(**fields)
