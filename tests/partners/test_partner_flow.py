"""The partners service on the embedded default: profiles, explained matching, double opt-in
introductions, partnerships with letters and visits, the report, example profiles."""

from datetime import date, timedelta

from tests.partners.helpers import CONSULTANT, HORDALAND, KAUNAS_PROFILE, REYKJAVIK, SWEDISH, WESTERN_NORWAY, created, \
    key_of, request_body
from tests.support import http


def test_a_request_is_ranked_explained_and_proposed(partners):
    hordaland = partners.profile(HORDALAND)
    partners.profile(WESTERN_NORWAY)
    partners.profile(REYKJAVIK)
    partners.profile(SWEDISH)
    partners.profile(KAUNAS_PROFILE, token=partners.kaunas)
    request = created(partners.post("/requests", request_body(), token=partners.kaunas))

    proposal = request["proposal"]
    assert [c["name"] for c in proposal] == ["Hordaland county council", "Reykjavík City",
                                             "Western Norway Research Institute"]
    top = proposal[0]
    assert top["rank"] == 1 and top["score"] == round(sum(top["components"].values()), 2)
    # Kaunas district's own profile (95,000 people) sets the size wish: Hordaland is ~5.5 times larger.
    assert top["components"] == {"theme_overlap": 35.0, "country_eligibility": 15.0, "organisation_type": 15.0,
                                 "shared_language": 10.0, "size_similarity": 6.31, "free_capacity": 10.0,
                                 "track_record": 1.67}
    assert hordaland["id"] == top["organisation_id"]

    event, = partners.db.events("partners.matches_proposed")
    data = event["data"]
    assert data["partner_request_id"] == request["id"] and data["municipality_code"] == "16"
    assert [c["name"] for c in data["candidates"]] == [c["name"] for c in proposal]
    assert data["excluded"] == {"ineligible_country": 1, "requester_itself": 1}
    assert data["requester"]["email"] == "ona.petraitiene@krs.lt" and data["title"]["en"]

    ranking = partners.get(f"/requests/{request['id']}/ranking?limit=2", token=partners.kaunas).body
    assert [c["name"] for c in ranking["candidates"]] == ["Hordaland county council", "Reykjavík City"]
    assert (ranking["considered"], ranking["eligible"]) == (5, 3)
    assert ranking["weights"]["theme_overlap"] == 35.0
    assert ranking["excluded_counts"] == {"ineligible_country": 1, "requester_itself": 1}

    swedish = [o for o in partners.get("/organisations?country=SE").body][0]
    why = partners.get(f"/requests/{request['id']}/candidates/{swedish['id']}").body
    assert why == {"organisation_id": swedish["id"], "name": "Region Skåne", "eligible": False, "score": None,
                   "components": {}, "reasons": ["ineligible_country"]}
    assert partners.get(f"/requests/{request['id']}/candidates/{hordaland['id']}").body["score"] == top["score"]


def test_double_opt_in_shares_contacts_only_after_both_accept(partners):
    hordaland = partners.profile(HORDALAND)
    request = created(partners.post("/requests", request_body(), token=partners.kaunas))
    # The municipality picking the candidate is its acceptance.
    introduction = created(partners.post(f"/requests/{request['id']}/introductions",
                                         {"organisation_id": hordaland["id"], "message": "Regional services"},
                                         token=partners.kaunas))
    assert introduction["status"] == "pending" and introduction["requester_answer"] == "accepted"
    assert introduction["requester"] is None and introduction["candidate_contact"] is None

    sent, = partners.db.events("partners.introduction_sent")
    data = sent["data"]
    assert data["candidate_contact"]["email"] == "kari.nordmann@hordaland.no"
    assert data["requester_answer"] == "accepted" and data["requester_answer_url"] is None
    key = key_of(data["candidate_answer_url"])

    # The municipality cannot see the candidate's contact in the profile either.
    assert partners.get(f"/organisations/{hordaland['id']}", token=partners.kaunas).body["contact_email"] is None
    preview = http("GET", f"{partners.base}/partners/answers?key={key}").body
    assert preview["side"] == "candidate" and preview["other_side_contact"] is None
    assert preview["municipality_name"]["en"] == "Kaunas District Municipality"

    answered = http("POST", f"{partners.base}/partners/answers", {"key": key, "answer": "accepted"})
    assert answered.status == 200, answered.body
    assert answered.body["status"] == "established"
    assert answered.body["other_side_contact"]["email"] == "ona.petraitiene@krs.lt"

    seen = partners.get(f"/introductions/{introduction['id']}", token=partners.kaunas).body
    assert seen["status"] == "established" and seen["candidate_contact"]["email"] == "kari.nordmann@hordaland.no"
    established, = partners.db.events("partners.partnership_established")
    assert established["data"]["partnership_id"] == seen["partnership_id"]
    assert established["data"]["candidate_contact"]["name"] == "Kari Nordmann"
    answers = [e["data"] for e in partners.db.events("partners.introduction_answered")]
    assert [(a["side"], a["answer"], a["both_accepted"]) for a in answers] == [("candidate", "accepted", True)]

    profile = partners.get(f"/organisations/{hordaland['id']}").body
    assert (profile["active_partnerships"], profile["free_capacity"], profile["partnerships_total"]) == (1, 1, 1)
    from tests.support import metric_value

    metrics = http("GET", f"{partners.system.ops_url}/metrics").body
    assert metric_value(metrics, "savivalda_partner_introductions", status="established") == 1
    assert metric_value(metrics, "savivalda_partner_introductions", status="pending") == 0
    assert metric_value(metrics, "savivalda_partner_profiles", state="active") == 1
    assert metric_value(metrics, "savivalda_partner_index_profiles", service="partners") == 1
    assert partners.get(f"/requests/{request['id']}").body["status"] == "partnered"
    # Answering again the same is harmless; changing one's answer is not.
    assert http("POST", f"{partners.base}/partners/answers", {"key": key, "answer": "accepted"}).status == 200
    changed = http("POST", f"{partners.base}/partners/answers", {"key": key, "answer": "declined"})
    assert changed.status == 409 and changed.body["errors"][0]["field"] == "answer"
    assert len(partners.db.events("partners.introduction_answered")) == 1


def test_staff_introductions_need_both_answers_and_a_decline_is_never_proposed_again(partners):
    hordaland = partners.profile(HORDALAND)
    reykjavik = partners.profile(REYKJAVIK)
    request = created(partners.post("/requests", request_body(requester=CONSULTANT)))
    introduction = created(partners.post(f"/requests/{request['id']}/introductions",
                                         {"organisation_id": reykjavik["id"]}))
    assert introduction["requester_answer"] is None
    sent = partners.db.events("partners.introduction_sent")[0]["data"]
    assert sent["requester_answer_url"] and sent["candidate_answer_url"]
    # the municipality may answer for itself, not for the candidate
    refused = partners.post(f"/introductions/{introduction['id']}/answers", {"side": "candidate", "answer": "accepted"},
                            token=partners.kaunas)
    assert refused.status == 403 and refused.body["errors"][0]["field"] == "side"
    accepted = partners.post(f"/introductions/{introduction['id']}/answers",
                             {"side": "requester", "answer": "accepted"}, token=partners.kaunas)
    assert accepted.body["status"] == "pending"
    declined = partners.post(f"/introductions/{introduction['id']}/answers", {"side": "candidate", "answer": "declined"})
    assert declined.body["status"] == "declined" and declined.body["candidate_contact"] is None

    again = partners.post(f"/requests/{request['id']}/proposals", None)
    assert again.status == 200
    assert [c["name"] for c in again.body["proposal"]] == ["Hordaland county council"]
    assert partners.db.events("partners.matches_proposed")[-1]["data"]["excluded"] == {"declined": 1}
    ranking = partners.get(f"/requests/{request['id']}/ranking").body
    assert [(e["name"], e["reasons"]) for e in ranking["excluded"]] == [("Reykjavík City", ["declined"])]
    refused = partners.post(f"/requests/{request['id']}/introductions", {"organisation_id": reykjavik["id"]})
    assert refused.status == 422 and refused.body["type"] == "urn:savivalda:problem:declined"
    assert refused.body["errors"][0]["field"] == "organisation_id"
    assert len(partners.get(f"/requests/{request['id']}/introductions").body) == 1
    assert hordaland["id"] == again.body["proposal"][0]["organisation_id"]


def test_a_full_candidate_cannot_be_accepted_into_a_second_partnership(partners):
    western = partners.profile(WESTERN_NORWAY)  # capacity 1
    intros = []
    for title in ("Pirmas", "Antras"):
        request = created(partners.post("/requests", request_body(title={"lt": title}, organisation_types=[]),
                                        token=partners.kaunas))
        intros.append(created(partners.post(f"/requests/{request['id']}/introductions",
                                            {"organisation_id": western["id"]}, token=partners.kaunas)))
    first = partners.post(f"/introductions/{intros[0]['id']}/answers", {"side": "candidate", "answer": "accepted"})
    assert first.body["status"] == "established"
    second = partners.post(f"/introductions/{intros[1]['id']}/answers", {"side": "candidate", "answer": "accepted"})
    assert second.status == 409 and second.body["type"] == "urn:savivalda:problem:full_capacity"
    assert partners.get(f"/introductions/{intros[1]['id']}").body["status"] == "pending"
    assert len(partners.db.events("partners.partnership_established")) == 1
    assert partners.get(f"/organisations/{western['id']}").body["active_partnerships"] == 1


def test_partnership_letters_visits_completion_and_the_report(partners):
    hordaland = partners.profile(HORDALAND)
    request = created(partners.post("/requests", request_body(), token=partners.kaunas))
    introduction = created(partners.post(f"/requests/{request['id']}/introductions",
                                         {"organisation_id": hordaland["id"]}, token=partners.kaunas))
    partnership_id = partners.post(f"/introductions/{introduction['id']}/answers",
                                   {"side": "candidate", "answer": "accepted"}).body["partnership_id"]
    today = date.today()
    letter = created(partners.post(f"/partnerships/{partnership_id}/letters-of-intent",
                                   {"issued_by": "partner", "signed_on": today.isoformat(), "reference": "LOI-2026/7"},
                                   token=partners.kaunas))
    recorded, = partners.db.events("partners.letter_of_intent_recorded")
    assert recorded["data"]["letter_id"] == letter["id"] and recorded["data"]["organisation_name"] == hordaland["name"]
    people = [{"name": f"Dalyvis {n}", "email": f"dalyvis{n}@krs.lt"} for n in range(6)]
    for direction, country, place, participants in (("to_partner", "NO", "Bergen", people[:4]),
                                                    ("to_lithuania", "LT", "Kaunas", people[4:]),
                                                    ("to_lithuania", "LT", "Garliava", people[:3])):
        created(partners.post(f"/partnerships/{partnership_id}/visits",
                              {"direction": direction, "starts_on": today.isoformat(),
                               "ends_on": (today + timedelta(days=2)).isoformat(), "place": place, "country": country,
                               "participants": participants}, token=partners.kaunas))
    partnership = partners.get(f"/partnerships/{partnership_id}", token=partners.kaunas).body
    assert sorted(v["place"] for v in partnership["visits"]) == ["Bergen", "Garliava", "Kaunas"]
    assert partnership["letters_of_intent"][0]["reference"] == "LOI-2026/7"

    report = partners.get(f"/reports/partnerships?year={today.year}").body
    assert report["partnerships"] == 1
    assert report["visits"] == {"to_partner": 1, "to_lithuania": 2, "participants": 9}
    assert report["by_country"] == [{"country": "NO", "partnerships": 1, "active": 1, "completed": 0,
                                     "visits_to_partner": 1, "visits_to_lithuania": 2, "participants": 9}]
    assert [(t["theme"], t["partnerships"]) for t in report["by_theme"]] == [
        ("public_service_quality", 1), ("regional_development", 1)]
    assert partners.get(f"/reports/partnerships?year={today.year - 1}").body["partnerships"] == 0

    completed = partners.post(f"/partnerships/{partnership_id}/completion", None, token=partners.kaunas)
    assert completed.body["status"] == "completed"
    profile = partners.get(f"/organisations/{hordaland['id']}").body
    assert (profile["active_partnerships"], profile["partnerships_total"]) == (0, 1)
    assert partners.post(f"/partnerships/{partnership_id}/completion", None).status == 409
    assert partners.get("/reports/partnerships").body["by_country"][0]["completed"] == 1


def test_example_profiles_load_once(partners):
    first = partners.post("/organisations/examples", None)
    assert first.status == 201
    assert [o["name"] for o in first.body] == ["Hordaland county council", "Western Norway Research Institute",
                                               "Flexible Education Norway"]
    again = partners.post("/organisations/examples", None)
    assert [o["id"] for o in again.body] == [o["id"] for o in first.body]
    assert len(partners.get("/organisations").body) == 3
    assert len(partners.db.events("partners.organisation_registered")) == 3
    flexible = first.body[2]
    assert flexible["contact_email"] is None and flexible["past_cooperation"][0]["project"] == "LT10-0002"
