"""Two-stage calls over HTTP on the embedded default (issue 19 item 2): a concept note first, with
its own checklist, deadline, submission and outcome; an invitation to the full application told in
one e-mail per person in their language; bad input refused naming the field."""

from tests.grants.helpers import application_body, call_body, create, day, move, outbox_events
from tests.grants.test_api_embedded import assert_problem
from tests.notifications.test_mail_news import mailbox, text_of, to
from tests.support import http, wait_until

CONTACT, CONSULTANT = "ruta.petraitiene@kaunas.lt", "jonas.jonaitis@lsa.lt"
CONCEPT = [{"code": "concept_note", "title": {"lt": "Projekto idėja", "en": "Concept note"}}]


def test_a_concept_note_is_invited_to_the_full_application(grants_system):
    base, staff = grants_system.base_url, grants_system.token()
    kaunas = grants_system.token("municipality:15", subject=CONTACT)
    call = create(grants_system, "/grants/calls", call_body("TWO-STAGE", first_stage_closes_on=day(20),
                                                            concept_note_documents=CONCEPT))
    assert [d["code"] for d in call["concept_note_documents"]] == ["concept_note"]
    published, = outbox_events(grants_system.settings.database_url("grants"), "grants.call_published")
    assert published["data"]["concept_note_documents"][0]["code"] == "concept_note"
    application = create(grants_system, "/grants/applications", application_body(call["id"]))
    assert application["stage"] == "concept_note" and application["concept_note"]["deadline"] == day(20)
    assert application["deadlines"]["next_official"] == day(20)
    url = f"{base}/grants/applications/{application['id']}"
    assert http("PUT", f"{url}/checklist/concept_note", {"status": "ready"}, token=kaunas).status == 200
    for step in ("drafting", "internal_review"):
        assert move(grants_system, application["id"], step, token=kaunas).status == 200
    submitted = move(grants_system, application["id"], "submitted")  # the partner is for stage 2
    assert submitted.status == 200, submitted.body
    assert_problem(http("POST", f"{url}/decision", {"outcome": "awarded", "decided_on": day(0),
                                                    "awarded_grant_eur": "1000"}, token=staff), 422, "outcome")
    wait_until(lambda: not [n for n in _pending(grants_system)], message="the e-mails so far sent")
    before = {m["Message-ID"] for m in mailbox(grants_system)}

    invited = http("POST", f"{url}/decision", {"outcome": "invited", "decided_on": day(0)}, token=staff)
    assert invited.status == 200, invited.body
    assert (invited.body["status"], invited.body["stage"]) == ("drafting", "full_application")
    assert invited.body["deadlines"]["next_official"] == day(60) and invited.body["deadlines"]["internal"] == day(53)
    new = wait_until(lambda: len(_new(grants_system, before)) >= 2 and _new(grants_system, before),
                     message="the invitation e-mails")
    wait_until(lambda: not _pending(grants_system), message="nothing left to send")
    new = _new(grants_system, before)
    assert sorted(to(m) for m in new) == [CONSULTANT, CONTACT], [m["Subject"] for m in new]  # one each
    by_person = {to(m): m for m in new}
    assert str(by_person[CONTACT]["Subject"]).strip().startswith("Kviečiama teikti visą paraišką")
    assert "projekto idėja (1 etapas) įvertinta teigiamai" in text_of(by_person[CONTACT])
    assert str(by_person[CONSULTANT]["Subject"]).strip().startswith("Invited to submit the full application")

    # Stage 2 needs the full application's documents (and the partner), not the concept note again.
    assert move(grants_system, application["id"], "internal_review", token=kaunas).status == 200
    refused = move(grants_system, application["id"], "submitted")
    assert_problem(refused, 422, field="checklist")
    assert "application_form" in refused.body["detail"] and "concept_note" not in refused.body["detail"]


def _pending(system):
    from tests.notifications.test_mail_news import notifications
    return [n for n in notifications(system) if n.status in ("pending", "sending")]


def _new(system, before):
    return [m for m in mailbox(system) if m["Message-ID"] not in before]


def test_two_stage_bad_input_is_refused_naming_the_field(grants_system):
    base, staff = grants_system.base_url, grants_system.token()
    single = create(grants_system, "/grants/calls", call_body("SINGLE", foreign_partner_required=False,
                                                              partner_countries=[]))
    late = create(grants_system, "/grants/calls", call_body("LATE", opens_on=day(-30), first_stage_closes_on=day(-1),
                                                            closes_on=day(30)))
    two_stage = create(grants_system, "/grants/calls", call_body("TWO", first_stage_closes_on=day(20),
                                                                 concept_note_documents=CONCEPT))
    application = create(grants_system, "/grants/applications", application_body(single["id"]))
    cases = [
        ("PATCH", f"/grants/calls/{two_stage['id']}", {"first_stage_closes_on": None}, 422,
         "first_stage_closes_on"),
        ("POST", "/grants/calls", call_body("C1", concept_note_documents=CONCEPT), 422, "concept_note_documents"),
        ("POST", "/grants/calls", call_body("C2", first_stage_closes_on=day(20), concept_note_documents=[
            {"code": "budget", "title": {"lt": "Biudžetas"}}]), 422, "concept_note_documents"),
        ("POST", "/grants/calls", call_body("C3", first_stage_closes_on=day(20), concept_note_documents=[
            {"code": "Bad Code", "title": {"lt": "x"}}]), 422, "concept_note_documents.0.code"),
        ("POST", "/grants/applications", application_body(late["id"]), 409, "call_id"),
        ("POST", f"/grants/applications/{application['id']}/decision", {"outcome": "invited", "decided_on": day(0)},
         422, "outcome"),
        ("POST", f"/grants/applications/{application['id']}/decision", {"outcome": "postponed",
                                                                        "decided_on": day(0)}, 422, "outcome"),
    ]
    for method, path, body, status, field in cases:
        reply = http(method, f"{base}{path}", body, token=staff)
        try:
            assert_problem(reply, status, field)
        except AssertionError as error:
            raise AssertionError(f"{method} {path}: {error}") from None
