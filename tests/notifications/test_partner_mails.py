"""Issue 17 item 2, the partners and grants e-mails, read as they were sent (the embedded system's
mailbox folder): nobody who already accepted is asked "would you like to be introduced?", every
e-mail asking for an answer carries the link to answer, a declined introduction is told to the
requester, a consultant assigned after the application was created hears from partners, and a
letter of intent ticks the application's checklist item."""

import email
import re
from email import policy

import requests

from tests.partners.helpers import HORDALAND, REYKJAVIK, created, key_of, request_body
from tests.support import http, wait_until

BROWSER = {"Accept": "text/html"}


def mailbox(system):
    folder = system.settings.mailbox_dir
    return [email.message_from_bytes(p.read_bytes(), policy=policy.default)
            for p in sorted(folder.glob("*.eml"))] if folder.exists() else []


def mails_to(system, address):
    return [m for m in mailbox(system) if m["To"].addresses[0].addr_spec == address]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


def wait_for_mail(system, address, count=1, subject=None):
    def found():
        mails = [m for m in mails_to(system, address) if subject is None or subject in m["Subject"]]
        return mails if len(mails) >= count else None
    return wait_until(found, message=f"{count} e-mail(s) to {address}" + (f" about {subject}" if subject else ""))


def post(system, path, body, token):
    return http("POST", f"{system.base_url}{path}", body, token=token)


def test_whoever_picked_the_candidate_is_not_asked_again_and_the_candidate_gets_its_link(embedded):
    staff, kaunas = embedded.token(), embedded.token("municipality:16")
    hordaland = created(post(embedded, "/partners/organisations", HORDALAND, staff))
    request = created(post(embedded, "/partners/requests", request_body(), kaunas))
    # Kaunas district picks the candidate itself: that is its acceptance.
    created(post(embedded, f"/partners/requests/{request['id']}/introductions",
                 {"organisation_id": hordaland["id"]}, kaunas))

    [to_requester] = wait_for_mail(embedded, "ona.petraitiene@krs.lt", subject="Hordaland")
    text = text_of(to_requester)
    assert to_requester["Subject"].startswith("Prašymas susipažinti išsiųstas: Hordaland county council")
    assert "Ar sutinkate susipažinti" not in text and "Ar norite" not in to_requester["Subject"]
    assert "pasirinkote partnerį Hordaland county council" in text and "Daugiau nieko daryti nereikia" in text
    assert "/partners/answers?key=" not in text  # nothing to answer

    [to_candidate] = wait_for_mail(embedded, "kari.nordmann@hordaland.no", subject="Hordaland")
    text = text_of(to_candidate)
    assert to_candidate["Subject"].startswith("Would you like to be introduced?")
    link = re.search(r"(http\S+/partners/answers\?key=\S+)", text).group(1)
    html = to_candidate.get_body(("html",)).get_content()
    assert link in html
    page = requests.get(link, headers=BROWSER, timeout=30)  # the link leads to the page to answer on
    assert page.status_code == 200 and 'action="/partners/answers/form?lang=en"' in page.text


def test_staff_introductions_ask_both_sides_each_with_its_link(embedded):
    staff = embedded.token()
    reykjavik = created(post(embedded, "/partners/organisations", REYKJAVIK, staff))
    request = created(post(embedded, "/partners/requests", request_body(), staff))
    created(post(embedded, f"/partners/requests/{request['id']}/introductions", {"organisation_id": reykjavik["id"]},
                 staff))
    [to_requester] = wait_for_mail(embedded, "ona.petraitiene@krs.lt", subject="Reykjavík")
    [to_candidate] = wait_for_mail(embedded, "jon@reykjavik.is", subject="Reykjavík")
    assert to_requester["Subject"].startswith("Ar norite susipažinti?")
    links = [re.search(r"(http\S+/partners/answers\?key=\S+)", text_of(m)).group(1)
             for m in (to_requester, to_candidate)]
    assert links[0] != links[1]
    assert key_of(links[0]) and key_of(links[1])


def answer_from_page(link, answer):
    """What a person does in the browser: open the e-mail's link, press the button (a POST form)."""
    page = requests.get(link, headers=BROWSER, timeout=30)
    assert page.status_code == 200 and f'name="answer" value="{answer}"' in page.text
    action = re.search(r'<form class="action" method="post" action="([^"]+)"', page.text).group(1)
    base = link.split("/partners/", 1)[0]
    done = requests.post(base + action, data={"key": key_of(link), "answer": answer}, headers=BROWSER, timeout=30,
                         allow_redirects=False)
    assert done.status_code == 303, done.text
    return done


def link_in(message):
    return re.search(r"(http\S+/partners/answers\?key=\S+)", text_of(message)).group(1)


def test_a_consultant_assigned_after_the_application_hears_the_partner_search_to_the_partnership(embedded):
    from tests.grants.helpers import application_body, call_body

    staff = embedded.token()
    created(post(embedded, "/partners/organisations", HORDALAND, staff))
    call = created(post(embedded, "/grants/calls", call_body(), staff))
    body = application_body(call["id"])
    del body["consultant"]
    application = created(post(embedded, "/grants/applications", body, staff))

    def partner_request():
        found = [r for r in http("GET", f"{embedded.base_url}/partners/requests", token=staff).body
                 if r["application_id"] == application["id"]]
        return found[0] if found and found[0]["proposal"] else None
    request = wait_until(partner_request, message="the partner request with its proposal")
    assert request["requester"] is None  # nobody to answer for the municipality yet

    assigned = http("PUT", f"{embedded.base_url}/grants/applications/{application['id']}/consultant",
                    {"name": "Jonas Jonaitis", "email": "jonas.jonaitis@lsa.lt", "language": "en"}, token=staff)
    assert assigned.status == 200, assigned.body
    [told] = wait_for_mail(embedded, "jonas.jonaitis@lsa.lt", subject="Consultant assigned to the partner search")
    assert "now answers for the municipality in the partner search" in text_of(told)
    [matches] = wait_for_mail(embedded, "jonas.jonaitis@lsa.lt", subject="Partner candidates proposed")
    assert "Hordaland county council (NO)" in text_of(matches)

    # Staff introduce the candidate: the consultant is asked with a link, and so is the candidate.
    created(post(embedded, f"/partners/requests/{request['id']}/introductions",
                 {"organisation_id": request["proposal"][0]["organisation_id"]}, staff))
    [asked] = wait_for_mail(embedded, "jonas.jonaitis@lsa.lt", subject="Would you like to be introduced?")
    [candidate] = wait_for_mail(embedded, "kari.nordmann@hordaland.no", subject="Would you like to be introduced?")
    answer_from_page(link_in(asked), "accepted")
    answer_from_page(link_in(candidate), "accepted")
    [agreed] = wait_for_mail(embedded, "jonas.jonaitis@lsa.lt", subject="Partnership agreed: Hordaland")
    assert "kari.nordmann@hordaland.no" in text_of(agreed)
    # Assigning the same consultant again asks partners nothing new.
    again = http("PUT", f"{embedded.base_url}/grants/applications/{application['id']}/consultant",
                 {"name": "Jonas Jonaitis", "email": "jonas.jonaitis@lsa.lt", "language": "en"}, token=staff)
    assert again.status == 200
    events = [e for e in http("GET", f"{embedded.base_url}/partners/requests", token=staff).body
              if e["application_id"] == application["id"]]
    assert len(events) == 1 and events[0]["requester"]["email"] == "jonas.jonaitis@lsa.lt"


def test_a_partners_letter_of_intent_ticks_the_partnership_letter_and_the_coordinator_is_told(embedded):
    from tests.grants.helpers import application_body, call_body

    staff = embedded.token()
    http("POST", f"{embedded.base_url}/notifications/recipients",
         {"email": "es@kaunas.lt", "name": "ES koordinatorė", "municipality_code": "15",
          "roles": ["eu_projects_coordinator"]}, token=staff)
    hordaland = created(post(embedded, "/partners/organisations", HORDALAND, staff))
    call = created(post(embedded, "/grants/calls", call_body(), staff))
    application = created(post(embedded, "/grants/applications", application_body(call["id"]), staff))

    def partner_request():
        found = [r for r in http("GET", f"{embedded.base_url}/partners/requests", token=staff).body
                 if r["application_id"] == application["id"]]
        return found[0] if found else None
    request = wait_until(partner_request, message="the partner request")
    introduction = created(post(embedded, f"/partners/requests/{request['id']}/introductions",
                                {"organisation_id": hordaland["id"]}, staff))
    answers = [post(embedded, f"/partners/introductions/{introduction['id']}/answers",
                    {"side": side, "answer": "accepted"}, staff) for side in ("requester", "candidate")]
    partnership = answers[-1].body["partnership_id"]
    assert partnership, answers[-1].body

    def letter_item():
        found = http("GET", f"{embedded.base_url}/grants/applications/{application['id']}", token=staff).body
        return next(i for i in found["checklist"] if i["code"] == "partnership_letter")
    assert letter_item()["status"] == "missing"
    # The municipality's own letter ticks nothing; the partner's does.
    created(post(embedded, f"/partners/partnerships/{partnership}/letters-of-intent",
                 {"issued_by": "requester", "signed_on": "2026-11-20", "reference": "KAUNAS-1"}, staff))
    created(post(embedded, f"/partners/partnerships/{partnership}/letters-of-intent",
                 {"issued_by": "partner", "signed_on": "2026-11-25", "reference": "LOI-2027-3"}, staff))
    item = wait_until(lambda: letter_item() if letter_item()["status"] == "ready" else None,
                      message="the partnership letter ticked")
    assert "LOI-2027-3" in item["note"] and "Hordaland county council" in item["note"]
    assert [(c["from_status"], c["to_status"]) for c in item["history"]] == [("missing", "ready")]

    mails = wait_for_mail(embedded, "es@kaunas.lt", count=2, subject="ketinimų")
    texts = [text_of(m) for m in mails]
    partner_letter = next(t for t in texts if "LOI-2027-3" in t)
    assert "paraiškos dokumentų sąraše jis dabar pažymėtas kaip parengtas" in partner_letter
    own_letter = next(t for t in texts if "KAUNAS-1" in t)
    assert "Jį galima pridėti prie paraiškos dokumentų" in own_letter


def test_a_declined_introduction_is_told_to_the_requester(embedded):
    staff = embedded.token()
    reykjavik = created(post(embedded, "/partners/organisations", REYKJAVIK, staff))
    hordaland = created(post(embedded, "/partners/organisations", HORDALAND, staff))
    request = created(post(embedded, "/partners/requests", request_body(), staff))
    for organisation in (reykjavik, hordaland):
        created(post(embedded, f"/partners/requests/{request['id']}/introductions",
                     {"organisation_id": organisation["id"]}, staff))

    # Reykjavík declines from its e-mail's link: the requester (in Lithuanian) is told.
    [asked] = wait_for_mail(embedded, "jon@reykjavik.is", subject="Would you like to be introduced?")
    answer_from_page(link_in(asked), "declined")
    [told] = wait_for_mail(embedded, "ona.petraitiene@krs.lt", subject="Atsisakyta susipažinti")
    assert told["Subject"] == "Atsisakyta susipažinti: Reykjavík City (IS)"
    text = text_of(told)
    assert "Reykjavík City (IS) atsisakė pasiūlymo susipažinti" in text
    assert "Viešųjų paslaugų kokybė regionuose" in text and "daugiau nebus siūlomi" in text

    # The requester declining Hordaland itself is not mailed back to anyone.
    [own] = wait_for_mail(embedded, "ona.petraitiene@krs.lt", subject="Ar norite susipažinti? Hordaland")
    handled = consumed(embedded)
    answer_from_page(link_in(own), "declined")
    introductions = http("GET", f"{embedded.base_url}/partners/requests/{request['id']}/introductions",
                         token=staff).body
    assert sorted(i["status"] for i in introductions) == ["declined", "declined"]
    # notifications handled the answer and the decline (two more events) before we look
    wait_until(lambda: consumed(embedded) >= handled + 2, message="notifications to handle the decline")
    assert [m["Subject"] for m in mails_to(embedded, "ona.petraitiene@krs.lt")
            if "Atsisakyta" in m["Subject"]] == ["Atsisakyta susipažinti: Reykjavík City (IS)"]
    assert not [m for m in mails_to(embedded, "kari.nordmann@hordaland.no") if "declined" in m["Subject"]]


def consumed(system) -> float:
    from tests.support import metric_value

    return metric_value(http("GET", f"{system.ops_url}/metrics").body, "savivalda_events_consumed_total",
                        service="notifications", handler="on_event", outcome="applied")
