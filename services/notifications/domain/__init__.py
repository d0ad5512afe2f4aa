"""Notification rules in plain Python: language forms, dates, identities of messages."""
