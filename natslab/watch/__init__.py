"""`natslab watch`: the lab's picture of a real cluster, from its monitoring endpoints only."""
