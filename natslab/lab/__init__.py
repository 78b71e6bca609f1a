"""The application layer: one run's session, the one vocabulary of operations, logs, records."""
