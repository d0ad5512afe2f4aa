"""Events of the real enrollment and grants services reach the right people as e-mails
(embedded default: the four services in one process)."""

import email
from datetime import date, timedelta
from email import policy

from tests.service.helpers import create_session, enrol, person
from tests.support import http, wait_until


def mailbox(running):
    folder = running.settings.mailbox_dir
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def subjects_for(running, address):
    return sorted(m["Subject"] for m in mailbox(running) if m["To"].addresses[0].addr_spec == address)


def test_a_cancelled_session_tells_its_participant_even_during_quiet_hours(embedded):
    token = embedded.token()
    _, session_id = create_session(embedded.base_url, token, capacity=3)
    ona = dict(person(1), email="ona@kaunas.lt", name="Ona")
    enrol(embedded.base_url, token, session_id, ona)
    wait_until(lambda: subjects_for(embedded, "ona@kaunas.lt"), message="the confirmation")
    # She asks for silence all day long; a cancellation is critical and still reaches her at once.
    recipient = next(r for r in http("GET", f"{embedded.base_url}/notifications/recipients", token=token).body
                     if r["email"] == "ona@kaunas.lt")
    set_quiet = http("PUT", f"{embedded.base_url}/notifications/recipients/{recipient['id']}/preferences",
                     {"quiet_start": "00:00", "quiet_end": "23:59"}, token=token)
    assert set_quiet.status == 200, set_quiet.body
    cancelled = http("POST", f"{embedded.base_url}/enrollment/sessions/{session_id}/cancel",
                     {"reason": "lektorius susirgo"}, token=token)
    assert cancelled.status == 200, cancelled.body
    wait_until(lambda: len(subjects_for(embedded, "ona@kaunas.lt")) == 2, message="the cancellation")
    cancellation = [m for m in mailbox(embedded) if m["Subject"].startswith("Registracija atšaukta")][0]
    text = cancellation.get_body(("plain",)).get_content()
    assert "atšaukti" in text and "lektorius susirgo" in text


def test_an_application_tells_its_contact_consultant_and_the_municipality_coordinator(embedded):
    token = embedded.token()
    http("POST", f"{embedded.base_url}/notifications/recipients",
         {"email": "es@kaunas.lt", "name": "ES koordinatorė", "municipality_code": "15",
          "roles": ["eu_projects_coordinator"]}, token=token)
    call = http("POST", f"{embedded.base_url}/grants/calls", {
        "code": "TEST-2027-1", "funder": "EEA and Norway Grants",
        "title": {"lt": "Gebėjimų stiprinimas", "en": "Capacity building"}, "themes": ["public_service_quality"],
        "eligible_applicant_types": ["municipality"], "closes_on": (date.today() + timedelta(days=60)).isoformat(),
        "max_grant_eur": "100000", "max_funding_rate": "0.85", "status": "open"}, token=token)
    assert call.status == 201, call.body
    application = http("POST", f"{embedded.base_url}/grants/applications", {
        "call_id": call.body["id"], "municipality_code": "15",
        "title": {"lt": "Paslaugų kokybė", "en": "Service quality"}, "themes": ["public_service_quality"],
        "budget": {"total_eligible_cost_eur": "100000", "requested_grant_eur": "80000", "own_contribution_eur": "20000"},
        "contact": {"name": "Rūta", "email": "ruta@kaunas.lt", "language": "lt"},
        "consultant": {"name": "Tom", "email": "tom@centras.lt", "language": "en"}}, token=token)
    assert application.status == 201, application.body
    wait_until(lambda: subjects_for(embedded, "ruta@kaunas.lt") and subjects_for(embedded, "tom@centras.lt"),
               message="the application e-mails")
    assert subjects_for(embedded, "ruta@kaunas.lt") == ["Pradėta paraiška: Paslaugų kokybė"]
    assert subjects_for(embedded, "tom@centras.lt") == ["Application started: Service quality"]
    moved = http("POST", f"{embedded.base_url}/grants/applications/{application.body['id']}/transitions",
                 {"to": "drafting"}, token=token)
    assert moved.status in (200, 201), moved.body
    wait_until(lambda: subjects_for(embedded, "es@kaunas.lt"), message="the coordinator's e-mail")
    assert subjects_for(embedded, "es@kaunas.lt") == ["Paraiška „Paslaugų kokybė“: rengiama"]
