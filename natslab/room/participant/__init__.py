"""The participant's side of a class room: joining, the uplink and its outbox, and what
the lab's screen shows of the room."""
