"""The notifications service's application layer: one module per capability, each a few functions
(or a small class) taking a UnitOfWork and plain inputs or validated bodies. They hold the
orchestration (load, ask domain/, store through repository.py, commit, wake the delivery loop);
service.py only maps entrypoints to them, and the rules stay in domain/.

    recipients   registering people, their preferences, webhook secrets, bounces
    telling      an event → the notifications it causes (tellers, preferences per channel)
    delivery     a delivery round: lease, render, send through the channels, record; daily digests
    unsubscribe  the one-click unsubscribe link (page and POST)
    operator     the delivery log, an event's progress, resend and retry-failed, stats
    previews     the templates and their previews
    erasure      forgetting a person
"""
