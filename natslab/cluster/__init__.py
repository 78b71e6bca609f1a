"""Real nats-server processes: finding, configuring, running and watching them."""
