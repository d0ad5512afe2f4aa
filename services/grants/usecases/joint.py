"""Joint applications (domain/joint.py): the lead municipality (or the centre) sets the partnership
(the lead's part and each partner municipality's budget share and own contribution), each partner
answers for its own part (confirmed or declined), submission waits for every confirmation, and the
reports count each municipality's share. Each change publishes a grants.joint_partner_* event:
notifications tells the partner municipality's EU-projects coordinator of its part, the lead's
contact and consultant of the partner's answer."""

from __future__ import annotations

import uuid

from services.grants.domain import joint as rules
from services.grants.domain.joint import Answer, Part, PartnershipState
from services.grants.domain.reports import ApplicationFacts
from services.grants.domain.rules import eligible_municipalities
from services.grants.joint_repository import JointRepository
from services.grants.joint_schemas import PartnerAnswerIn, PartnershipIn, PartnershipOut, PartOut
from services.grants.models import Application, FundingCall, JointPart
from services.grants.usecases import repository
from services.grants.views import application_event_fields
from shared.errors import RuleViolation
from shared.events.grants import (
    JointPartnerAdded,
    JointPartnerChanged,
    JointPartnerConfirmed,
    JointPartnerDeclined,
    JointPartnerRemoved,
)
from shared.persistence.schema import utcnow
from shared.persistence.unit_of_work import UnitOfWork
from shared.reference import MUNICIPALITIES


def joint_repository(uow: UnitOfWork) -> JointRepository:
    return JointRepository(uow.session)


def _part(row: JointPart) -> Part:
    return Part(row.municipality_code, row.budget_share_eur, row.own_contribution_eur)


def state_of(rows: list[JointPart]) -> PartnershipState | None:
    lead = next((r for r in rows if r.role == "lead"), None)
    if lead is None:
        return None
    partners = [r for r in rows if r.role == "partner"]
    return PartnershipState(_part(lead), tuple(_part(r) for r in partners),
                            {r.municipality_code: r.answer for r in partners})


def _viewer(principal) -> str | None:
    """The municipality a principal sees for (None: the centre)."""
    return principal.municipality_code if principal is not None and principal.role == "municipality" else None


def view(application: Application, call: FundingCall, rows: list[JointPart], viewer: str | None) -> PartnershipOut:
    """The lead and the centre see every part; a partner municipality its own part only."""
    full = viewer is None or viewer == application.municipality_code
    state = state_of(rows)
    joint = state is not None and bool(state.partners)
    shown = rows if full else [r for r in rows if r.municipality_code == viewer]
    parts = [PartOut(
        municipality_code=r.municipality_code, municipality_name=MUNICIPALITIES[r.municipality_code].name_lt,
        role=r.role, budget_share_eur=r.budget_share_eur, own_contribution_eur=r.own_contribution_eur,
        grant_share_eur=r.budget_share_eur - r.own_contribution_eur,
        min_own_contribution_eur=rules.min_own_contribution(r.budget_share_eur, call.max_funding_rate),
        answer=r.answer, answered_at=r.answered_at, answered_by=r.answered_by, answer_note=r.answer_note)
        for r in shown]
    balanced = waiting = ready = None
    if full and joint:
        balanced = rules.balanced(state, application.total_eligible_cost_eur, application.own_contribution_eur)
        waiting = [p.municipality_code for p in state.partners if state.answers[p.municipality_code] != "confirmed"]
        try:
            rules.check_ready_to_submit(state, total_eligible_cost_eur=application.total_eligible_cost_eur,
                                        own_contribution_eur=application.own_contribution_eur,
                                        max_funding_rate=call.max_funding_rate)
            ready = True
        except RuleViolation:
            ready = False
    return PartnershipOut(
        application_id=application.id, status=application.status,
        lead_municipality_code=application.municipality_code,
        municipality_codes=[application.municipality_code] + [r.municipality_code for r in rows if r.role == "partner"],
        joint=joint, editable=application.status in {s.value for s in rules.PREPARATION},
        total_eligible_cost_eur=application.total_eligible_cost_eur,
        requested_grant_eur=application.requested_grant_eur, own_contribution_eur=application.own_contribution_eur,
        parts=parts, balanced=balanced, waiting_for=waiting, ready_to_submit=ready)


def _event_fields(application: Application, call: FundingCall, rows: list[JointPart], row: JointPart) -> dict:
    return dict(
        **application_event_fields(application, call), partner_municipality_code=row.municipality_code,
        municipality_codes=[application.municipality_code] + [r.municipality_code for r in rows
                                                              if r.role == "partner"],
        budget_share_eur=row.budget_share_eur, own_contribution_eur=row.own_contribution_eur,
        grant_share_eur=row.budget_share_eur - row.own_contribution_eur, answer=row.answer or "pending",
        total_eligible_cost_eur=application.total_eligible_cost_eur)


def get_partnership(uow: UnitOfWork, application_id: uuid.UUID, principal) -> PartnershipOut:
    repo = repository(uow)
    application = repo.application(application_id)
    return view(application, repo.call(application.call_id), joint_repository(uow).parts(application_id),
                _viewer(principal))


def set_partnership(uow: UnitOfWork, application_id: uuid.UUID, body: PartnershipIn, principal) -> PartnershipOut:
    """Replace the partnership (the lead or the centre: the route's tenancy). Partners whose
    figures did not change keep their answer; new ones and changed ones are asked (pending)."""
    repo, joints = repository(uow), joint_repository(uow)
    application = repo.application(application_id, lock=True)  # serialises changes and answers
    call = repo.call(application.call_id)
    if body.partners and body.lead is None:
        rules.check_preparation(application.status)
        raise RuleViolation("a joint application needs the lead's part too", field="lead")
    lead = Part(application.municipality_code,
                body.lead.budget_share_eur if body.lead else application.total_eligible_cost_eur,
                body.lead.own_contribution_eur if body.lead else application.own_contribution_eur)
    partners = [Part(p.municipality_code, p.budget_share_eur, p.own_contribution_eur) for p in body.partners]
    rules.check_partnership(status=application.status, lead=lead, partners=partners,
                            total_eligible_cost_eur=application.total_eligible_cost_eur,
                            own_contribution_eur=application.own_contribution_eur,
                            max_funding_rate=call.max_funding_rate,
                            eligible=set(eligible_municipalities(call.eligible_applicant_types, call.eligible_regions)))
    before = {r.municipality_code: r for r in joints.parts(application.id)}
    previous = {code: (_part(r), r.answer, r.answered_at, r.answered_by, r.answer_note)
                for code, r in before.items() if r.role == "partner"}
    now = utcnow()
    rows: list[JointPart] = []
    if partners:
        rows.append(JointPart(application_id=application.id, municipality_code=lead.municipality_code, role="lead",
                              position=0, budget_share_eur=lead.budget_share_eur,
                              own_contribution_eur=lead.own_contribution_eur, updated_at=now))
    for position, part in enumerate(partners, start=1):
        old = previous.get(part.municipality_code)
        answer = rules.answer_after_change(old[0] if old else None, part, old[1] if old else None)
        kept = old is not None and answer == old[1]
        rows.append(JointPart(
            application_id=application.id, municipality_code=part.municipality_code, role="partner",
            position=position, budget_share_eur=part.budget_share_eur,
            own_contribution_eur=part.own_contribution_eur, answer=answer,
            answered_at=old[2] if kept else None, answered_by=old[3] if kept else None,
            answer_note=old[4] if kept else None,
            updated_at=before[part.municipality_code].updated_at if kept and old[0] == part else now))
    for row in before.values():  # replaced below: the stored rows leave the session first
        uow.session.expunge(row)
    joints.replace(application.id, rows)
    application.updated_at = now
    current = {r.municipality_code: r for r in rows if r.role == "partner"}
    for code, row in current.items():
        old = previous.get(code)
        if old is None:
            uow.emit(JointPartnerAdded(**_event_fields(application, call, rows, row)), subject=str(application.id))
        elif old[0] != _part(row):
            uow.emit(JointPartnerChanged(**_event_fields(application, call, rows, row),
                                         previous_budget_share_eur=old[0].budget_share_eur,
                                         previous_own_contribution_eur=old[0].own_contribution_eur),
                     subject=str(application.id))
    for code, old in previous.items():
        if code not in current:
            gone = JointPart(municipality_code=code, role="partner", budget_share_eur=old[0].budget_share_eur,
                             own_contribution_eur=old[0].own_contribution_eur, answer=old[1])
            uow.emit(JointPartnerRemoved(**_event_fields(application, call, rows, gone)), subject=str(application.id))
    uow.commit()
    return view(application, call, rows, _viewer(principal))


def answer_part(uow: UnitOfWork, application_id: uuid.UUID, municipality_code: str, body: PartnerAnswerIn,
                principal) -> PartnershipOut:
    """A partner municipality (or the centre on its behalf) confirms its part, naming the figures
    it confirms, or declines it (the route's tenancy: a municipality answers only for itself)."""
    repo, joints = repository(uow), joint_repository(uow)
    application = repo.application(application_id, lock=True)
    call = repo.call(application.call_id)
    row = joints.part(application.id, municipality_code)
    rules.check_answer(status=application.status, part=_part(row), current_answer=row.answer, answer=body.answer,
                       budget_share_eur=body.budget_share_eur, own_contribution_eur=body.own_contribution_eur)
    now = utcnow()
    row.answer, row.answered_at, row.answered_by, row.answer_note = body.answer, now, principal.subject, body.note
    row.updated_at = application.updated_at = now
    rows = joints.parts(application.id)
    event = JointPartnerConfirmed if body.answer == Answer.CONFIRMED.value else JointPartnerDeclined
    uow.emit(event(**_event_fields(application, call, rows, row), note=body.note), subject=str(application.id))
    uow.commit()
    return view(application, call, rows, _viewer(principal))


# ---------------------------------------------------------------- used by the other use cases

def check_submission(uow: UnitOfWork, application: Application, call: FundingCall) -> None:
    """Submission of a joint application waits for the parts to add up and every partner's
    confirmation (422 naming `partnership`)."""
    rules.check_ready_to_submit(state_of(joint_repository(uow).parts(application.id)),
                                total_eligible_cost_eur=application.total_eligible_cost_eur,
                                own_contribution_eur=application.own_contribution_eur,
                                max_funding_rate=call.max_funding_rate)


def report_facts(uow: UnitOfWork, rows: list[tuple[Application, ApplicationFacts]], group_by: str,
                 visible: str | None) -> tuple[list[ApplicationFacts], list[ApplicationFacts]]:
    """The facts the report groups and the facts its totals add, with joint applications counted
    as each municipality's share: for one municipality (`visible`), its own share only, in rows and
    totals; for the centre grouped by municipality, each municipality's share in its row (the
    totals keep each application whole); otherwise whole."""
    parts = joint_repository(uow).all_parts()
    grouped, totals = [], []
    for application, facts in rows:
        own = [p for p in parts.get(application.id, []) if p.role in ("lead", "partner")]
        if len(own) < 2:
            grouped.append(facts)
            totals.append(facts)
            continue
        shares = rules.shares_of(facts, [_part(p) for p in own])
        if visible is not None:
            mine = [s for s in shares if s.municipality_code == visible]
            grouped += mine
            totals += mine
        elif group_by == "municipality":
            grouped += shares
            totals.append(facts)
        else:
            grouped.append(facts)
            totals.append(facts)
    return grouped, totals


def erase_answers(uow: UnitOfWork, spellings: set[str], pseudonym: str) -> dict[str, int]:
    return {"joint_answers": joint_repository(uow).pseudonymise_answers(spellings, pseudonym)}
