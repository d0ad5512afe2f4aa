"""The partners service: profiles, explained matching, double opt-in introductions, partnerships.

This module maps nameko entrypoints (HTTP routes with their declared roles and tenancy, event
subscriptions, the timer) to the use cases in services/partners/usecases, one module per
capability, and does nothing else: each entrypoint hands the worker's unit of work (`self.db`),
the profile index where ranking is needed, and its validated inputs to one use case and returns its
result. Rules live in services/partners/domain, queries in services/partners/repository.py.
"""

from __future__ import annotations

from services.partners.gauges import PartnerGauges
from services.partners.index import ProfileIndexProvider
from services.partners.pages import AnswerPageQuery, ChoicePageQuery, PartnerPages, page_for_browsers
from services.partners.repository import (
    INTRODUCTION_OWNER,
    PARTNERSHIP_OWNER,
    PROFILE_OWNER,
    REQUEST_OWNER,
)
from services.partners.schemas import (
    AnswerIn,
    AnswerPreviewOut,
    ChoiceOut,
    IntroductionIn,
    IntroductionOut,
    KeyAnswerIn,
    KeyIn,
    LetterIn,
    LetterOut,
    OrganisationIn,
    OrganisationOut,
    OrganisationQuery,
    PartnerRequestIn,
    PartnerRequestOut,
    PartnershipOut,
    PartnershipQuery,
    RankingOut,
    RankingQuery,
    RenewalOut,
    ReportOut,
    ReportQuery,
    RequestQuery,
    VerdictOut,
    VisitIn,
    VisitOut,
)
from services.partners.usecases import (
    choices,
    erasure,
    introductions,
    organisations,
    partner_requests,
    partnerships,
    reports,
    scheduled,
)
from shared.auth import ANYONE, STAFF, STAFF_OR_MUNICIPALITY, Principal
from shared.events.envelope import Envelope
from shared.events.grants import PartnerRequested
from shared.events.privacy import ErasureRequested
from shared.http import route
from shared.messaging.subscriptions import subscribe
from shared.persistence.provider import Database
from shared.service import ServiceBase
from shared.tenancy import Tenancy
from shared.timers import timer



# ---------------------------------------------------------------- tenancy: who owns what (shared/tenancy.py)
DIRECTORY = Tenancy.none("the directory of partner profiles; contact details only to staff and the profile's own "
                         "municipality")
# A Lithuanian municipality's own profile is that municipality's; a foreign profile is the centre's.
PROFILE = Tenancy.resource("organisation_id", PROFILE_OWNER, "organisation")
REQUEST = Tenancy.resource("request_id", REQUEST_OWNER, "partner request")
INTRODUCTION = Tenancy.resource("introduction_id", INTRODUCTION_OWNER, "introduction")
PARTNERSHIP = Tenancy.resource("partnership_id", PARTNERSHIP_OWNER, "partnership")


class PartnersService(PartnerPages, ServiceBase):
    name = "partners"
    db = Database()
    profiles = ProfileIndexProvider()
    gauges = PartnerGauges()

    # ================================================================== organisation profiles
    @route("POST", "/partners/organisations", roles=STAFF_OR_MUNICIPALITY, body=OrganisationIn,
           response=OrganisationOut, status=201, errors=(409,), scope=Tenancy.body("municipality_code"))
    def register_organisation(self, request, body: OrganisationIn, principal):
        """Add an organisation profile: a foreign body (staff) or a Lithuanian municipality (staff, or
        the municipality itself). The profile is valid for a year; its contact is reminded to renew."""
        return 201, organisations.register(self.db, body, principal)

    @route("POST", "/partners/organisations/examples", roles=STAFF, response=list[OrganisationOut], status=201)
    def load_example_organisations(self, request, principal):
        """Load the example foreign profiles (the Norwegian partners of the Norway Grants LT10 projects
        in the centre's records). Loading them again changes nothing."""
        return 201, organisations.load_examples(self.db, principal)

    @route("GET", "/partners/organisations", roles=ANYONE, query=OrganisationQuery, response=list[OrganisationOut],
           scope=DIRECTORY)
    def list_organisations(self, request, query: OrganisationQuery, principal):
        """Organisation profiles by country and name, filtered; expired ones only on request.
        Contact details are shown to staff (and to a municipality for its own profile)."""
        return organisations.find(self.db, query, principal)

    @route("GET", "/partners/organisations/<uuid:organisation_id>", roles=ANYONE, response=OrganisationOut,
           errors=(404,), scope=DIRECTORY)
    def get_organisation(self, request, organisation_id, principal):
        """One organisation profile."""
        return organisations.get(self.db, organisation_id, principal)

    @route("PUT", "/partners/organisations/<uuid:organisation_id>", roles=STAFF_OR_MUNICIPALITY,
           body=OrganisationIn, response=OrganisationOut, errors=(404, 409),
           scope=(PROFILE, Tenancy.body("municipality_code")))
    def update_organisation(self, request, organisation_id, body: OrganisationIn, principal):
        """Replace a profile's details (staff, or a municipality its own). Capacity cannot drop below
        the partnerships it has."""
        return organisations.update(self.db, organisation_id, body, principal)

    @route("POST", "/partners/organisations/<uuid:organisation_id>/renewal", roles=STAFF_OR_MUNICIPALITY,
           response=OrganisationOut, errors=(404,), scope=PROFILE)
    def renew_organisation(self, request, organisation_id, principal):
        """Confirm a profile is still right: valid for another year from now."""
        return organisations.renew(self.db, organisation_id, principal)

    @route("GET", "/partners/renewals", public=True, query=KeyIn, response=RenewalOut, errors=(404,))
    def preview_renewal(self, request, query: KeyIn):
        """The profile a renewal link is for and when it expires (no login; the key is the link's)."""
        return organisations.preview_renewal(self.db, query)

    @route("POST", "/partners/renewals", public=True, body=KeyIn, response=RenewalOut, errors=(404,))
    def renew_by_key(self, request, body: KeyIn):
        """Renew a profile with the key from the renewal reminder's link (no login)."""
        return organisations.renew_by_key(self.db, body)

    # ================================================================== partner requests and matching
    @route("POST", "/partners/requests", roles=STAFF_OR_MUNICIPALITY, body=PartnerRequestIn,
           response=PartnerRequestOut, status=201, errors=(409,), scope=Tenancy.body("municipality_code"))
    def create_request(self, request, body: PartnerRequestIn, principal):
        """Ask for partners for a project: ranks the profiles at once and proposes the best
        (partners.matches_proposed). A municipality asks for itself only; an application has one
        request (409 for a second)."""
        return 201, partner_requests.create(self.db, self.profiles, body, principal,
                                            public_url=self.settings.public_url)

    @subscribe("grants.partner_requested")
    def on_partner_requested(self, event: PartnerRequested, envelope: Envelope):
        """An application needs a partner: open (or, for an application asking again, update) its
        request and propose candidates. The consultant answers for the municipality."""
        partner_requests.open_for_application(self.db, self.profiles, event, envelope,
                                              public_url=self.settings.public_url)

    @route("GET", "/partners/requests", roles=STAFF_OR_MUNICIPALITY, query=RequestQuery,
           response=list[PartnerRequestOut], scope=Tenancy.query())
    def list_requests(self, request, query: RequestQuery, principal, tenant):
        """Partner requests, newest first (a municipality sees its own)."""
        return partner_requests.find(self.db, query, tenant)

    @route("GET", "/partners/requests/<uuid:request_id>", roles=STAFF_OR_MUNICIPALITY, response=PartnerRequestOut,
           errors=(404,), scope=REQUEST)
    def get_request(self, request, request_id, principal):
        """One partner request with the candidates last proposed."""
        return partner_requests.get(self.db, request_id)

    @route("GET", "/partners/requests/<uuid:request_id>/ranking", roles=STAFF_OR_MUNICIPALITY, query=RankingQuery,
           response=RankingOut, errors=(404,), scope=REQUEST)
    def get_ranking(self, request, request_id, query: RankingQuery, principal):
        """The current ranking: every candidate's score broken into components, and the profiles
        excluded by a hard rule with the reason. Same data, same ranking."""
        return partner_requests.ranking(self.db, self.profiles, request_id, query)

    @route("GET", "/partners/requests/<uuid:request_id>/candidates/<uuid:organisation_id>",
           roles=STAFF_OR_MUNICIPALITY, response=VerdictOut, errors=(404,), scope=REQUEST)
    def explain_candidate(self, request, request_id, organisation_id, principal):
        """Why one organisation is (or is not) a candidate for the request: its components, or
        every hard rule it breaks."""
        return partner_requests.explain(self.db, request_id, organisation_id)

    @route("POST", "/partners/requests/<uuid:request_id>/proposals", roles=STAFF_OR_MUNICIPALITY,
           response=PartnerRequestOut, errors=(404,), scope=REQUEST)
    def propose_again(self, request, request_id, principal):
        """Rank again and propose (e.g. after new profiles or declines); declined and already
        introduced candidates stay out."""
        return partner_requests.propose_again(self.db, self.profiles, request_id, public_url=self.settings.public_url)

    # ================================================================== introductions (double opt-in)
    @route("POST", "/partners/requests/<uuid:request_id>/introductions", roles=STAFF_OR_MUNICIPALITY,
           body=IntroductionIn, response=IntroductionOut, status=201, errors=(404, 409), scope=REQUEST)
    def introduce(self, request, request_id, body: IntroductionIn, principal):
        """Introduce a candidate: both sides are asked (partners.introduction_sent) and contact details
        are shared only once both accept. When the municipality picks the candidate itself, that is
        its acceptance; when staff pick, the municipality answers too. Excluded candidates (declined,
        already introduced, full, expired, ineligible) are refused with the reason."""
        return 201, introductions.introduce(self.db, request_id, body, principal,
                                            public_url=self.settings.public_url)

    @route("GET", "/partners/requests/<uuid:request_id>/introductions", roles=STAFF_OR_MUNICIPALITY,
           response=list[IntroductionOut], errors=(404,), scope=REQUEST)
    def list_introductions(self, request, request_id, principal):
        """The request's introductions and their answers."""
        return introductions.of_request(self.db, request_id)

    @route("GET", "/partners/introductions/<uuid:introduction_id>", roles=STAFF_OR_MUNICIPALITY,
           response=IntroductionOut, errors=(404,), scope=INTRODUCTION)
    def get_introduction(self, request, introduction_id, principal):
        """One introduction; both contacts once both sides accepted."""
        return introductions.get(self.db, introduction_id)

    @route("POST", "/partners/introductions/<uuid:introduction_id>/answers", roles=STAFF_OR_MUNICIPALITY,
           body=AnswerIn, response=IntroductionOut, errors=(404, 409), scope=INTRODUCTION)
    def answer_introduction(self, request, introduction_id, body: AnswerIn, principal: Principal):
        """Record one side's answer. Staff record either side (e.g. a candidate's answer by e-mail);
        the requesting municipality answers for itself. Both accepted: the partnership is established
        (partners.partnership_established) if the candidate still has free capacity."""
        return introductions.answer_as(self.db, introduction_id, body, principal, public_url=self.settings.public_url)

    @route("GET", "/partners/answers", public=True, query=AnswerPageQuery, response=AnswerPreviewOut, errors=(404,),
           html=True)
    @page_for_browsers(PartnerPages.answer_page)
    def preview_answer(self, request, query: AnswerPageQuery):
        """What the holder of an answer link is asked (no login; the key is the link's); a browser
        gets the introduction page with accept and decline forms (pages.py)."""
        return introductions.preview_by_key(self.db, query)

    @route("POST", "/partners/answers", public=True, body=KeyAnswerIn, response=AnswerPreviewOut,
           errors=(404, 409))
    def answer_by_key(self, request, body: KeyAnswerIn):
        """Accept or decline an introduction with the key from the e-mail's link (no login)."""
        return introductions.answer_by_key(self.db, body, public_url=self.settings.public_url)

    @route("GET", "/partners/choices", public=True, query=ChoicePageQuery, response=ChoiceOut, errors=(404,),
           html=True)
    @page_for_browsers(PartnerPages.choice_page)
    def preview_choice(self, request, query: ChoicePageQuery):
        """What the holder of a choice link (the proposal e-mail's, or the coordinator's after an
        introduction lapsed) sees, no login: the request, the ranked and explained candidates and the
        introductions so far; a browser gets the page with a form per candidate (pages.py)."""
        return choices.view_by_key(self.db, self.profiles, query)

    # ================================================================== partnerships
    @route("GET", "/partners/partnerships", roles=STAFF_OR_MUNICIPALITY, query=PartnershipQuery,
           response=list[PartnershipOut], scope=Tenancy.query())
    def list_partnerships(self, request, query: PartnershipQuery, principal, tenant):
        """Partnerships (a municipality sees its own), with letters of intent and visits."""
        return partnerships.find(self.db, query, tenant)

    @route("GET", "/partners/partnerships/<uuid:partnership_id>", roles=STAFF_OR_MUNICIPALITY,
           response=PartnershipOut, errors=(404,), scope=PARTNERSHIP)
    def get_partnership(self, request, partnership_id, principal):
        """One partnership with both contacts, letters of intent and visits."""
        return partnerships.get(self.db, partnership_id)

    @route("POST", "/partners/partnerships/<uuid:partnership_id>/letters-of-intent", roles=STAFF_OR_MUNICIPALITY,
           body=LetterIn, response=LetterOut, status=201, errors=(404, 409), scope=PARTNERSHIP)
    def record_letter(self, request, partnership_id, body: LetterIn, principal):
        """Record a letter of intent (partners.letter_of_intent_recorded, e.g. for the application's
        documents)."""
        return 201, partnerships.record_letter(self.db, partnership_id, body)

    @route("POST", "/partners/partnerships/<uuid:partnership_id>/visits", roles=STAFF_OR_MUNICIPALITY,
           body=VisitIn, response=VisitOut, status=201, errors=(404, 409), scope=PARTNERSHIP)
    def record_visit(self, request, partnership_id, body: VisitIn, principal):
        """Record a visit (to the partner or to Lithuania) with its participants, for the bilateral
        results report."""
        return 201, partnerships.record_visit(self.db, partnership_id, body)

    @route("POST", "/partners/partnerships/<uuid:partnership_id>/completion", roles=STAFF_OR_MUNICIPALITY,
           response=PartnershipOut, errors=(404, 409), scope=PARTNERSHIP)
    def complete_partnership(self, request, partnership_id, principal):
        """The project ended: the partnership is completed and the partner's capacity freed."""
        return partnerships.complete(self.db, partnership_id)

    @route("GET", "/partners/reports/partnerships", roles=STAFF, query=ReportQuery, response=ReportOut)
    def partnership_report(self, request, query: ReportQuery, principal):
        """Bilateral results: partnerships per country and theme, visits both ways and their
        participants (anonymous counts)."""
        return reports.partnerships(self.db, query)

    # ================================================================== timers
    @timer()
    def run_timers(self):
        """Reminders to sides that have not answered, expiry of unanswered introductions, profile
        renewal reminders. Safe with several replicas (rows are claimed, see PartnersRepository)."""
        scheduled.run_due(self.db, public_url=self.settings.public_url)

    # ================================================================== privacy
    @subscribe("privacy.erasure_requested")
    def on_erasure_requested(self, event: ErasureRequested, envelope: Envelope):
        """Erase or pseudonymise every personal field held for the address; publish what was removed
        (counts only)."""
        erasure.erase_person(self.db, event)
