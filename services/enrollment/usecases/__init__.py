"""The enrollment service's application layer: one module per capability.

Each use case is a function taking the worker's unit of work (`uow`: one transaction, the events
it emits), the public `Links` where responses or events carry links, and plain inputs (the
validated pydantic bodies and queries, the principal or the enforced tenant). It loads through the
repository (repository.py), asks the domain (domain/, pure rules) what to do, applies it, emits the
events with `uow.emit` and commits. The service class (service.py) only maps entrypoints to these.

    catalogue       courses and sessions: create, list, schedule, change, cancel
    enrolment       enrol (Idempotency-Key, the same person twice), lists, waitlist, cancel, offers
    self_service    the person's own link: status, leave, accept
    calendars       iCalendar files: a session's, a person's feed
    attendance      attendance records and completing a session
    certificates    listing and public verification
    reports         the training hours ledger and the summary report (JSON or CSV)
    training_needs  proposals, support, status, the demand ranking
    erasure         privacy.erasure_requested: forget a person
    housekeeping    the timer's jobs: quota releases and expired offers, reminders, expiry notices
    seating         seat changes of one session under its row lock (shared by the above)
    certification   attendance, completion and certificates applied to rows (shared by the above)
"""
