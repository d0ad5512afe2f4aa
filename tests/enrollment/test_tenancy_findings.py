"""Issue 13's findings where an e-mail address is the key of a person's enrolments (each failed
before the fix), on the embedded default and on RabbitMQ + PostgreSQL."""

from tests.enrollment.helpers import assert_problem, person

KAUNAS, VILNIUS = "municipality:15", "municipality:57"


def test_a_persons_calendar_does_not_cross_municipalities(any_system):
    """MEDIUM: Kaunas enrols a Vilnius employee's e-mail under code 15; the calendar behind the
    link Kaunas gets must not list that person's Vilnius enrolments."""
    vilnius_session = any_system.schedule(capacity=5, venue="Vilnius, Gedimino pr. 9")
    kaunas_session = any_system.schedule(capacity=5, venue="Kaunas, Laisvės al. 96")
    employee = person(7, municipality="57", email="aiste.vilnietė@vilnius.lt", name="Aistė Vilnietė")
    own = any_system.enrol(vilnius_session["id"], employee, role=VILNIUS)
    assert own.status == 201, own.body

    forged = any_system.enrol(kaunas_session["id"], {**employee, "municipality_code": "15"}, role=KAUNAS)
    assert forged.status == 201, forged.body
    calendar = any_system.public(forged.body["manage_url"] + "/calendar.ics")
    assert calendar.status == 200
    assert calendar.body.count("BEGIN:VEVENT") == 1, calendar.body
    assert f"enrollment-{forged.body['id']}@savivalda" in calendar.body
    assert own.body["id"] not in calendar.body and "Gedimino" not in calendar.body

    # The person's own link (from Vilnius' enrolment) still shows their Vilnius training.
    theirs = any_system.public(own.body["manage_url"] + "/calendar.ics")
    assert theirs.body.count("BEGIN:VEVENT") == 1 and f"enrollment-{own.body['id']}@savivalda" in theirs.body


def test_a_municipality_cannot_take_over_a_person_another_municipality_enrolled(any_system):
    """Enrolling the same e-mail again used to answer with the existing enrolment (its manage link
    included) whoever asked; another municipality now gets 403 and learns nothing about it."""
    session = any_system.schedule(capacity=5)
    employee = person(8, municipality="57", email="jonas.vilnietis@vilnius.lt", name="Jonas Vilnietis")
    theirs = any_system.enrol(session["id"], employee, role=VILNIUS)
    assert theirs.status == 201

    again = any_system.enrol(session["id"], {**employee, "municipality_code": "15", "name": "X"}, role=KAUNAS)
    assert_problem(again, 403, field="email")
    assert theirs.body["manage_url"] not in str(again.body) and "Vilnietis" not in str(again.body)
    # A cancelled enrolment of Vilnius' is not Kaunas' to reuse either.
    assert any_system.post(f"/enrollments/{theirs.body['id']}/cancel", {}, role=VILNIUS).status == 200
    assert_problem(any_system.enrol(session["id"], {**employee, "municipality_code": "15"}, role=KAUNAS), 403,
                   field="email")
    stored = any_system.enrollment(theirs.body["id"])
    assert (stored["municipality_code"], stored["name"], stored["status"]) == ("57", "Jonas Vilnietis", "cancelled")
    # Staff act for the centre, and Vilnius for its own person.
    assert any_system.enrol(session["id"], employee, role=VILNIUS).status == 201
