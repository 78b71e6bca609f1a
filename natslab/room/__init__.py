"""`natslab class`: a workshop's room on NATS: its server, who joined, what they sent."""
