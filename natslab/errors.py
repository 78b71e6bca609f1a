"""User-facing errors: each one is a single sentence that says what went wrong and where."""


class NatslabError(Exception):
    """An error the user can act on; the CLI prints its message and no traceback."""


class BinaryNotFoundError(NatslabError):
    """No usable nats-server executable could be found."""


class PortInUseError(NatslabError):
    """A port the lab needs is already taken."""


class ServerStartError(NatslabError):
    """A server exited, or never became ready, while it was being started."""


class UnknownServerError(NatslabError):
    """An operation named a server the lab does not know."""
