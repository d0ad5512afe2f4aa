"""The round trip with grants on the embedded default: an application to a call that requires a
foreign partner publishes grants.partner_requested; partners ranks and proposes
(matches_proposed), the municipality introduces a candidate, the candidate accepts by link, and
partnership_established meets the application's partner requirement."""

from datetime import date, timedelta

from tests.grants.helpers import application_body
from tests.partners.helpers import HORDALAND, WESTERN_NORWAY, key_of
from tests.support import http, wait_until

CALL = {
    "code": "LT-NO-2027-07", "funder": "Norway Grants",
    "title": {"lt": "Savivaldybių gebėjimų stiprinimas", "en": "Capacity-building of municipalities"},
    "themes": ["public_service_quality", "anti_corruption", "international_cooperation"],
    "eligible_applicant_types": ["municipality"], "eligible_regions": ["KU"],
    "opens_on": (date.today() - timedelta(days=5)).isoformat(),
    "closes_on": (date.today() + timedelta(days=90)).isoformat(),
    "max_grant_eur": "200000", "max_funding_rate": "0.85",
    "foreign_partner_required": True, "partner_countries": ["NO"],
    "partner_organisation_types": ["county_council", "research_institute"], "status": "open",
}


def test_partner_requested_in_matches_proposed_and_partnership_established_out(partners, embedded):
    base, staff, kaunas_city = embedded.base_url, partners.staff, embedded.token("municipality:15")
    hordaland = partners.profile(HORDALAND)
    partners.profile(WESTERN_NORWAY)
    call = http("POST", f"{base}/grants/calls", CALL, token=staff)
    assert call.status == 201, call.body
    created = http("POST", f"{base}/grants/applications", application_body(call.body["id"]), token=staff)
    assert created.status == 201, created.body
    application_id = created.body["id"]

    def proposed_in_grants():
        shown = http("GET", f"{base}/grants/applications/{application_id}", token=kaunas_city).body["partner"]
        return shown if shown["status"] == "proposed" else None

    shown = wait_until(proposed_in_grants, message="grants to show the proposed partners")
    assert [c["name"] for c in shown["candidates"]] == ["Hordaland county council",
                                                        "Western Norway Research Institute"]
    proposal, = partners.db.events("partners.matches_proposed")
    assert proposal["data"]["application_id"] == application_id
    assert proposal["data"]["requester"]["email"] == "jonas.jonaitis@lsa.lt"  # the consultant answers
    request, = partners.get("/requests", token=kaunas_city).body
    assert (request["application_id"], request["source"], request["call_code"]) == (
        application_id, "grants", "LT-NO-2027-07")

    introduction = http("POST", f"{base}/partners/requests/{request['id']}/introductions",
                        {"organisation_id": hordaland["id"]}, token=kaunas_city)
    assert introduction.status == 201, introduction.body
    sent = partners.db.events("partners.introduction_sent")[0]["data"]
    assert sent["application_id"] == application_id
    accepted = http("POST", f"{base}/partners/answers",
                    {"key": key_of(sent["candidate_answer_url"]), "answer": "accepted"})
    assert accepted.body["status"] == "established"
    established, = partners.db.events("partners.partnership_established")
    assert established["data"]["application_id"] == application_id

    def established_in_grants():
        shown = http("GET", f"{base}/grants/applications/{application_id}", token=kaunas_city).body["partner"]
        return shown if shown["status"] == "established" else None

    shown = wait_until(established_in_grants, message="grants to record the partnership")
    assert (shown["name"], shown["country"], shown["met"]) == ("Hordaland county council", "NO", True)
    assert shown["contact"]["email"] == "kari.nordmann@hordaland.no"
