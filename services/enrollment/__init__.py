"""Enrollment: training courses, sessions, fair enrolment with waitlists."""
