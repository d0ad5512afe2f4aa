"""Persistence every service shares: the infrastructure tables and column types (schema), engines,
the unit of work, the outbox relay and the nameko dependency that hands each worker a unit of work
(provider)."""
