"""User-facing errors: each one is a single sentence that says what went wrong and where."""


class NatslabError(Exception):
    """An error the user can act on; the CLI prints its message and no traceback."""


class BinaryNotFoundError(NatslabError):
    """No usable nats-server executable could be found."""


class NotANatsServerError(BinaryNotFoundError):
    """A file was given as nats-server that does not run as one."""


class PortInUseError(NatslabError):
    """A port the lab needs is already taken."""


class ServerStartError(NatslabError):
    """A server exited, or never became ready, while it was being started."""


class UnknownServerError(NatslabError):
    """An operation named a server the lab does not know."""


class ServerStateError(NatslabError):
    """An operation that does not fit the server's state (already running, not running)."""


class ClientSetupError(NatslabError):
    """A lab client could not be created or connected as asked."""


class LessonFileError(NatslabError):
    """A lesson file that cannot be loaded; the message names the file, step and field."""


class TimedOutError(NatslabError):
    """Something the lab waited for did not happen within its deadline."""


class UsageError(NatslabError):
    """A command line that asks for something natslab cannot do (no terminal, no binary)."""


class RunDirError(NatslabError):
    """A run directory that is missing, not natslab's, or cannot be written."""
