"""Call fit over HTTP: the answer (shared/http.py PreparedJson, kept with the catalogue version) is
sent with a strong ETag scoped to the municipality, answered 304 to a client that already has it,
and gzip-encoded for a client that accepts gzip (the same document, decoded), always with
`Vary: Accept-Encoding`. An ETag never stands for another municipality's answer: a municipality
of another county (other regions) or of the same county gets another one, and a request naming
another municipality's ETag gets its own full answer."""

from __future__ import annotations

import gzip
import json
import urllib.error
import urllib.request
import uuid
from contextlib import contextmanager

from requests.structures import CaseInsensitiveDict
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from services.grants.schemas import CallChange, CallIn, FitQuery
from services.grants.usecases import catalogue, idea_fit
from shared.http import NotModified, PreparedJson, client_etags, json_response, prepared_response
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from tests.grants.helpers import call_body, day

QUERY = FitQuery(themes=["anti_corruption"], total_cost_eur="100000")
FIT = "/grants/fit?themes=anti_corruption&total_cost_eur=100000"


@contextmanager
def work(url: str):
    with UnitOfWork(engine_for(url), "grants", "test") as uow:
        yield uow


def some_calls(url):
    for changes in ({}, dict(code="LT-VL-ONLY", eligible_regions=["VL"]),
                    dict(code="LT-ALL", eligible_regions=[], foreign_partner_required=False, partner_countries=[]),
                    dict(code="LT-LATER", status="forecast", opens_on=day(20), closes_on=day(90))):
        with work(url) as uow:
            catalogue.create_call(uow, CallIn.model_validate(call_body(**changes)))
            uow.commit()


def answer(url, municipality, query=QUERY) -> PreparedJson:
    with work(url) as uow:
        return idea_fit.assess(uow, query, municipality)


def region_verdict(document, code: str) -> str:
    call = next(c for c in json.loads(document)["calls"] if c["code"] == code)
    return next(r["verdict"] for r in call["rules"] if r["rule"] == "region")


def request(**headers) -> Request:
    return Request(EnvironBuilder(path="/grants/fit", headers=headers).get_environ())


def test_the_answer_carries_a_strong_etag_scoped_to_the_municipality_and_varies_on_accept_encoding(grants_db):
    some_calls(grants_db)
    document = answer(grants_db, "15")
    plain = prepared_response(request(), document)
    assert plain.status_code == 200
    assert plain.get_data() == json_response(document).get_data() == bytes(document)
    assert plain.headers["ETag"] == document.etag and document.etag.startswith('"15-')
    assert not document.etag.startswith('W/')  # strong: the same bytes
    assert plain.headers["Vary"] == "Accept-Encoding"
    assert plain.headers["Cache-Control"] == "private, no-cache"
    assert "Content-Encoding" not in plain.headers
    assert json.loads(plain.get_data())["municipality_code"] == "15"
    # The same question again is the same kept document (its ETag and gzip made once).
    assert answer(grants_db, "15") is document


def test_a_client_accepting_gzip_gets_the_same_document_gzip_encoded(grants_db):
    some_calls(grants_db)
    document = answer(grants_db, "15")
    plain = prepared_response(request(), document).get_data()
    for accepted in ("gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8, *;q=0.1", "*"):
        zipped = prepared_response(request(**{"Accept-Encoding": accepted}), document)
        assert zipped.status_code == 200
        assert zipped.headers["Content-Encoding"] == "gzip"
        assert zipped.headers["Vary"] == "Accept-Encoding"
        assert zipped.headers["ETag"] == document.gzip_etag != document.etag  # another representation
        assert int(zipped.headers["Content-Length"]) == len(zipped.get_data()) < len(plain) / 5
        assert gzip.decompress(zipped.get_data()) == plain
    assert document.gzipped() is document.gzipped()  # compressed once, kept with the document
    for refused in ("gzip;q=0", "identity", "deflate", ""):
        headers = {"Accept-Encoding": refused} if refused else {}
        response = prepared_response(request(**headers), document)
        assert "Content-Encoding" not in response.headers and response.get_data() == plain, refused


def test_a_client_that_has_the_answer_gets_304_without_a_body(grants_db):
    some_calls(grants_db)
    document = answer(grants_db, "15")
    for has, accepted in ((document.etag, None), (document.gzip_etag, "gzip"), (document.etag, "gzip"),
                          (document.gzip_etag, None), ("W/" + document.etag, None),
                          (f'"15-other", {document.etag}', None), ("*", None)):
        headers = {"If-None-Match": has, **({"Accept-Encoding": accepted} if accepted else {})}
        response = prepared_response(request(**headers), document)
        assert response.status_code == 304, has
        assert response.get_data() == b""
        assert response.headers["ETag"] == (document.gzip_etag if accepted else document.etag)
        assert response.headers["Vary"] == "Accept-Encoding"
    stale = prepared_response(request(**{"If-None-Match": '"15-0123456789abcdef0123456789abcdef"'}), document)
    assert stale.status_code == 200 and stale.get_data() == bytes(document)


def test_no_two_municipalities_share_an_etag_and_one_cannot_revalidate_anothers(grants_db):
    """Kaunas city (15) and Kaunas district (16) share a county; Šalčininkai (42) is in Vilnius
    county. Each answer has its own ETag, and Kaunas's ETag sent for Vilnius (or for Kaunas
    district) is answered with the asker's own full document, never 304."""
    some_calls(grants_db)
    kaunas, district, vilnius = (answer(grants_db, code) for code in ("15", "16", "42"))
    assert len({kaunas.etag, district.etag, vilnius.etag}) == 3
    assert len({kaunas.gzip_etag, district.gzip_etag, vilnius.gzip_etag}) == 3
    assert vilnius.etag.startswith('"42-') and district.etag.startswith('"16-')
    assert region_verdict(kaunas, "LT-VL-ONLY") == "fail" and region_verdict(vilnius, "LT-VL-ONLY") == "pass"
    for other in (vilnius, district):
        for tag, accepted in ((kaunas.etag, None), (kaunas.gzip_etag, "gzip")):
            headers = {"If-None-Match": tag, **({"Accept-Encoding": accepted} if accepted else {})}
            response = prepared_response(request(**headers), other)
            assert response.status_code == 200
            body = gzip.decompress(response.get_data()) if accepted else response.get_data()
            assert body == bytes(other)
            assert json.loads(body)["municipality_code"] == json.loads(other)["municipality_code"]


def test_a_changed_call_or_another_question_is_another_etag(grants_db):
    some_calls(grants_db)
    before = answer(grants_db, "15")
    other = answer(grants_db, "15", FitQuery(themes=["anti_corruption"], total_cost_eur="40000"))
    assert bytes(other) != bytes(before) and other.etag != before.etag
    call_id = next(c["call_id"] for c in json.loads(before)["calls"] if c["code"] == "LT-LATER")
    with work(grants_db) as uow:
        catalogue.change_call(uow, uuid.UUID(call_id), CallChange(status="closed"))
        uow.commit()
    after = answer(grants_db, "15")
    assert after.etag != before.etag
    response = prepared_response(request(**{"If-None-Match": before.etag}), after)
    assert response.status_code == 200 and "LT-LATER" not in [c["code"] for c in json.loads(response.get_data())["calls"]]


def test_a_known_etag_is_answered_304_without_making_the_document_again_and_only_for_its_municipality(
        grants_db, monkeypatch):
    """The catalogue version keeps each document's ETag longer than the document (4 kept): a client
    revalidating after other municipalities asked gets 304 without its 1 MB answer being made
    again; the ETag of one municipality's answer stands for nothing in another's."""
    some_calls(grants_db)
    kaunas = answer(grants_db, "15")
    for other in ("16", "42", "13", "58", "01"):  # more than the documents kept
        answer(grants_db, other)
    made = []
    real = idea_fit._document
    monkeypatch.setattr(idea_fit, "_document", lambda *args: made.append(args[1].municipality_code) or real(*args))
    with work(grants_db) as uow:
        again = idea_fit.assess(uow, QUERY, "15", client_has=frozenset({kaunas.etag}))
    assert isinstance(again, NotModified) and again.etag == kaunas.etag and made == []
    for accepted, etag in ((None, kaunas.etag), ("gzip", kaunas.gzip_etag)):
        response = prepared_response(request(**({"Accept-Encoding": accepted} if accepted else {})), again)
        assert (response.status_code, response.get_data(), response.headers["ETag"]) == (304, b"", etag)
        assert response.headers["Vary"] == "Accept-Encoding"
    with work(grants_db) as uow:  # Kaunas district naming Kaunas city's ETag: its own answer, made
        district = idea_fit.assess(uow, QUERY, "16", client_has=frozenset({kaunas.etag}))
    assert isinstance(district, PreparedJson) and made == ["16"]
    assert json.loads(district)["municipality_code"] == "16" and district.etag != kaunas.etag
    with work(grants_db) as uow:  # another question: its own answer
        other = idea_fit.assess(uow, FitQuery(themes=["anti_corruption"], total_cost_eur="40000"), "15",
                                client_has=frozenset({kaunas.etag}))
    assert isinstance(other, PreparedJson) and other.etag != kaunas.etag


def test_a_document_made_again_keeps_its_etag_and_gzip_encoding_without_making_them_again(grants_db, monkeypatch):
    """Its document no longer kept, a municipality asking again gets the same bytes, ETag and gzip
    encoding, none of the two made again (the catalogue version kept them, smaller)."""
    import hashlib

    some_calls(grants_db)
    kaunas = answer(grants_db, "15")
    zipped = kaunas.gzipped()
    for other in ("16", "42", "13", "58", "01"):  # more than the documents kept
        answer(grants_db, other).gzipped()
    made = []
    real_compress, real_sha256 = gzip.compress, hashlib.sha256
    monkeypatch.setattr(gzip, "compress", lambda *a, **k: made.append("gzip") or real_compress(*a, **k))
    monkeypatch.setattr(hashlib, "sha256", lambda *a, **k: made.append("sha256") or real_sha256(*a, **k))
    again = answer(grants_db, "15")
    assert again is not kaunas and bytes(again) == bytes(kaunas)
    assert again.etag == kaunas.etag and again.gzipped() == zipped and made == []
    response = prepared_response(request(**{"Accept-Encoding": "gzip"}), again)
    assert gzip.decompress(response.get_data()) == bytes(kaunas) and response.headers["ETag"] == kaunas.gzip_etag
    district = answer(grants_db, "16")  # made again as well, from its kept ETag and encoding
    assert made == [] and json.loads(district)["municipality_code"] == "16" and district.gzipped(make=False)


def test_the_etags_a_client_names_are_read_as_the_documents_spell_them():
    tags = client_etags(request(**{"If-None-Match": '"15-abc-gzip", W/"15-def", "x"'}))
    assert tags == {'"15-abc"', '"15-def"', '"x"'}
    assert client_etags(request()) == frozenset() and client_etags(None) == frozenset()
    posted = Request(EnvironBuilder(path="/grants/fit", method="POST", headers={"If-None-Match": '"x"'}).get_environ())
    assert client_etags(posted) == frozenset()


def fetch(url: str, token: str, **headers) -> tuple[int, CaseInsensitiveDict, bytes]:
    """The raw reply (urllib does not decode gzip: the bytes as sent)."""
    asked = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}", **headers})
    try:
        with urllib.request.urlopen(asked, timeout=30) as reply:
            return reply.status, CaseInsensitiveDict(reply.headers), reply.read()
    except urllib.error.HTTPError as error:  # 304 arrives as one
        return error.code, CaseInsensitiveDict(error.headers), error.read()


def test_over_http_etag_304_and_gzip(grants_system):
    from tests.support import http

    staff = grants_system.token()
    for body in (call_body("FITS", foreign_partner_required=False, partner_countries=[]),
                 call_body("VILNIUS-ONLY", eligible_regions=["VL"])):
        assert http("POST", f"{grants_system.base_url}/grants/calls", body, token=staff).status == 201
    kaunas, vilnius = grants_system.token("municipality:15"), grants_system.token("municipality:42")
    url = grants_system.base_url + FIT
    status, headers, plain = fetch(url, kaunas)
    assert status == 200 and headers["Vary"] == "Accept-Encoding" and "Content-Encoding" not in headers
    etag = headers["ETag"]
    assert etag.startswith('"15-') and json.loads(plain)["municipality_code"] == "15"

    status, headers, zipped = fetch(url, kaunas, **{"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip" and headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(zipped) == plain
    gzip_etag = headers["ETag"]
    assert gzip_etag != etag

    for tag, accepted in ((etag, {}), (gzip_etag, {"Accept-Encoding": "gzip"})):
        status, headers, body = fetch(url, kaunas, **{"If-None-Match": tag}, **accepted)
        assert (status, body) == (304, b"") and headers["ETag"] == tag and headers["Vary"] == "Accept-Encoding"

    # Staff asking for Kaunas get Kaunas's answer (the same ETag); Šalčininkai sending Kaunas's ETag
    # gets its own answer in full.
    status, headers, body = fetch(url + "&municipality_code=15", staff, **{"If-None-Match": etag})
    assert status == 304 and headers["ETag"] == etag
    status, headers, body = fetch(url, vilnius, **{"If-None-Match": etag})
    assert status == 200 and headers["ETag"] != etag and headers["ETag"].startswith('"42-')
    assert json.loads(body)["municipality_code"] == "42"
    assert region_verdict(body, "VILNIUS-ONLY") == "pass" and region_verdict(plain, "VILNIUS-ONLY") == "fail"
    # After other municipalities asked (Kaunas's document no longer kept), still 304.
    for code in ("16", "42", "13", "58", "01"):
        assert fetch(url, grants_system.token(f"municipality:{code}"))[0] == 200
    status, headers, body = fetch(url, kaunas, **{"If-None-Match": gzip_etag, "Accept-Encoding": "gzip"})
    assert (status, body, headers["ETag"]) == (304, b"", gzip_etag)
    # Another municipality's token still cannot ask for Kaunas's answer, ETag or not.
    status, headers, body = fetch(url + "&municipality_code=15", vilnius, **{"If-None-Match": etag})
    assert status == 403 and "ETag" not in headers
