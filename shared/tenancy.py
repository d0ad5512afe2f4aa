"""Tenancy, declared on each route and enforced by the HTTP layer before the handler runs.

A municipality token (`municipality:<code>`) acts for its own municipality only; staff and
operators act for the centre, across municipalities. Every route that admits the municipality role
says how its data belongs to a municipality, with one or more scopes:

    @route("GET", "/grants/applications/<uuid:application_id>", roles=STAFF_OR_MUNICIPALITY,
           scope=Tenancy.resource("application_id", application_owner, "application"))

- `Tenancy.none(reason)` – the route carries no municipality's data (the course catalogue, funding
  calls); nothing to enforce.
- `Tenancy.body(field)` – the request body names the municipality acted for; a municipality token
  must name its own (403 otherwise, with `errors[].field`).
- `Tenancy.path(param)` – the same for a path parameter naming the municipality.
- `Tenancy.query(field=None)` – a listing, report or export: for a municipality token the filter is
  forced to its own code (another code is 403); the handler receives the effective filter as
  `tenant` (its own code for a municipality token, the query's `field` or None for the centre).
- `Tenancy.resource(param, owner, name)` – the path id's owner, found by `owner(service, id)`
  (usually `owned_by(Model.municipality_code, Model.id)`), evaluated inside the worker before the
  handler body (so it reads the service's own database in the request's unit of work). Another municipality's resource (or the centre's, owner None) is 404
  to a municipality token, exactly as an unknown id: existence is not leaked.
- `Tenancy.shared(param, owners, name)` – like `resource`, for a record several municipalities share
  (a group's consulting engagement): `owners(service, id)` gives the set of their codes (usually
  `shared_by(Model.municipality_code, Model.parent_id)`); each of them sees it, others get 404.
- `Tenancy.identity(field, owner, name)` – a body field (an e-mail address) keys an existing
  record that the request would change: `owner(service, kwargs)` gives `(found, municipality)`; a
  municipality token may change only records of its own municipality (403 otherwise). People the
  centre registers (municipality empty) are changed only by staff or by the person's signed link.

`Route.setup` refuses to start a service with a route that admits the municipality role and
declares no scope; `x-tenancy` in the OpenAPI document lists each operation's scopes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable

from shared.errors import Forbidden, NotFound

MUNICIPALITY = "municipality"
_PATH_PARAM = re.compile(r"<(?:[a-z]+:)?([A-Za-z_][A-Za-z0-9_]*)>")


class TenancyUndeclared(ValueError):
    """A route open to municipality tokens without a declared scope, or a scope naming nothing."""


def path_parameters(path: str) -> list[str]:
    return _PATH_PARAM.findall(path)


def _acts_for(principal) -> str | None:
    """The municipality a principal is confined to (None: the centre, every municipality)."""
    return principal.municipality_code if principal is not None and principal.role == MUNICIPALITY else None


def _refuse(own: str, field: str, named: object) -> Forbidden:
    what = f"municipality {named}" if named else "no municipality"
    return Forbidden(f"this token acts for municipality {own} only; the request names {what}", field=field)


@dataclass(frozen=True)
class Scope:
    kind: str
    in_worker = False

    def check(self, route) -> None:
        """Raise TenancyUndeclared if the scope names something the route does not have."""

    def authorise(self, principal, kwargs: dict) -> None:
        """Before the worker: checks on the parsed request (may set or narrow kwargs)."""

    def authorise_in_worker(self, service, principal, kwargs: dict) -> None:
        """Inside the worker, before the handler body: checks that need the service's database."""

    def document(self) -> dict:
        return {"kind": self.kind}


@dataclass(frozen=True)
class NoMunicipalityData(Scope):
    reason: str = ""

    def check(self, route) -> None:
        if not self.reason.strip():
            raise TenancyUndeclared(f"{route.method} {route.path}: Tenancy.none needs a reason")

    def document(self) -> dict:
        return {"kind": self.kind, "reason": self.reason}


@dataclass(frozen=True)
class Centre(Scope):
    """Staff and operators only (implied by roles without the municipality role)."""

    def check(self, route) -> None:
        if route.roles and MUNICIPALITY in route.roles:
            raise TenancyUndeclared(f"{route.method} {route.path}: Tenancy.centre on a route municipality tokens may call")


@dataclass(frozen=True)
class Public(Scope):
    """No token: the request carries its own proof (a signed link, a key) or no personal data."""


@dataclass(frozen=True)
class BodyField(Scope):
    field: str = "municipality_code"

    def check(self, route) -> None:
        if route.body is None or self.field not in route.body.model_fields:
            raise TenancyUndeclared(f"{route.method} {route.path}: the body has no field {self.field!r}")

    def authorise(self, principal, kwargs: dict) -> None:
        own = _acts_for(principal)
        if own is None:
            return
        named = getattr(kwargs["body"], self.field)
        if named != own:
            raise _refuse(own, self.field, named)

    def document(self) -> dict:
        return {"kind": self.kind, "field": self.field, "in": "body"}


@dataclass(frozen=True)
class PathParameter(Scope):
    parameter: str = "municipality_code"

    def check(self, route) -> None:
        if self.parameter not in path_parameters(route.path):
            raise TenancyUndeclared(f"{route.method} {route.path}: no path parameter {self.parameter!r}")

    def authorise(self, principal, kwargs: dict) -> None:
        own = _acts_for(principal)
        if own is not None and kwargs[self.parameter] != own:
            raise _refuse(own, self.parameter, kwargs[self.parameter])

    def document(self) -> dict:
        return {"kind": self.kind, "parameter": self.parameter, "in": "path"}


@dataclass(frozen=True)
class QueryFilter(Scope):
    field: str | None = None

    def check(self, route) -> None:
        if self.field is not None and (route.query is None or self.field not in route.query.model_fields):
            raise TenancyUndeclared(f"{route.method} {route.path}: the query has no field {self.field!r}")

    def authorise(self, principal, kwargs: dict) -> None:
        own = _acts_for(principal)
        query = kwargs.get("query")
        named = getattr(query, self.field) if self.field is not None and query is not None else None
        if own is None:
            kwargs["tenant"] = named
            return
        if named not in (None, own):
            raise _refuse(own, self.field, named)
        if self.field is not None and query is not None:
            kwargs["query"] = query.model_copy(update={self.field: own})
        kwargs["tenant"] = own

    def document(self) -> dict:
        return {"kind": self.kind, "field": self.field, "in": "query",
                "rule": "a municipality token's filter is forced to its own municipality"}


@dataclass(frozen=True)
class Resource(Scope):
    parameter: str = ""
    owner: Callable[[Any, Any], str | None] | None = None
    name: str = "resource"
    in_worker = True

    def check(self, route) -> None:
        if self.parameter not in path_parameters(route.path):
            raise TenancyUndeclared(f"{route.method} {route.path}: no path parameter {self.parameter!r}")
        if not callable(self.owner):
            raise TenancyUndeclared(f"{route.method} {route.path}: Tenancy.resource needs an owner lookup")

    def authorise_in_worker(self, service, principal, kwargs: dict) -> None:
        own = _acts_for(principal)
        if own is None:
            return
        identifier = kwargs[self.parameter]
        if self.owner(service, identifier) != own:  # an unknown id (owner None) reads the same
            raise NotFound(self.name, identifier)

    def document(self) -> dict:
        return {"kind": self.kind, "parameter": self.parameter, "in": "path", "resource": self.name,
                "rule": "another municipality's resource is 404, as an unknown id"}


@dataclass(frozen=True)
class SharedResource(Resource):
    """A resource several municipalities share (a group's engagement): `owner(service, id)` gives
    the set of municipalities it belongs to; each sees it, any other is 404 as an unknown id."""

    def authorise_in_worker(self, service, principal, kwargs: dict) -> None:
        own = _acts_for(principal)
        if own is None:
            return
        identifier = kwargs[self.parameter]
        if own not in (self.owner(service, identifier) or ()):
            raise NotFound(self.name, identifier)

    def document(self) -> dict:
        return super().document() | {"rule": "visible to each municipality it serves; another municipality's "
                                              "is 404, as an unknown id"}


@dataclass(frozen=True)
class Identity(Scope):
    field: str = "email"
    owner: Callable[[Any, dict], tuple[bool, str | None]] | None = None
    name: str = "record"
    in_worker = True

    def check(self, route) -> None:
        if route.body is None or self.field not in route.body.model_fields:
            raise TenancyUndeclared(f"{route.method} {route.path}: the body has no field {self.field!r}")
        if not callable(self.owner):
            raise TenancyUndeclared(f"{route.method} {route.path}: Tenancy.identity needs an owner lookup")

    def authorise_in_worker(self, service, principal, kwargs: dict) -> None:
        own = _acts_for(principal)
        if own is None:
            return
        found, owner = self.owner(service, kwargs)
        if found and owner != own:
            raise Forbidden(f"this {self.field} belongs to a {self.name} of another municipality or of the centre; "
                            f"only the centre's staff or the person (through their link) may change it",
                            field=self.field)

    def document(self) -> dict:
        return {"kind": self.kind, "field": self.field, "in": "body", "record": self.name,
                "rule": "an existing record keyed by this field may be changed only by its own municipality"}


class Tenancy:
    """The scopes a route declares (see the module docstring)."""

    CENTRE = Centre("centre")
    PUBLIC = Public("public")

    @staticmethod
    def none(reason: str) -> Scope:
        return NoMunicipalityData("none", reason)

    @staticmethod
    def body(field: str = "municipality_code") -> Scope:
        return BodyField("body", field)

    @staticmethod
    def path(parameter: str = "municipality_code") -> Scope:
        return PathParameter("path", parameter)

    @staticmethod
    def query(field: str | None = None) -> Scope:
        return QueryFilter("query", field)

    @staticmethod
    def resource(parameter: str, owner: Callable[[Any, Any], str | None], name: str) -> Scope:
        return Resource("resource", parameter, owner, name)

    @staticmethod
    def shared(parameter: str, owners: Callable[[Any, Any], set[str]], name: str) -> Scope:
        return SharedResource("resource", parameter, owners, name)

    @staticmethod
    def identity(field: str, owner: Callable[[Any, dict], tuple[bool, str | None]], name: str) -> Scope:
        return Identity("identity", field, owner, name)


def owned_by(owner_column, key_column, *where):
    """An owner lookup for Tenancy.resource: the owner column of the row whose key is the path id
    (None when there is no such row, which is 404 like another municipality's). It reads one column
    and never loads the record into the session, so the handler still loads (and locks) it fresh."""
    from sqlalchemy import select

    def lookup(service, identifier):
        return service.db.session.scalar(select(owner_column).where(key_column == identifier, *where))

    return lookup


def shared_by(code_column, key_column):
    """An owner lookup for Tenancy.shared: the municipality codes of the rows keyed by the path id
    (empty when there are none: 404 like another municipality's)."""
    from sqlalchemy import select

    def lookup(service, identifier):
        return set(service.db.session.scalars(select(code_column).where(key_column == identifier)))

    return lookup


def keyed_by(owner_column, *where_of):
    """An owner lookup for Tenancy.identity: `where_of(kwargs)` gives the conditions that find the
    existing record (e.g. its e-mail key); returns (found, owner) reading only the owner column."""
    from sqlalchemy import select

    def lookup(service, kwargs):
        row = service.db.session.execute(select(owner_column).where(*[w(kwargs) for w in where_of])).first()
        return (row is not None, row[0] if row is not None else None)

    return lookup


def scopes_of(scope) -> tuple:
    """A route's `scope=` argument as a tuple (one scope or several)."""
    return tuple(scope) if isinstance(scope, (tuple, list)) else ((scope,) if scope is not None else ())


def declared_scopes(route) -> tuple[Scope, ...]:
    """The route's scopes, checked; raises TenancyUndeclared for a municipality route without one."""
    scopes = scopes_of(route.scope)
    for item in scopes:
        if not isinstance(item, Scope):
            raise TenancyUndeclared(f"{route.method} {route.path}: scope must be Tenancy.<kind>(...), got {item!r}")
    if route.public:
        return scopes or (Tenancy.PUBLIC,)
    if MUNICIPALITY in (route.roles or ()):
        if not scopes:
            raise TenancyUndeclared(
                f"{route.method} {route.path} admits municipality tokens but declares no tenancy scope: "
                f"give scope=Tenancy.none(reason) / body(...) / query(...) / resource(...)")
        if any(isinstance(s, (Centre, Public)) for s in scopes):
            raise TenancyUndeclared(f"{route.method} {route.path}: a municipality route cannot be centre/public")
    else:
        scopes = scopes or (Tenancy.CENTRE,)
    for item in scopes:
        item.check(route)
    return scopes


def guard(fn, scopes: tuple[Scope, ...]):
    """Wrap a route's method so the worker-side scopes run before its body."""
    import functools

    in_worker = tuple(s for s in scopes_of(scopes) if isinstance(s, Scope) and s.in_worker)
    if not in_worker:
        return fn

    @functools.wraps(fn)
    def guarded(service, *args, **kwargs):
        principal = kwargs.get("principal")
        for item in in_worker:
            item.authorise_in_worker(service, principal, kwargs)
        return fn(service, *args, **kwargs)

    guarded.tenancy_scopes = in_worker
    return guarded


__all__ = ["Tenancy", "Scope", "TenancyUndeclared", "declared_scopes", "guard", "keyed_by", "owned_by", "shared_by",
           "path_parameters", "scopes_of"]
