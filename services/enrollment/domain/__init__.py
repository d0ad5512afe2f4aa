"""Enrollment rules in plain Python: no nameko, no database session."""
