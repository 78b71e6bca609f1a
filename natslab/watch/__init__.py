"""`natslab watch`: a real cluster, read from its monitoring endpoints or its system account."""
