"""Messaging machinery: topology, the outbox publishers, subscriptions with retries and dead letters."""
