"""Call fit from the per-process catalogue (services/grants/fit_catalogue.py): the answer is the one
the models built (same calls, order, reasons and texts), and any change to a call, made through the
service or behind its back (another replica, by hand), is seen by the next request."""

from __future__ import annotations

import json
import uuid
from contextlib import contextmanager

import pytest
from psycopg2.extensions import TRANSACTION_STATUS_IDLE as TRANSACTION_IDLE
from sqlalchemy import event, text

from services.grants.domain import fit
from services.grants.fit_catalogue import CATALOGUE, FitCatalogue, fingerprint
from services.grants.repository import GrantsRepository
from services.grants.schemas import CallChange, CallIn, FitOut, FitQuery
from services.grants.usecases import catalogue, idea_fit, local_today
from services.grants.views import call_facts, call_fit_out
from shared.http import json_response
from shared.persistence.engines import dispose_engines, engine_for
from shared.persistence.unit_of_work import UnitOfWork
from tests.grants.helpers import call_body, day


@contextmanager
def work(url: str):
    with UnitOfWork(engine_for(url), "grants", "test") as uow:
        yield uow


def new_call(url, **changes):
    with work(url) as uow:
        created = catalogue.create_call(uow, CallIn.model_validate(call_body(**changes)))
        uow.commit()
        return created


def varied_calls(url):
    """Calls that pass, warn and fail different rules."""
    new_call(url)  # Kaunas county, a Norwegian partner required
    new_call(url, code="LT-VL-ONLY", eligible_regions=["VL"])
    new_call(url, code="LT-ALL-SOON", eligible_regions=[], foreign_partner_required=False, partner_countries=[],
             closes_on=day(5), max_funding_rate=None, min_grant_eur=None)
    new_call(url, code="LT-NGO", eligible_applicant_types=["ngo"], themes=["culture_tourism"])
    new_call(url, code="LT-BIG", min_grant_eur="500000", max_grant_eur="900000", status="forecast",
             opens_on=day(20), closes_on=day(90))
    new_call(url, code="LT-CLOSED", status="closed", closes_on=day(-3), opens_on=day(-40))


def model_built(uow, query: FitQuery, municipality_code: str) -> FitOut:
    """The answer as it was built before the catalogue: every call decoded, models built."""
    idea = fit.ProjectIdea(
        municipality_code=municipality_code, applicant_type=query.applicant_type, themes=tuple(query.themes),
        total_cost_eur=query.total_cost_eur, requested_grant_eur=query.requested_grant_eur,
        has_foreign_partner=query.has_foreign_partner or query.partner_country is not None,
        partner_country=query.partner_country)
    calls = {c.code: c for c in GrantsRepository(uow.session).calls(statuses=["open", "forecast"])}
    ranked = fit.rank([call_facts(c) for c in calls.values()], idea, local_today())
    return FitOut(municipality_code=municipality_code, assessed_on=local_today(),
                  calls=[call_fit_out(calls[a.call.code], a) for a in ranked])


QUERIES = [
    FitQuery(themes=["anti_corruption"], total_cost_eur="100000"),
    FitQuery(themes=["culture_tourism", "public_service_quality"], total_cost_eur="40000", requested_grant_eur="39000",
             applicant_type="ngo", partner_country="SE"),
]


@pytest.mark.parametrize("query", QUERIES)
@pytest.mark.parametrize("municipality", ["15", "13", "58"])
def test_the_answer_is_the_model_built_one_byte_for_byte(grants_db, query, municipality):
    varied_calls(grants_db)
    with work(grants_db) as uow:
        answer = idea_fit.assess(uow, query, municipality)
        expected = model_built(uow, query, municipality)
    assert json_response(answer).get_data() == json_response(expected).get_data()
    assert FitOut.model_validate_json(json_response(answer).get_data()) == expected
    document = json.loads(answer)
    assert len(document["calls"]) == 5  # the closed one left out
    assert {r["verdict"] for c in document["calls"] for r in c["rules"]} == {"pass", "warn", "fail"}


def test_answers_assembled_per_county_are_each_municipalitys_own_byte_for_byte(grants_db):
    """One catalogue version: the municipalities of a county share their county's ranking and
    every rule but the region's (its text names the municipality); each answer, asked first, again
    and after its neighbours, is still the model-built one of that municipality, and a decimal
    written differently (1000 / 1000.00) is answered as written."""
    varied_calls(grants_db)
    asked = ["13", "15", "05", "10", "42", "08", "13", "15"]  # Kaunas county's four, Vilnius county's two
    for query in (*QUERIES, FitQuery(themes=["anti_corruption"], total_cost_eur="100000.00")):
        for municipality in asked:
            with work(grants_db) as uow:
                answer = idea_fit.assess(uow, query, municipality)
                expected = model_built(uow, query, municipality)
            assert json_response(answer).get_data() == json_response(expected).get_data(), (query, municipality)
            assert json.loads(answer)["municipality_code"] == municipality


def test_no_call_and_one_call_are_the_model_built_answer_too(grants_db):
    """The document is joined from the county's parts around each call's region rule: with no call
    and with one call it is still the model's, byte for byte."""
    for municipality in ("15", "42"):
        with work(grants_db) as uow:
            answer = idea_fit.assess(uow, QUERIES[0], municipality)
            assert json_response(answer).get_data() == json_response(model_built(uow, QUERIES[0], municipality)).get_data()
        assert json.loads(answer)["calls"] == []
    new_call(grants_db)
    for municipality in ("15", "42"):
        with work(grants_db) as uow:
            answer = idea_fit.assess(uow, QUERIES[0], municipality)
            assert json_response(answer).get_data() == json_response(model_built(uow, QUERIES[0], municipality)).get_data()
        assert len(json.loads(answer)["calls"]) == 1


def test_a_change_to_a_call_is_seen_by_the_next_request_and_nothing_else_reloads(grants_db):
    varied_calls(grants_db)
    query = QUERIES[0]
    with work(grants_db) as uow:
        first = idea_fit.assess(uow, query, "15")
    loads = CATALOGUE.loads
    with work(grants_db) as uow:
        assert idea_fit.assess(uow, query, "15") == first
    assert CATALOGUE.loads == loads  # nothing changed: the decoded calls are reused
    big = next(c for c in json.loads(first)["calls"] if c["code"] == "LT-BIG")
    with work(grants_db) as uow:
        catalogue.change_call(uow, uuid.UUID(big["call_id"]), CallChange(status="closed"))
        uow.commit()
    with work(grants_db) as uow:
        after = idea_fit.assess(uow, query, "15")
        assert json.loads(json_response(after).get_data()) == json.loads(
            json_response(model_built(uow, query, "15")).get_data())
    assert CATALOGUE.loads == loads + 1
    assert "LT-BIG" not in [c["code"] for c in json.loads(after)["calls"]]


def test_postgresql_fingerprint_changes_with_any_column_of_any_fitting_call(pg_admin):
    """On PostgreSQL the version is the md5 of the rows' versions: a change made by another process,
    with plain SQL (as another replica or an operator would), is seen; so is a rewrite of the table.
    The fingerprint is one statement on a connection of its own, outside a transaction, and the
    connection goes back to the pool as it was lent."""
    from shared import migrations

    name = f"savivalda_t_fit_{uuid.uuid4().hex[:8]}"
    url = pg_admin.create(name)
    try:
        migrations.upgrade("grants", url)
        varied_calls(url)
        own = FitCatalogue()
        query = QUERIES[0]
        with work(url) as uow:
            before = fingerprint(uow.session)
            assert before[0] == 5  # the open and forecast calls
            own.calls(uow.session)
            own.calls(uow.session)
        assert own.loads == 1
        with engine_for(url).begin() as other:  # another replica
            other.execute(text("UPDATE funding_calls SET eligible_regions = '[\"VL\", \"KU\"]' "
                               "WHERE code = 'LT-VL-ONLY'"))
        with work(url) as uow:
            assert fingerprint(uow.session) != before
            fitting = own.calls(uow.session)
            assert fitting["LT-VL-ONLY"].facts.eligible_regions == ("VL", "KU")
            answer = idea_fit.assess(uow, query, "15")
            assert json_response(answer).get_data() == json_response(model_built(uow, query, "15")).get_data()
        assert own.loads == 2
        assert next(c for c in json.loads(answer)["calls"] if c["code"] == "LT-VL-ONLY")["fits"] is True

        with work(url) as uow:
            changed = fingerprint(uow.session)
        with engine_for(url).connect() as other:
            other.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM FULL funding_calls"))
        with work(url) as uow:
            rewritten = fingerprint(uow.session)
            assert idea_fit.assess(uow, query, "15") == answer  # read again, the same answer
        assert rewritten != changed and rewritten[0] == changed[0]  # the same rows, in a new file

        engine, seen = engine_for(url), []
        listeners = [(engine, "before_cursor_execute",
                      lambda conn, cursor, statement, *_: seen.append(("statement", cursor.connection.autocommit,
                                                                       statement.split()[0]))),
                     (engine, "checkin", lambda raw, _: seen.append(("back", raw.autocommit,
                                                                     raw.get_transaction_status())))]
        for listener in listeners:
            event.listen(*listener)
        try:
            with work(url) as uow:
                assert idea_fit.assess(uow, query, "15") == answer
        finally:
            for listener in listeners:
                event.remove(*listener)
        assert seen == [("statement", True, "SELECT"), ("back", False, TRANSACTION_IDLE)]
    finally:
        dispose_engines()
        pg_admin.drop(name)
