"""`natslab watch`: the lab's picture of a real cluster, from its monitoring endpoints or its system account; it only reads."""
