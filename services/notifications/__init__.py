"""Notifications: every event told to the right person, in Lithuanian or English, once."""
