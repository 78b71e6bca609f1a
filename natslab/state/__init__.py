"""LabState: every event and snapshot folded into one model of servers, routes and clients.

Pure and synchronous: no I/O, no clock of its own (times come from the events), so it can be
driven by replaying a recorded history as easily as by live servers.

Of the events parsed from log lines, LabState folds those the polls cannot tell, or tell
late: ready, lame duck, shutting down, route dial errors, cluster-name updates and conflicts,
why a route closed, and warnings. A route coming up is left to /routez (2.10+ logs one line
per pooled connection), and client connection lines to nats-py and /connz, which say which
client it was; those two kinds are recorded in events.jsonl but not folded.
"""

from natslab.state.lab_state import LabState
from natslab.state.tracked import (
    TIMELINE_LENGTH,
    UNCHANGED,
    ActionTaken,
    ClientState,
    ClientView,
    KnownServer,
    LessonActionNoted,
    ServerState,
    ServerView,
    TimelineEntry,
)

__all__ = [
    "TIMELINE_LENGTH",
    "UNCHANGED",
    "ActionTaken",
    "ClientState",
    "ClientView",
    "KnownServer",
    "LabState",
    "LessonActionNoted",
    "ServerState",
    "ServerView",
    "TimelineEntry",
]
