"""shared/tenancy.py: the declared scopes, and a service whose municipality route declares none
does not start."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from shared.auth import Principal
from shared.errors import Forbidden, NotFound
from shared.http import Route, route
from shared.tenancy import Tenancy, TenancyUndeclared, declared_scopes

KAUNAS = Principal("ruta@kaunas.lt", "municipality", "15")
STAFF = Principal("egle@lsa.lt", "staff")
OPERATOR = Principal("ops", "operator")


class Body(BaseModel):
    municipality_code: str | None = None
    email: str = "a@b.lt"


class Query(BaseModel):
    municipality_code: str | None = None
    theme: str | None = None


def _route(path="/x/things", roles=("staff", "municipality"), **kwargs) -> Route:
    return Route("POST", path, roles=roles, **kwargs)


def test_a_municipality_route_without_a_scope_is_refused():
    with pytest.raises(TenancyUndeclared, match="declares no tenancy scope"):
        declared_scopes(_route())
    with pytest.raises(TenancyUndeclared, match="no field 'municipality'"):
        declared_scopes(_route(body=Body, scope=Tenancy.body("municipality")))
    with pytest.raises(TenancyUndeclared, match="no path parameter"):
        declared_scopes(_route(scope=Tenancy.resource("thing_id", lambda s, i: None, "thing")))
    with pytest.raises(TenancyUndeclared, match="needs a reason"):
        declared_scopes(_route(scope=Tenancy.none(" ")))
    with pytest.raises(TenancyUndeclared, match="cannot be centre"):
        declared_scopes(_route(scope=Tenancy.CENTRE))
    assert declared_scopes(_route(roles=("staff",))) == (Tenancy.CENTRE,)
    assert declared_scopes(Route("GET", "/x/public", public=True)) == (Tenancy.PUBLIC,)


def test_a_service_with_such_a_route_does_not_start():
    from nameko.containers import ServiceContainer

    class Careless:
        name = "careless"

        @route("GET", "/careless/things", roles=("staff", "municipality"))
        def things(self, request, principal):
            return []

    container = ServiceContainer(Careless, config={"WEB_SERVER_ADDRESS": "127.0.0.1:0", "SAVIVALDA": None})
    with pytest.raises(TenancyUndeclared, match="GET /careless/things admits municipality tokens"):
        container.start()
    container.kill()


def test_body_and_path_scopes_refuse_another_municipality():
    scope = declared_scopes(_route(body=Body, scope=Tenancy.body()))[0]
    scope.authorise(KAUNAS, {"body": Body(municipality_code="15")})
    scope.authorise(STAFF, {"body": Body(municipality_code="57")})
    for named in ("57", None):
        with pytest.raises(Forbidden) as refused:
            scope.authorise(KAUNAS, {"body": Body(municipality_code=named)})
        assert refused.value.field == "municipality_code"
    path = declared_scopes(_route("/x/<municipality_code>", scope=Tenancy.path()))[0]
    path.authorise(KAUNAS, {"municipality_code": "15"})
    with pytest.raises(Forbidden):
        path.authorise(KAUNAS, {"municipality_code": "57"})


def test_a_listing_is_forced_to_the_municipalitys_own_code():
    scope = declared_scopes(Route("GET", "/x/list", roles=("staff", "operator", "municipality"), query=Query,
                                  scope=Tenancy.query("municipality_code")))[0]
    kwargs = {"query": Query(theme="budgeting")}
    scope.authorise(KAUNAS, kwargs)
    assert kwargs["tenant"] == "15" and kwargs["query"].municipality_code == "15" and kwargs["query"].theme == "budgeting"
    with pytest.raises(Forbidden):
        scope.authorise(KAUNAS, {"query": Query(municipality_code="57")})
    for centre in (STAFF, OPERATOR):
        kwargs = {"query": Query(municipality_code="57")}
        scope.authorise(centre, kwargs)
        assert kwargs["tenant"] == "57"
        kwargs = {"query": Query()}
        scope.authorise(centre, kwargs)
        assert kwargs["tenant"] is None
    no_field = declared_scopes(Route("GET", "/x/report", roles=("staff", "municipality"), scope=Tenancy.query()))[0]
    kwargs = {}
    no_field.authorise(KAUNAS, kwargs)
    assert kwargs["tenant"] == "15"


def test_another_municipalitys_resource_is_not_found_and_checked_before_the_handler():
    owners = {"a": "15", "b": "57", "c": None}

    def owner(service, thing_id):
        if thing_id not in owners:
            raise NotFound("thing", thing_id)
        return owners[thing_id]

    calls = []

    class Things:
        @route("GET", "/x/things/<thing_id>", roles=("staff", "municipality"),
               scope=Tenancy.resource("thing_id", owner, "thing"))
        def get(self, request, thing_id, principal):
            calls.append(thing_id)
            return thing_id

    things = Things()
    assert things.get(None, thing_id="a", principal=KAUNAS) == "a"
    for other in ("b", "c", "zzz"):
        with pytest.raises(NotFound, match=f"thing {other} does not exist"):
            things.get(None, thing_id=other, principal=KAUNAS)
    assert things.get(None, thing_id="c", principal=STAFF) == "c"
    assert calls == ["a", "c"]


def test_an_existing_record_keyed_by_e_mail_is_changed_only_by_its_own_municipality():
    records = {"own@kaunas.lt": "15", "other@vilnius.lt": "57", "consultant@lsa.lt": None}

    def owner(service, kwargs):
        email = kwargs["body"].email
        return email in records, records.get(email)

    scope = declared_scopes(_route(body=Body, scope=(Tenancy.body(), Tenancy.identity("email", owner, "person"))))[1]
    for email in ("own@kaunas.lt", "new@kaunas.lt"):
        scope.authorise_in_worker(None, KAUNAS, {"body": Body(municipality_code="15", email=email)})
    for email in ("other@vilnius.lt", "consultant@lsa.lt"):
        with pytest.raises(Forbidden) as refused:
            scope.authorise_in_worker(None, KAUNAS, {"body": Body(municipality_code="15", email=email)})
        assert refused.value.field == "email"
        scope.authorise_in_worker(None, STAFF, {"body": Body(email=email)})


def test_scopes_are_documented_for_openapi():
    documented = [s.document() for s in declared_scopes(_route(
        "/x/<thing_id>", body=Body, scope=(Tenancy.resource("thing_id", lambda s, i: "15", "thing"), Tenancy.body())))]
    assert documented[0]["kind"] == "resource" and documented[0]["parameter"] == "thing_id"
    assert documented[1] == {"kind": "body", "field": "municipality_code", "in": "body"}
