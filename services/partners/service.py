"""The partners service: profiles, explained matching, double opt-in introductions, partnerships.

Entrypoints validate (pydantic via @route/@subscribe), call the rules in services/partners/domain
and commit; the ranking runs on the process's in-memory profile index (services/partners/index.py).
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta, timezone

from nameko.extensions import DependencyProvider
from sqlalchemy.exc import IntegrityError

from services.partners.domain import matching
from services.partners.domain.report import PartnershipFact, VisitFact, partnership_report
from services.partners.domain.rules import (
    PROPOSAL_SIZE,
    Answer,
    IntroductionState,
    IntroductionStatus,
    Side,
    VisitDirection,
    answer_by_date,
    apply_answer,
    check_answering_side,
    check_capacity_change,
    check_partnership_open,
    check_profile,
    check_request,
    check_visit,
    contacts_visible,
    expired,
    profile_expiry,
    renewal_due,
    sides_to_remind,
)
from services.partners.erasure import erase_person
from services.partners.index import ProfileIndexProvider
from services.partners.models import (
    Introduction,
    LetterOfIntent,
    Organisation,
    Partnership,
    PartnerRequest,
    Visit,
)
from services.partners.schemas import (
    AnswerIn,
    AnswerPreviewOut,
    CandidateOut,
    ExcludedOut,
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
from services.partners.seeds import EXAMPLE_PROFILES, example_id
from services.partners.store import PartnersStore, facts_from_row
from shared.auth import Principal
from shared.persistence.provider import Database
from shared.persistence.engines import engine_for
from shared.persistence.schema import utcnow
from shared.errors import Conflict, NotFound, RuleViolation
from shared.events.envelope import Envelope
from shared.events.grants import PartnerRequested
from shared.events.partners import (
    Candidate,
    IntroductionAnswered,
    IntroductionExpired,
    IntroductionReminderDue,
    IntroductionSent,
    LetterOfIntentRecorded,
    MatchesProposed,
    OrganisationRegistered,
    PartnershipEstablished,
    PartnersPersonErased,
    ProfileRenewalDue,
)
from shared.events.privacy import ErasureRequested
from shared.events.types import Contact, LocalizedText
from shared.http import route
from shared.tenancy import Tenancy, owned_by
from shared.messaging.subscriptions import subscribe
from shared.observability import SCRAPE_GAUGES
from shared.reference import MUNICIPALITIES
from shared.service import ServiceBase
from shared.timers import timer

STAFF = ("staff",)
STAFF_OR_MUNICIPALITY = ("staff", "municipality")
ANYONE = ("staff", "operator", "municipality")
TIMER_BATCH = 100
TIMER_ROUNDS = 10
ANSWER_PURPOSE = "introduction_answer"
RENEWAL_PURPOSE = "profile_renewal"
# A renewal link stays usable for a while after the profile lapsed.
RENEWAL_KEY_GRACE = timedelta(days=90)


# ---------------------------------------------------------------- tenancy: who owns what (shared/tenancy.py)
DIRECTORY = Tenancy.none("the directory of partner profiles; contact details only to staff and the profile's own "
                         "municipality")
# A Lithuanian municipality's own profile is that municipality's; a foreign profile is the centre's.
PROFILE = Tenancy.resource("organisation_id", owned_by(Organisation.municipality_code, Organisation.id),
                           "organisation")
REQUEST = Tenancy.resource("request_id", owned_by(PartnerRequest.municipality_code, PartnerRequest.id),
                           "partner request")
INTRODUCTION = Tenancy.resource("introduction_id", owned_by(
    PartnerRequest.municipality_code, Introduction.id, Introduction.request_id == PartnerRequest.id), "introduction")
PARTNERSHIP = Tenancy.resource("partnership_id", owned_by(Partnership.municipality_code, Partnership.id),
                               "partnership")


class PartnerGauges(DependencyProvider):
    """Profiles and introductions by state, read at scrape time from the service's database."""

    def start(self):
        settings = self.container.config["SAVIVALDA"]
        self.engine = engine_for(settings.database_url(self.container.service_name))
        self.key = f"partners-business:{self.container.service_name}"
        SCRAPE_GAUGES.add(self.key, self._gauges)

    def stop(self):
        SCRAPE_GAUGES.remove(self.key)

    kill = stop

    def get_dependency(self, worker_ctx):
        return None

    def _gauges(self):
        from sqlalchemy.orm import Session

        service = self.container.service_name
        with Session(self.engine) as session:
            store = PartnersStore(session)
            for state, count in store.profile_counts(utcnow()).items():
                yield ("savivalda_partner_profiles", "Organisation profiles by state (active or expired)",
                       {"service": service, "state": state}, float(count))
            for status, count in store.introduction_counts().items():
                yield ("savivalda_partner_introductions", "Introductions by status",
                       {"service": service, "status": status}, float(count))


class PartnersService(ServiceBase):
    name = "partners"
    db = Database()
    profiles = ProfileIndexProvider()
    gauges = PartnerGauges()

    @property
    def store(self) -> PartnersStore:
        return PartnersStore(self.db.session)

    # ================================================================== organisation profiles
    @route("POST", "/partners/organisations", roles=STAFF_OR_MUNICIPALITY, body=OrganisationIn,
           response=OrganisationOut, status=201, errors=(409,), scope=Tenancy.body("municipality_code"))
    def register_organisation(self, request, body: OrganisationIn, principal):
        """Add an organisation profile: a foreign body (staff) or a Lithuanian municipality (staff, or
        the municipality itself). The profile is valid for a year; its contact is reminded to renew."""
        check_profile(country=body.country, organisation_type=body.organisation_type, region=body.region,
                      capacity=body.capacity, municipality_code=body.municipality_code)
        now = utcnow()
        organisation = Organisation(id=uuid.uuid4(), created_at=now, expires_at=profile_expiry(now),
                                    active_partnerships=0, partnerships_total=0)
        self._fill_profile(organisation, body)
        store = self.store
        store.touch(organisation, now)
        try:
            store.add(organisation)
        except IntegrityError:
            raise Conflict(f"municipality {body.municipality_code} already has a profile", field="municipality_code",
                           code="duplicate_profile") from None
        self._emit_registered(organisation)
        self.db.commit()
        return 201, organisation_out(organisation, principal)

    @route("POST", "/partners/organisations/examples", roles=STAFF, response=list[OrganisationOut], status=201)
    def load_example_organisations(self, request, principal):
        """Load the example foreign profiles (the Norwegian partners of the Norway Grants LT10 projects
        in the centre's records). Loading them again changes nothing."""
        store, now, loaded = self.store, utcnow(), []
        for example in EXAMPLE_PROFILES:
            body = OrganisationIn.model_validate(example)
            organisation = self.db.session.get(Organisation, example_id(body.name))
            if organisation is None:
                organisation = Organisation(id=example_id(body.name), created_at=now, expires_at=profile_expiry(now),
                                            active_partnerships=0, partnerships_total=0)
                self._fill_profile(organisation, body)
                store.touch(organisation, now)
                store.add(organisation)
                self._emit_registered(organisation)
            loaded.append(organisation)
        self.db.commit()
        return 201, [organisation_out(o, principal) for o in loaded]

    @route("GET", "/partners/organisations", roles=ANYONE, query=OrganisationQuery, response=list[OrganisationOut],
           scope=DIRECTORY)
    def list_organisations(self, request, query: OrganisationQuery, principal):
        """Organisation profiles by country and name, filtered; expired ones only on request.
        Contact details are shown to staff (and to a municipality for its own profile)."""
        found = self.store.organisations(country=query.country, organisation_type=query.organisation_type,
                                         theme=query.theme, include_expired=query.include_expired, now=utcnow(),
                                         limit=query.limit, offset=query.offset)
        return [organisation_out(o, principal) for o in found]

    @route("GET", "/partners/organisations/<uuid:organisation_id>", roles=ANYONE, response=OrganisationOut,
           errors=(404,), scope=DIRECTORY)
    def get_organisation(self, request, organisation_id, principal):
        """One organisation profile."""
        return organisation_out(self.store.organisation(organisation_id), principal)

    @route("PUT", "/partners/organisations/<uuid:organisation_id>", roles=STAFF_OR_MUNICIPALITY,
           body=OrganisationIn, response=OrganisationOut, errors=(404, 409),
           scope=(PROFILE, Tenancy.body("municipality_code")))
    def update_organisation(self, request, organisation_id, body: OrganisationIn, principal):
        """Replace a profile's details (staff, or a municipality its own). Capacity cannot drop below
        the partnerships it has."""
        store = self.store
        organisation = store.organisation(organisation_id, lock=True)
        check_profile(country=body.country, organisation_type=body.organisation_type, region=body.region,
                      capacity=body.capacity, municipality_code=body.municipality_code)
        check_capacity_change(capacity=body.capacity, active_partnerships=organisation.active_partnerships)
        self._fill_profile(organisation, body)
        store.touch(organisation, utcnow())
        try:
            self.db.session.flush()
        except IntegrityError:
            raise Conflict(f"municipality {body.municipality_code} already has a profile", field="municipality_code",
                           code="duplicate_profile") from None
        self.db.commit()
        return organisation_out(organisation, principal)

    @route("POST", "/partners/organisations/<uuid:organisation_id>/renewal", roles=STAFF_OR_MUNICIPALITY,
           response=OrganisationOut, errors=(404,), scope=PROFILE)
    def renew_organisation(self, request, organisation_id, principal):
        """Confirm a profile is still right: valid for another year from now."""
        organisation = self.store.organisation(organisation_id, lock=True)
        self._renew(organisation)
        self.db.commit()
        return organisation_out(organisation, principal)

    @route("GET", "/partners/renewals", public=True, query=KeyIn, response=RenewalOut, errors=(404,))
    def preview_renewal(self, request, query: KeyIn):
        """The profile a renewal link is for and when it expires (no login; the key is the link's)."""
        store = self.store
        key = store.access_key(query.key, RENEWAL_PURPOSE, utcnow())
        if key is None:
            raise NotFound("renewal key", "given")
        organisation = store.organisation(key.subject_id)
        return RenewalOut(organisation_id=organisation.id, name=organisation.name, expires_at=organisation.expires_at)

    @route("POST", "/partners/renewals", public=True, body=KeyIn, response=RenewalOut, errors=(404,))
    def renew_by_key(self, request, body: KeyIn):
        """Renew a profile with the key from the renewal reminder's link (no login)."""
        store, now = self.store, utcnow()
        key = store.access_key(body.key, RENEWAL_PURPOSE, now)
        if key is None:
            raise NotFound("renewal key", "given")
        organisation = store.organisation(key.subject_id, lock=True)
        self._renew(organisation)
        self.db.commit()
        return RenewalOut(organisation_id=organisation.id, name=organisation.name, expires_at=organisation.expires_at)

    def _renew(self, organisation: Organisation) -> None:
        now = utcnow()
        organisation.expires_at = profile_expiry(now)
        self.store.touch(organisation, now)

    @staticmethod
    def _fill_profile(organisation: Organisation, body: OrganisationIn) -> None:
        values = body.model_dump(mode="json", exclude={"description"})
        for name, value in values.items():
            setattr(organisation, name, value)
        organisation.description = body.description.model_dump() if body.description else None

    def _emit_registered(self, organisation: Organisation) -> None:
        self.db.emit(OrganisationRegistered(
            organisation_id=organisation.id, name=organisation.name, country=organisation.country,
            organisation_type=organisation.organisation_type, themes=organisation.themes,
        ), subject=str(organisation.id))

    # ================================================================== partner requests and matching
    @route("POST", "/partners/requests", roles=STAFF_OR_MUNICIPALITY, body=PartnerRequestIn,
           response=PartnerRequestOut, status=201, scope=Tenancy.body("municipality_code"))
    def create_request(self, request, body: PartnerRequestIn, principal):
        """Ask for partners for a project: ranks the profiles at once and proposes the best
        (partners.matches_proposed). A municipality asks for itself only."""
        now = utcnow()
        check_request(deadline=body.deadline, today=now.date())
        partner_request = PartnerRequest(
            id=uuid.uuid4(), municipality_code=body.municipality_code, application_id=body.application_id,
            call_code=body.call_code, title=body.title.model_dump(), themes=body.themes, countries=body.countries,
            organisation_types=body.organisation_types, languages=body.languages, preferred_size=body.preferred_size,
            deadline=body.deadline, status="open", source="api", created_by=principal.subject, created_at=now,
            **requester_columns(body.requester),
        )
        self.store.add(partner_request)
        self._propose(partner_request, now)
        self.db.commit()
        return 201, request_out(partner_request)

    @subscribe("grants.partner_requested")
    def on_partner_requested(self, event: PartnerRequested, envelope: Envelope):
        """An application needs a partner: open (or, for an application asking again, update) its
        request and propose candidates. The consultant answers for the municipality."""
        now = utcnow()
        store = self.store
        partner_request = store.request_of_application(event.application_id)
        values = dict(
            municipality_code=event.municipality_code, call_id=event.call_id, call_code=event.call_code,
            title=event.application_title.model_dump(), themes=event.themes, countries=event.countries,
            organisation_types=event.organisation_types, languages=event.languages, deadline=event.deadline,
            **requester_columns(event.consultant),
        )
        if partner_request is None:
            partner_request = PartnerRequest(id=uuid.uuid4(), application_id=event.application_id, status="open",
                                             source="grants", created_by=envelope.source, created_at=now, **values)
            store.add(partner_request)
        else:
            for name, value in values.items():
                setattr(partner_request, name, value)
        self._propose(partner_request, now)

    @route("GET", "/partners/requests", roles=STAFF_OR_MUNICIPALITY, query=RequestQuery,
           response=list[PartnerRequestOut], scope=Tenancy.query())
    def list_requests(self, request, query: RequestQuery, principal, tenant):
        """Partner requests, newest first (a municipality sees its own)."""
        found = self.store.partner_requests(tenant, query.limit, query.offset)
        return [request_out(r) for r in found]

    @route("GET", "/partners/requests/<uuid:request_id>", roles=STAFF_OR_MUNICIPALITY, response=PartnerRequestOut,
           errors=(404,), scope=REQUEST)
    def get_request(self, request, request_id, principal):
        """One partner request with the candidates last proposed."""
        partner_request = self.store.partner_request(request_id)
        return request_out(partner_request)

    @route("GET", "/partners/requests/<uuid:request_id>/ranking", roles=STAFF_OR_MUNICIPALITY, query=RankingQuery,
           response=RankingOut, errors=(404,), scope=REQUEST)
    def get_ranking(self, request, request_id, query: RankingQuery, principal):
        """The current ranking: every candidate's score broken into components, and the profiles
        excluded by a hard rule with the reason. Same data, same ranking."""
        partner_request = self.store.partner_request(request_id)
        ranking = self._rank(partner_request, utcnow(), limit=query.limit)
        return RankingOut(
            request_id=partner_request.id, weights=matching.WEIGHTS, considered=ranking.considered,
            eligible=ranking.eligible, candidates=[candidate_out(c) for c in ranking.candidates],
            excluded=[ExcludedOut(organisation_id=e.profile.id, name=e.profile.name, country=e.profile.country,
                                  organisation_type=e.profile.organisation_type, reasons=list(e.reasons))
                      for e in ranking.excluded],
            excluded_counts=ranking.excluded_counts,
        )

    @route("GET", "/partners/requests/<uuid:request_id>/candidates/<uuid:organisation_id>",
           roles=STAFF_OR_MUNICIPALITY, response=VerdictOut, errors=(404,), scope=REQUEST)
    def explain_candidate(self, request, request_id, organisation_id, principal):
        """Why one organisation is (or is not) a candidate for the request: its components, or
        every hard rule it breaks."""
        store = self.store
        partner_request = store.partner_request(request_id)
        verdict = self._evaluate(partner_request, store.organisation(organisation_id), utcnow())
        if isinstance(verdict, matching.Exclusion):
            return VerdictOut(organisation_id=organisation_id, name=verdict.profile.name, eligible=False, score=None,
                              components={}, reasons=list(verdict.reasons))
        return VerdictOut(organisation_id=organisation_id, name=verdict.profile.name, eligible=True,
                          score=verdict.score, components=verdict.components, reasons=[])

    @route("POST", "/partners/requests/<uuid:request_id>/proposals", roles=STAFF_OR_MUNICIPALITY,
           response=PartnerRequestOut, errors=(404,), scope=REQUEST)
    def propose_again(self, request, request_id, principal):
        """Rank again and propose (e.g. after new profiles or declines); declined and already
        introduced candidates stay out."""
        partner_request = self.store.partner_request(request_id, lock=True)
        self._propose(partner_request, utcnow())
        self.db.commit()
        return request_out(partner_request)

    def _criteria(self, partner_request: PartnerRequest) -> matching.MatchCriteria:
        target = partner_request.preferred_size
        if target is None:
            own = self.store.municipality_profile(partner_request.municipality_code)
            target = own.size if own is not None else None
        return matching.MatchCriteria(
            themes=frozenset(partner_request.themes), countries=frozenset(partner_request.countries),
            organisation_types=frozenset(partner_request.organisation_types),
            languages=frozenset(partner_request.languages), target_size=target,
            municipality_code=partner_request.municipality_code,
        )

    def _rank(self, partner_request: PartnerRequest, now: datetime, *, limit: int) -> matching.Ranking:
        previous = self.store.previous_introductions(partner_request.id)
        return self.profiles.rank(self._criteria(partner_request), now=now, previous=previous, limit=limit)

    def _evaluate(self, partner_request: PartnerRequest, organisation: Organisation, now: datetime):
        previous = self.store.previous_introductions(partner_request.id)
        return matching.evaluate(self._criteria(partner_request), facts_from_row(organisation), now=now,
                                 previous=previous)

    def _propose(self, partner_request: PartnerRequest, now: datetime) -> None:
        ranking = self._rank(partner_request, now, limit=PROPOSAL_SIZE)
        candidates = [Candidate(organisation_id=c.profile.id, name=c.profile.name, country=c.profile.country,
                                organisation_type=c.profile.organisation_type, score=c.score,
                                components=c.components, rank=c.rank) for c in ranking.candidates]
        partner_request.last_proposal = [c.model_dump(mode="json") for c in candidates]
        partner_request.proposed_at = now
        self.db.emit(MatchesProposed(
            partner_request_id=partner_request.id, application_id=partner_request.application_id,
            municipality_code=partner_request.municipality_code, candidates=candidates,
            requester=requester_contact(partner_request), title=LocalizedText(**partner_request.title),
            call_code=partner_request.call_code, excluded=ranking.excluded_counts,
        ), subject=str(partner_request.id))

    # ================================================================== introductions (double opt-in)
    @route("POST", "/partners/requests/<uuid:request_id>/introductions", roles=STAFF_OR_MUNICIPALITY,
           body=IntroductionIn, response=IntroductionOut, status=201, errors=(404, 409), scope=REQUEST)
    def introduce(self, request, request_id, body: IntroductionIn, principal):
        """Introduce a candidate: both sides are asked (partners.introduction_sent) and contact details
        are shared only once both accept. When the municipality picks the candidate itself, that is
        its acceptance; when staff pick, the municipality answers too. Excluded candidates (declined,
        already introduced, full, expired, ineligible) are refused with the reason."""
        store, now = self.store, utcnow()
        partner_request = store.partner_request(request_id, lock=True)
        organisation = store.organisation(body.organisation_id)
        verdict = self._evaluate(partner_request, organisation, now)
        if isinstance(verdict, matching.Exclusion):
            raise RuleViolation(f"{organisation.name} cannot be introduced for this request: "
                                f"{', '.join(verdict.reasons)}", field="organisation_id", code=verdict.reasons[0])
        answer_by = answer_by_date(body.answer_by, today=now.date(), deadline=partner_request.deadline)
        picked_by_municipality = principal.role == "municipality"
        introduction = Introduction(
            id=uuid.uuid4(), request_id=partner_request.id, organisation_id=organisation.id,
            status=IntroductionStatus.PENDING.value, answer_by=answer_by, message=body.message, reminders_sent=0,
            last_contact_at=now, created_by=principal.subject, created_at=now,
            requester_answer=Answer.ACCEPTED.value if picked_by_municipality else None,
            requester_answered_at=now if picked_by_municipality else None,
        )
        store.add(introduction)
        requester_url = None
        if partner_request.requester_email and not picked_by_municipality:
            requester_url = self._answer_url(introduction, Side.REQUESTER, now)
        candidate_url = self._answer_url(introduction, Side.CANDIDATE, now) if organisation.contact_email else None
        self.db.emit(IntroductionSent(
            introduction_id=introduction.id, partner_request_id=partner_request.id,
            application_id=partner_request.application_id, municipality_code=partner_request.municipality_code,
            organisation_id=organisation.id, organisation_name=organisation.name, country=organisation.country,
            requester=requester_contact(partner_request), candidate_contact=organisation_contact(organisation),
            answer_by=answer_by, title=LocalizedText(**partner_request.title), requester_answer_url=requester_url,
            candidate_answer_url=candidate_url, requester_answer=introduction.requester_answer,
        ), subject=str(introduction.id))
        self.db.commit()
        return 201, introduction_out(introduction, organisation, partner_request, None)

    @route("GET", "/partners/requests/<uuid:request_id>/introductions", roles=STAFF_OR_MUNICIPALITY,
           response=list[IntroductionOut], errors=(404,), scope=REQUEST)
    def list_introductions(self, request, request_id, principal):
        """The request's introductions and their answers."""
        store = self.store
        partner_request = store.partner_request(request_id)
        return [introduction_out(i, store.organisation(i.organisation_id), partner_request,
                                 store.partnership_of_introduction(i.id))
                for i in store.introductions_of(request_id)]

    @route("GET", "/partners/introductions/<uuid:introduction_id>", roles=STAFF_OR_MUNICIPALITY,
           response=IntroductionOut, errors=(404,), scope=INTRODUCTION)
    def get_introduction(self, request, introduction_id, principal):
        """One introduction; both contacts once both sides accepted."""
        store = self.store
        introduction = store.introduction(introduction_id)
        partner_request = store.partner_request(introduction.request_id)
        return introduction_out(introduction, store.organisation(introduction.organisation_id), partner_request,
                                store.partnership_of_introduction(introduction.id))

    @route("POST", "/partners/introductions/<uuid:introduction_id>/answers", roles=STAFF_OR_MUNICIPALITY,
           body=AnswerIn, response=IntroductionOut, errors=(404, 409), scope=INTRODUCTION)
    def answer_introduction(self, request, introduction_id, body: AnswerIn, principal: Principal):
        """Record one side's answer. Staff record either side (e.g. a candidate's answer by e-mail);
        the requesting municipality answers for itself. Both accepted: the partnership is established
        (partners.partnership_established) if the candidate still has free capacity."""
        store = self.store
        introduction = store.introduction(introduction_id, lock=True)
        partner_request = store.partner_request(introduction.request_id)
        side = Side(body.side)
        check_answering_side(side, is_staff=principal.is_staff,
                             is_requesting_municipality=principal.municipality_code == partner_request.municipality_code)
        partnership = self._answer(introduction, partner_request, side, Answer(body.answer))
        self.db.commit()
        return introduction_out(introduction, store.organisation(introduction.organisation_id), partner_request,
                                partnership)

    @route("GET", "/partners/answers", public=True, query=KeyIn, response=AnswerPreviewOut, errors=(404,))
    def preview_answer(self, request, query: KeyIn):
        """What the holder of an answer link is asked (no login; the key is the link's)."""
        store = self.store
        key = store.access_key(query.key, ANSWER_PURPOSE, utcnow())
        if key is None:
            raise NotFound("answer key", "given")
        introduction = store.introduction(key.subject_id)
        return self._preview(introduction, Side(key.side))

    @route("POST", "/partners/answers", public=True, body=KeyAnswerIn, response=AnswerPreviewOut,
           errors=(404, 409))
    def answer_by_key(self, request, body: KeyAnswerIn):
        """Accept or decline an introduction with the key from the e-mail's link (no login)."""
        store = self.store
        key = store.access_key(body.key, ANSWER_PURPOSE, utcnow())
        if key is None:
            raise NotFound("answer key", "given")
        introduction = store.introduction(key.subject_id, lock=True)
        partner_request = store.partner_request(introduction.request_id)
        self._answer(introduction, partner_request, Side(key.side), Answer(body.answer))
        self.db.commit()
        return self._preview(introduction, Side(key.side))

    def _answer_url(self, introduction: Introduction, side: Side, now: datetime) -> str:
        expires = datetime.combine(introduction.answer_by + timedelta(days=1), time(), tzinfo=timezone.utc)
        key = self.store.issue_key(ANSWER_PURPOSE, introduction.id, side.value, now, expires)
        return f"{self.settings.public_url.rstrip('/')}/partners/answers?key={key}"

    def _answer(self, introduction: Introduction, partner_request: PartnerRequest, side: Side,
                answer: Answer) -> Partnership | None:
        store, now = self.store, utcnow()
        state = introduction_state(introduction)
        after = apply_answer(state, side, answer, today=now.date())
        if after == state:  # the same answer again
            return store.partnership_of_introduction(introduction.id)
        introduction.status = after.status.value
        if side is Side.REQUESTER:
            introduction.requester_answer, introduction.requester_answered_at = answer.value, now
        else:
            introduction.candidate_answer, introduction.candidate_answered_at = answer.value, now
        organisation = store.organisation(introduction.organisation_id,
                                          lock=after.status is IntroductionStatus.ESTABLISHED)
        partnership = None
        if after.status is IntroductionStatus.ESTABLISHED:
            # The capacity rule holds under concurrent acceptances: the profile row is locked.
            if organisation.active_partnerships >= organisation.capacity:
                raise Conflict(f"{organisation.name} has no free partnership capacity "
                               f"({organisation.active_partnerships} of {organisation.capacity})",
                               field="answer", code="full_capacity")
            organisation.active_partnerships += 1
            organisation.partnerships_total += 1
            store.touch(organisation, now)
            partnership = Partnership(
                id=uuid.uuid4(), request_id=partner_request.id, introduction_id=introduction.id,
                organisation_id=organisation.id, municipality_code=partner_request.municipality_code,
                application_id=partner_request.application_id, country=organisation.country,
                themes=partner_request.themes, status="active", established_at=now,
                requester_name=partner_request.requester_name, requester_email=partner_request.requester_email,
                requester_language=partner_request.requester_language,
                partner_contact_name=organisation.contact_name, partner_contact_email=organisation.contact_email,
                partner_contact_language=organisation.contact_language,
            )
            store.add(partnership)
            partner_request.status = "partnered"
        self.db.emit(IntroductionAnswered(
            introduction_id=introduction.id, partner_request_id=partner_request.id,
            application_id=partner_request.application_id, organisation_id=organisation.id, side=side.value,
            answer=answer.value, both_accepted=partnership is not None,
            municipality_code=partner_request.municipality_code, organisation_name=organisation.name,
        ), subject=str(introduction.id))
        if partnership is not None:
            self.db.emit(PartnershipEstablished(
                partnership_id=partnership.id, partner_request_id=partner_request.id,
                application_id=partner_request.application_id, municipality_code=partner_request.municipality_code,
                organisation_id=organisation.id, organisation_name=organisation.name, country=organisation.country,
                requester=partnership_requester(partnership), candidate_contact=partnership_partner(partnership),
                established_at=now, title=LocalizedText(**partner_request.title), themes=partner_request.themes,
            ), subject=str(partnership.id))
        return partnership

    def _preview(self, introduction: Introduction, side: Side) -> AnswerPreviewOut:
        store = self.store
        partner_request = store.partner_request(introduction.request_id)
        organisation = store.organisation(introduction.organisation_id)
        partnership = store.partnership_of_introduction(introduction.id)
        other = None
        if partnership is not None and contacts_visible(IntroductionStatus(introduction.status)):
            other = partnership_partner(partnership) if side is Side.REQUESTER else partnership_requester(partnership)
        municipality = MUNICIPALITIES[partner_request.municipality_code]
        return AnswerPreviewOut(
            introduction_id=introduction.id, side=side.value, status=introduction.status,
            your_answer=introduction.requester_answer if side is Side.REQUESTER else introduction.candidate_answer,
            answer_by=introduction.answer_by, title=LocalizedText(**partner_request.title),
            themes=partner_request.themes, municipality_code=partner_request.municipality_code,
            municipality_name=LocalizedText(lt=municipality.name_lt, en=municipality.name_en),
            organisation_name=organisation.name, organisation_country=organisation.country,
            message=introduction.message, other_side_contact=other,
        )

    # ================================================================== partnerships
    @route("GET", "/partners/partnerships", roles=STAFF_OR_MUNICIPALITY, query=PartnershipQuery,
           response=list[PartnershipOut], scope=Tenancy.query())
    def list_partnerships(self, request, query: PartnershipQuery, principal, tenant):
        """Partnerships (a municipality sees its own), with letters of intent and visits."""
        store = self.store
        found = store.partnerships(municipality_code=tenant, request_id=query.request_id)
        return [self._partnership_out(p) for p in found]

    @route("GET", "/partners/partnerships/<uuid:partnership_id>", roles=STAFF_OR_MUNICIPALITY,
           response=PartnershipOut, errors=(404,), scope=PARTNERSHIP)
    def get_partnership(self, request, partnership_id, principal):
        """One partnership with both contacts, letters of intent and visits."""
        partnership = self.store.partnership(partnership_id)
        return self._partnership_out(partnership)

    @route("POST", "/partners/partnerships/<uuid:partnership_id>/letters-of-intent", roles=STAFF_OR_MUNICIPALITY,
           body=LetterIn, response=LetterOut, status=201, errors=(404, 409), scope=PARTNERSHIP)
    def record_letter(self, request, partnership_id, body: LetterIn, principal):
        """Record a letter of intent (partners.letter_of_intent_recorded, e.g. for the application's
        documents)."""
        store = self.store
        partnership = store.partnership(partnership_id)
        check_partnership_open(partnership.status)
        if body.signed_on < partnership.established_at.date() - timedelta(days=365):
            raise RuleViolation("a letter of intent is signed around the partnership, not years before",
                                field="signed_on")
        letter = LetterOfIntent(id=uuid.uuid4(), partnership_id=partnership.id, issued_by=body.issued_by,
                                signed_on=body.signed_on, reference=body.reference, note=body.note,
                                created_at=utcnow())
        store.add(letter)
        organisation = store.organisation(partnership.organisation_id)
        self.db.emit(LetterOfIntentRecorded(
            letter_id=letter.id, partnership_id=partnership.id, partner_request_id=partnership.request_id,
            application_id=partnership.application_id, municipality_code=partnership.municipality_code,
            organisation_id=organisation.id, organisation_name=organisation.name, issued_by=body.issued_by,
            signed_on=body.signed_on, reference=body.reference,
        ), subject=str(partnership.id))
        self.db.commit()
        return 201, LetterOut.model_validate(letter, from_attributes=True)

    @route("POST", "/partners/partnerships/<uuid:partnership_id>/visits", roles=STAFF_OR_MUNICIPALITY,
           body=VisitIn, response=VisitOut, status=201, errors=(404, 409), scope=PARTNERSHIP)
    def record_visit(self, request, partnership_id, body: VisitIn, principal):
        """Record a visit (to the partner or to Lithuania) with its participants, for the bilateral
        results report."""
        store = self.store
        partnership = store.partnership(partnership_id)
        check_visit(starts_on=body.starts_on, ends_on=body.ends_on, established_on=partnership.established_at.date(),
                    direction=VisitDirection(body.direction), country=body.country,
                    partner_country=partnership.country)
        participants = [p.model_dump(mode="json") for p in body.participants]
        visit = Visit(id=uuid.uuid4(), partnership_id=partnership.id, direction=body.direction,
                      starts_on=body.starts_on, ends_on=body.ends_on, place=body.place, country=body.country,
                      purpose=body.purpose, participants=participants, participants_count=len(participants),
                      created_at=utcnow())
        store.add(visit)
        self.db.commit()
        return 201, visit_out(visit)

    @route("POST", "/partners/partnerships/<uuid:partnership_id>/completion", roles=STAFF_OR_MUNICIPALITY,
           response=PartnershipOut, errors=(404, 409), scope=PARTNERSHIP)
    def complete_partnership(self, request, partnership_id, principal):
        """The project ended: the partnership is completed and the partner's capacity freed."""
        store = self.store
        partnership = store.partnership(partnership_id, lock=True)
        check_partnership_open(partnership.status)
        now = utcnow()
        organisation = store.organisation(partnership.organisation_id, lock=True)
        organisation.active_partnerships = max(0, organisation.active_partnerships - 1)
        store.touch(organisation, now)
        partnership.status, partnership.completed_at = "completed", now
        self.db.commit()
        return self._partnership_out(partnership)

    @route("GET", "/partners/reports/partnerships", roles=STAFF, query=ReportQuery, response=ReportOut)
    def partnership_report(self, request, query: ReportQuery, principal):
        """Bilateral results: partnerships per country and theme, visits both ways and their
        participants (anonymous counts)."""
        start = end = None
        if query.year:
            start = datetime(query.year, 1, 1, tzinfo=timezone.utc)
            end = datetime(query.year + 1, 1, 1, tzinfo=timezone.utc)
        store = self.store
        found = store.partnerships(established_from=start, established_before=end, country=query.country)
        countries = {p.id: p.country for p in found}
        report = partnership_report(
            [PartnershipFact(p.country, tuple(p.themes), p.status) for p in found],
            [VisitFact(countries[v.partnership_id], v.direction, v.participants_count)
             for v in store.visits(list(countries))],
        )
        return ReportOut(year=query.year, **report)

    def _partnership_out(self, partnership: Partnership) -> PartnershipOut:
        store = self.store
        organisation = store.organisation(partnership.organisation_id)
        return PartnershipOut(
            id=partnership.id, request_id=partnership.request_id, introduction_id=partnership.introduction_id,
            organisation_id=partnership.organisation_id, organisation_name=organisation.name,
            country=partnership.country, municipality_code=partnership.municipality_code,
            application_id=partnership.application_id, themes=partnership.themes, status=partnership.status,
            established_at=partnership.established_at, completed_at=partnership.completed_at,
            requester=partnership_requester(partnership), partner_contact=partnership_partner(partnership),
            letters_of_intent=[LetterOut.model_validate(letter, from_attributes=True)
                               for letter in store.letters(partnership.id)],
            visits=[visit_out(v) for v in store.visits([partnership.id])],
        )

    # ================================================================== timers
    @timer()
    def run_timers(self):
        """Reminders to sides that have not answered, expiry of unanswered introductions, profile
        renewal reminders. Safe with several replicas (rows are claimed, see PartnersStore)."""
        for job in (self._remind_unanswered, self._expire_unanswered, self._remind_renewals):
            for _ in range(TIMER_ROUNDS):  # a backlog drains over a few ticks, never in one endless loop
                if job() < TIMER_BATCH:
                    break

    def _remind_unanswered(self) -> int:
        store, now = self.store, utcnow()
        due = store.claim_reminders_due(now, TIMER_BATCH)
        for introduction in due:
            partner_request = store.partner_request(introduction.request_id)
            organisation = store.organisation(introduction.organisation_id)
            sides = sides_to_remind(introduction_state(introduction), reminders_sent=introduction.reminders_sent,
                                    last_contact=introduction.last_contact_at, now=now)
            introduction.reminders_sent += 1
            introduction.last_contact_at = now
            for side in sides:
                recipient = requester_contact(partner_request) if side is Side.REQUESTER \
                    else organisation_contact(organisation)
                if recipient is None:
                    continue  # nobody to remind by e-mail on that side; staff see it in the API
                self.db.emit(IntroductionReminderDue(
                    introduction_id=introduction.id, partner_request_id=partner_request.id,
                    application_id=partner_request.application_id,
                    municipality_code=partner_request.municipality_code, organisation_id=organisation.id,
                    organisation_name=organisation.name, side=side.value, recipient=recipient,
                    answer_url=self._answer_url(introduction, side, now), answer_by=introduction.answer_by,
                    reminder=introduction.reminders_sent, title=LocalizedText(**partner_request.title),
                ), subject=str(introduction.id))
        self.db.commit()
        return len(due)

    def _expire_unanswered(self) -> int:
        store, now = self.store, utcnow()
        due = store.claim_expired_introductions(now.date(), TIMER_BATCH)
        for introduction in due:
            if not expired(introduction_state(introduction), today=now.date()):
                continue
            partner_request = store.partner_request(introduction.request_id)
            organisation = store.organisation(introduction.organisation_id)
            introduction.status = IntroductionStatus.EXPIRED.value
            self.db.emit(IntroductionExpired(
                introduction_id=introduction.id, partner_request_id=partner_request.id,
                application_id=partner_request.application_id, municipality_code=partner_request.municipality_code,
                organisation_id=organisation.id, organisation_name=organisation.name,
                unanswered=[side.value for side in Side
                            if introduction_state(introduction).answer_of(side) is None],
            ), subject=str(introduction.id))
        self.db.commit()
        return len(due)

    def _remind_renewals(self) -> int:
        store, now = self.store, utcnow()
        due = store.claim_renewals_due(now, TIMER_BATCH)
        for organisation in due:
            if not renewal_due(expires_at=organisation.expires_at, reminded_for=organisation.renewal_reminded_for,
                               now=now):
                continue
            organisation.renewal_reminded_for = organisation.expires_at
            contact = organisation_contact(organisation)
            key = store.issue_key(RENEWAL_PURPOSE, organisation.id, None, now,
                                  organisation.expires_at + RENEWAL_KEY_GRACE)
            self.db.emit(ProfileRenewalDue(
                organisation_id=organisation.id, name=organisation.name, country=organisation.country,
                contact=contact, expires_at=organisation.expires_at,
                renew_url=f"{self.settings.public_url.rstrip('/')}/partners/renewals?key={key}",
            ), subject=str(organisation.id))
        self.db.commit()
        return len(due)

    # ================================================================== privacy
    @subscribe("privacy.erasure_requested")
    def on_erasure_requested(self, event: ErasureRequested, envelope: Envelope):
        """Erase or pseudonymise every personal field held for the address; publish what was removed
        (counts only)."""
        removed = erase_person(self.db.session, event.email)
        self.db.emit(PartnersPersonErased(request_id=event.request_id, removed=removed),
                     subject=str(event.request_id))


# ---------------------------------------------------------------- conversions

def introduction_state(introduction: Introduction) -> IntroductionState:
    return IntroductionState(
        status=IntroductionStatus(introduction.status),
        requester_answer=Answer(introduction.requester_answer) if introduction.requester_answer else None,
        candidate_answer=Answer(introduction.candidate_answer) if introduction.candidate_answer else None,
        answer_by=introduction.answer_by,
    )


def requester_columns(contact: Contact | None) -> dict:
    if contact is None:
        return {"requester_name": None, "requester_email": None, "requester_language": "lt"}
    return {"requester_name": contact.name, "requester_email": contact.email, "requester_language": contact.language}


def requester_contact(partner_request: PartnerRequest) -> Contact | None:
    if not partner_request.requester_email:
        return None
    return Contact(name=partner_request.requester_name or partner_request.requester_email,
                   email=partner_request.requester_email, language=partner_request.requester_language,
                   organisation=MUNICIPALITIES[partner_request.municipality_code].name_lt)


def organisation_contact(organisation: Organisation) -> Contact | None:
    if not organisation.contact_email:
        return None
    return Contact(name=organisation.contact_name or organisation.name, email=organisation.contact_email,
                   language=organisation.contact_language, organisation=organisation.name)


def partnership_requester(partnership: Partnership) -> Contact | None:
    if not partnership.requester_email:
        return None
    return Contact(name=partnership.requester_name or partnership.requester_email, email=partnership.requester_email,
                   language=partnership.requester_language,
                   organisation=MUNICIPALITIES[partnership.municipality_code].name_lt)


def partnership_partner(partnership: Partnership) -> Contact | None:
    if not partnership.partner_contact_email:
        return None
    return Contact(name=partnership.partner_contact_name or partnership.partner_contact_email,
                   email=partnership.partner_contact_email, language=partnership.partner_contact_language)


def organisation_out(organisation: Organisation, principal: Principal | None) -> OrganisationOut:
    sees_contact = principal is not None and (
        principal.is_staff or (organisation.municipality_code is not None
                               and principal.municipality_code == organisation.municipality_code))
    values = {c.name: getattr(organisation, c.name) for c in Organisation.__table__.columns}
    if not sees_contact:
        values.update(contact_name=None, contact_email=None)
    now = utcnow()
    values.update(expired=organisation.expires_at <= now,
                  free_capacity=max(0, organisation.capacity - organisation.active_partnerships))
    return OrganisationOut.model_validate(values)


def candidate_out(candidate: matching.Candidate) -> CandidateOut:
    profile = candidate.profile
    return CandidateOut(rank=candidate.rank, organisation_id=profile.id, name=profile.name, country=profile.country,
                        organisation_type=profile.organisation_type, score=candidate.score,
                        components=candidate.components)


def request_out(partner_request: PartnerRequest) -> PartnerRequestOut:
    return PartnerRequestOut(
        id=partner_request.id, municipality_code=partner_request.municipality_code,
        title=LocalizedText(**partner_request.title), themes=partner_request.themes,
        countries=partner_request.countries, organisation_types=partner_request.organisation_types,
        languages=partner_request.languages, preferred_size=partner_request.preferred_size,
        deadline=partner_request.deadline, requester=requester_contact(partner_request),
        application_id=partner_request.application_id, call_code=partner_request.call_code,
        status=partner_request.status, source=partner_request.source,
        proposal=[CandidateOut(**c) for c in partner_request.last_proposal or []],
        proposed_at=partner_request.proposed_at, created_at=partner_request.created_at,
    )


def introduction_out(introduction: Introduction, organisation: Organisation, partner_request: PartnerRequest,
                     partnership: Partnership | None) -> IntroductionOut:
    visible = partnership is not None and contacts_visible(IntroductionStatus(introduction.status))
    return IntroductionOut(
        id=introduction.id, request_id=introduction.request_id, organisation_id=organisation.id,
        organisation_name=organisation.name, country=organisation.country,
        municipality_code=partner_request.municipality_code, status=introduction.status,
        requester_answer=introduction.requester_answer, candidate_answer=introduction.candidate_answer,
        answer_by=introduction.answer_by, reminders_sent=introduction.reminders_sent, message=introduction.message,
        created_at=introduction.created_at, partnership_id=partnership.id if partnership else None,
        requester=partnership_requester(partnership) if visible else None,
        candidate_contact=partnership_partner(partnership) if visible else None,
    )


def visit_out(visit: Visit) -> VisitOut:
    return VisitOut(id=visit.id, partnership_id=visit.partnership_id, direction=visit.direction,
                    starts_on=visit.starts_on, ends_on=visit.ends_on, place=visit.place, country=visit.country,
                    purpose=visit.purpose, participants=visit.participants,
                    participants_count=visit.participants_count, created_at=visit.created_at)

