"""The partners service's application layer: one module per capability, each a set of functions
taking the worker's unit of work (shared/persistence/unit_of_work.py) and plain inputs (the
validated pydantic bodies and queries, the principal or the enforced tenant). They load through
services/partners/repository.py, decide with services/partners/domain, emit events through the
unit of work and commit; service.py only maps nameko entrypoints to them.

- organisations: organisation profiles, renewal (also by a link's key), the example profiles;
- partner_requests: requests, the explained ranking and proposals (matching);
- introductions: the double opt-in, answers (also by a link's key);
- choices: the requester's choice page by a link's key (ask for an introduction, propose again);
- partnerships: partnerships, letters of intent, visits, completion;
- reports: the bilateral results report;
- scheduled: what the timer runs (reminders, expiry, renewal reminders);
- erasure: forgetting a person (privacy.erasure_requested).
"""
