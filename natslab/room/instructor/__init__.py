"""The instructor's side of a class room: the room's server and door, its stream, the
board's feeds, exports and the ending."""
