"""Helpers for the entrypoint tests (tests/<service>/test_entrypoints.py): a service's entrypoints
run in a nameko container with their use cases mocked."""

from __future__ import annotations

from unittest import mock

from nameko.testing.services import entrypoint_hook


def handler_steps(container, unit_of_work, handler: str, use_cases, use_case: str, event, envelope) -> list:
    """Deliver `event` to the event handler `handler` with `use_cases.<use_case>` mocked; the calls to
    the unit of work (as `uow`) and to the use case, in the order they were made."""
    steps = mock.Mock()
    steps.attach_mock(unit_of_work, "uow")
    with mock.patch.object(use_cases, use_case) as mocked, entrypoint_hook(container, handler) as hook:
        steps.attach_mock(mocked, use_case)
        hook(event, envelope)
    return steps.mock_calls
