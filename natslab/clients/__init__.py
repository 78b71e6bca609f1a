"""Lab clients on nats-py: subscribers, publishers and fleets of them. No Textual here."""
