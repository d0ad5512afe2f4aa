"""The base of every pydantic model in the project: the event catalogue (shared/events), the API
schemas and the page forms of the services.

`defer_build=True`: a model's validator and serializer are generated the first time the model is
used (a validation, a dump, its JSON schema), not when its class is defined. A process imports
about 370 models and most requests use a few of them, so generating all of them at import was a
large part of a start (docs/performance.md, "Embedded start"); a model's first use pays its own
(a millisecond or a few; a model nested in another is generated with it). Validation, error
messages, serialisation and JSON schemas are the same either way: only the moment differs.

A subclass's `model_config` is merged with this one (pydantic merges configs along the bases),
so `model_config = ConfigDict(extra="forbid")` in a subclass keeps `defer_build`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """A pydantic model whose validator is built on first use (see the module's docstring)."""

    model_config = ConfigDict(defer_build=True)
