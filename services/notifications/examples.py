"""An example event for every template: the preview endpoint renders them, and a test renders
every template in both languages with them."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from shared.events import enrollment as E
from shared.events import grants as G
from shared.events import partners as P
from shared.events.enrollment import EnrollmentConfirmed, EnrollmentWaitlisted
from shared.events.grants import CallPublished, PartnerRequested
from shared.events.partners import Candidate, IntroductionSent, MatchesProposed, PartnershipEstablished
from shared.events.types import Contact, LocalizedText, Person

_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")


def _soon(days: int) -> datetime:
    return (datetime.now(timezone.utc) + timedelta(days=days)).replace(hour=7, minute=0, second=0, microsecond=0)


def _invoice_fields() -> dict:
    return dict(invoice_id=_ID, number="SAV-SF-2026-0007", version=1, session_id=_ID, course_id=_ID,
                course_title=_course(), starts_at=_soon(12), ends_at=_soon(12) + timedelta(hours=6),
                municipality_code="15", participants=3, unit_price_eur=Decimal("15.00"), amount_eur=Decimal("45.00"),
                status="issued", due_on=(_soon(30)).date(), invoice_cutoff_at=_soon(10),
                pdf_url="https://savivalda.example/enrollment/invoices/1/abc/invoice.pdf")


def _course() -> LocalizedText:
    return LocalizedText(lt="Strateginis planavimas savivaldybėje", en="Strategic planning in a municipality")


def _person() -> Person:
    return Person(name="Rūta Petrauskienė", email="ruta.petrauskiene@example.lt", municipality_code="15",
                  position="vyriausioji specialistė", language="lt")


def _consultant() -> Contact:
    return Contact(name="Tomas Kazlauskas", email="tomas.kazlauskas@example.lt", language="lt",
                   organisation="LSA mokymo ir konsultavimo centras")


def _norway() -> Contact:
    return Contact(name="Ingrid Haugen", email="ingrid.haugen@example.no", language="en",
                   organisation="Vestland fylkeskommune")


def _participant_fields() -> dict:
    return dict(enrollment_id=_ID, session_id=_ID, course_id=_ID, course_title=_course(), starts_at=_soon(12),
                ends_at=_soon(12) + timedelta(hours=6), venue="Kaunas, Laisvės al. 96", attendance_mode="in_person",
                participant=_person(), manage_url="https://savivalda.example/enrollment/manage/abc",
                calendar_url="https://savivalda.example/enrollment/sessions/1/calendar.ics")


def _certificate_fields() -> dict:
    return dict(_participant_fields(), certificate_id=_ID, number="SAV-2026-00042",
                verify_url="https://savivalda.example/enrollment/certificates/verify/SAV-2026-00042")


def _application_fields() -> dict:
    return dict(application_id=_ID, call_id=_ID, call_code="LT10-2027-01",
                call_title=LocalizedText(lt="Savivaldybių gebėjimų stiprinimas", en="Capacity building of municipalities"),
                funder="EEA and Norway Grants", municipality_code="15",
                title=LocalizedText(lt="Viešųjų paslaugų kokybė", en="Quality of public services"),
                contact=Contact(name="Rūta Petrauskienė", email="ruta@kaunas.lt", language="lt"),
                consultant=_consultant())


def _engagement_fields(status: str) -> dict:
    """An organisation development study for Kaunas city and Alytus city (seed 000)."""
    return dict(engagement_id=_ID, municipality_code="15", municipality_codes=["15", "02"],
                theme="public_service_quality", title="Organizacijos plėtros studija / organisation development study",
                status=status, contact=Contact(name="Rūta Petrauskienė", email="ruta@kaunas.lt", language="lt"),
                consultant=_consultant())


def _joint_fields(answer: str) -> dict:
    """Kaunas city leads a joint application with Alytus city (seed 003: projects for groups of
    municipalities); Alytus' part of 100,000: 40,000 with 6,000 of its own."""
    return dict(_application_fields(), partner_municipality_code="02", municipality_codes=["15", "02"],
                budget_share_eur=Decimal("40000"), own_contribution_eur=Decimal("6000"),
                grant_share_eur=Decimal("34000"), answer=answer, total_eligible_cost_eur=Decimal("100000"))


def _working_group_fields() -> dict:
    return dict(group_id=_ID, group_name=LocalizedText(lt="Vietos savivaldos įstatymo pakeitimų darbo grupė",
                                                       en="Working group on amending the Law on Local Self-Government"),
                member_id=_ID, member=_person(), role="chair", meeting_id=_ID, starts_at=_soon(10),
                ends_at=_soon(10) + timedelta(hours=3), venue="Vilnius, Totorių g. 27",
                online_url="https://meet.example/wg-law")


def _more_examples():
    today = date.today()
    return {
        "enrollment_promoted": lambda: E.EnrollmentPromoted(**_participant_fields(), fee_eur=Decimal("15"),
                                                            cause="seat_freed"),
        "waitlist_offer_made": lambda: E.WaitlistOfferMade(**_participant_fields(), fee_eur=Decimal("0"),
                                                           expires_at=_soon(2)),
        "waitlist_offer_expired": lambda: E.WaitlistOfferExpired(**_participant_fields(), expired_at=_soon(0)),
        "enrollment_cancelled": lambda: E.EnrollmentCancelled(**_participant_fields(), reason="session_cancelled",
                                                              previous_status="confirmed",
                                                              detail="lektorius susirgo / the trainer fell ill"),
        "trainer_session_notice": lambda: E.TrainerSessionNotice(
            trainer_id=_ID, trainer=_consultant(), notice="changed", session_id=_ID, course_id=_ID,
            course_title=_course(), starts_at=_soon(14), ends_at=_soon(14) + timedelta(hours=6), region="KU",
            venue="Kaunas, Savanorių pr. 1", changed=["starts_at", "ends_at", "venue"],
            previous=E.SessionPlace(starts_at=_soon(12), ends_at=_soon(12) + timedelta(hours=6),
                                    venue="Kaunas, Laisvės al. 96", region="KU"),
            confirmed=14, calendar_url="https://savivalda.example/enrollment/sessions/1/calendar.ics",
            calendar_sequence=2),
        "working_group_meeting_scheduled": lambda: E.WorkingGroupMeetingScheduled(
            **_working_group_fields(), agenda=["Vietos savivaldos įstatymo 15 str. pakeitimai / amendments to art. 15",
                                               "Kitas posėdis / next meeting"],
            calendar_url="https://savivalda.example/enrollment/working-group-meetings/1/members/1/abc/calendar.ics"),
        "working_group_meeting_cancelled": lambda: E.WorkingGroupMeetingCancelled(
            **_working_group_fields(), reason="pirmininkė serga / the chair is ill",
            calendar_url="https://savivalda.example/enrollment/working-group-meetings/1/members/1/abc/calendar.ics"),
        "working_group_minutes_published": lambda: E.WorkingGroupMinutesPublished(
            **_working_group_fields(), present=True,
            minutes="1. Pritarta 15 str. pakeitimų projektui.\n2. Kitas posėdis – po mėnesio.",
            proposals=[LocalizedText(lt="Vietos savivaldos įstatymo 15 str. pakeitimas",
                                     en="Amendment to article 15 of the Law on Local Self-Government")]),
        "session_below_minimum": lambda: E.SessionBelowMinimum(
            session_id=_ID, course_id=_ID, course_title=_course(), starts_at=_soon(12),
            ends_at=_soon(12) + timedelta(hours=6), region="KU", venue="Kaunas, Laisvės al. 96", go_no_go_at=_soon(0),
            confirmed=3, min_participants=8, waitlisted=0, outcome="awaiting_decision",
            coordinator=Contact(name="Rūta Petrauskienė", email="ruta.petrauskiene@example.lt", language="lt"),
            session_url="https://savivalda.example/enrollment/sessions/1",
            confirm_url="https://savivalda.example/enrollment/sessions/1/confirm",
            cancel_url="https://savivalda.example/enrollment/sessions/1/cancel"),
        "session_changed": lambda: E.SessionChanged(
            **dict(_participant_fields(), venue=None, attendance_mode="in_person",
                   online_url="https://meet.example.lt/strateginis"),
            enrollment_status="confirmed", changed=["starts_at", "ends_at", "venue"],
            previous=E.SessionPlace(starts_at=_soon(10), ends_at=_soon(10) + timedelta(hours=6),
                                    venue="Kaunas, Laisvės al. 96", region="KU"),
            fee_eur=Decimal("15"), calendar_sequence=2, mode_available=False, alternative_mode="online"),
        "session_reminder_due": lambda: E.SessionReminderDue(**_participant_fields(), fee_eur=Decimal("15"),
                                                             hours_before=24),
        "feedback_requested": lambda: E.FeedbackRequested(
            **_participant_fields(), feedback_url="https://savivalda.example/enrollment/self-service/1/abc/feedback",
            closes_at=_soon(30), questions=5),
        "invoice_issued": lambda: E.InvoiceIssued(**_invoice_fields()),
        "invoice_revised": lambda: E.InvoiceRevised(**{**_invoice_fields(), "version": 2, "participants": 2,
                                                       "amount_eur": Decimal("30.00")},
                                                    previous_participants=3, previous_amount_eur=Decimal("45.00")),
        "invoice_waived": lambda: E.InvoiceWaived(**{**_invoice_fields(), "status": "waived"},
                                                  reason="Bandomieji mokymai / a pilot session"),
        "certificate_issued": lambda: E.CertificateIssued(**_certificate_fields(), verification_code="7K3Q-9XPM",
                                                          hours=Decimal("6"), issued_at=_soon(0),
                                                          valid_until=_soon(3 * 365)),
        "learning_recorded": lambda: E.LearningRecorded(
            completion_id=_ID, learning_system="moodle.lsa.lt", course_title=_course(), course_id=_ID,
            themes=["strategic_planning"], hours=Decimal("8"), completed_at=_soon(0), participant=_person(),
            certificate_id=_ID, number="SAV-2026-00043", verification_code="7K3Q-9XPM-2B",
            verify_url="https://savivalda.example/enrollment/certificates/verify?number=SAV-2026-00043",
            valid_until=_soon(2 * 365)),
        "certificate_revoked": lambda: E.CertificateRevoked(**_certificate_fields(), revoked_at=_soon(0)),
        "certificate_expiring": lambda: E.CertificateExpiring(**_certificate_fields(), valid_until=_soon(30),
                                                              days_left=30),
        "application_created": lambda: G.ApplicationCreated(
            **_application_fields(), status="idea", themes=["public_service_quality"],
            total_eligible_cost_eur=Decimal("300000"), requested_grant_eur=Decimal("255000"),
            own_contribution_eur=Decimal("45000"), internal_deadline=today + timedelta(days=30),
            official_deadline=today + timedelta(days=40), foreign_partner_required=True),
        "application_status_changed": lambda: G.ApplicationStatusChanged(
            **_application_fields(), from_status="drafting", to_status="internal_review",
            changed_at=datetime.now(timezone.utc), note="biudžetas suderintas"),
        "application_decided": lambda: G.ApplicationDecided(
            **_application_fields(), outcome="awarded", requested_grant_eur=Decimal("255000"),
            awarded_grant_eur=Decimal("183304"), decided_on=today, reference="LT10-0019",
            reasons=LocalizedText(lt="Atitinka programos tikslus", en="Meets the programme's aims")),
        "joint_partner_added": lambda: G.JointPartnerAdded(**_joint_fields("pending")),
        "joint_partner_changed": lambda: G.JointPartnerChanged(
            **_joint_fields("pending"), previous_budget_share_eur=Decimal("30000"),
            previous_own_contribution_eur=Decimal("4500")),
        "joint_partner_removed": lambda: G.JointPartnerRemoved(**_joint_fields("pending")),
        "joint_partner_confirmed": lambda: G.JointPartnerConfirmed(
            **_joint_fields("confirmed"), note="Tarybos sprendimas Nr. T-12 / council decision T-12"),
        "joint_partner_declined": lambda: G.JointPartnerDeclined(
            **_joint_fields("declined"), note="Nėra lėšų / no funds this year"),
        "consultant_assigned": lambda: G.ConsultantAssigned(
            **_application_fields(), status="drafting",
            application_summary=LocalizedText(lt="Elektroninių paslaugų diegimas ir darbuotojų mokymai",
                                  en="E-services and staff training"),
            previous_consultant=Contact(name="Jonas Jonaitis", email="jonas.jonaitis@example.lt", language="lt"),
            assigned_on=today, next_deadline=today + timedelta(days=12), next_deadline_kind="internal",
            application_url=f"https://savivalda.example/grants/applications/{_ID}"),
        "consultation_follow_up_due": lambda: G.ConsultationFollowUpDue(
            **_application_fields(), status="drafting", consultation_id=_ID, held_on=today - timedelta(days=14),
            channel="meeting", consultation_summary="Biudžeto peržiūra / budget walk-through",
            next_steps="Paklausti tarybos dėl nuosavo įnašo / ask the council for the own contribution",
            follow_up_on=today, application_url=f"https://savivalda.example/grants/applications/{_ID}"),
        "document_waived": lambda: G.DocumentWaived(
            **_application_fields(), document_code="partnership_letter",
            document_title=LocalizedText(lt="Partnerystės raštas", en="Letter of partnership"),
            reason="kvietimas partnerio nereikalauja / the call needs no partner", waived_by="tomas.kazlauskas@lsa.lt"),
        "document_uploaded": lambda: G.DocumentUploaded(
            **_application_fields(), document_id=_ID, checklist_code="budget",
            document_title=LocalizedText(lt="Biudžetas", en="Budget"), checklist_status="ready",
            file_type="XLSX", content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            size_bytes=48213, version=2, uploaded_by="ruta@kaunas.lt"),
        "final_report_filed": lambda: G.FinalReportFiled(
            **_application_fields(), initial_cost_eur=Decimal("100000"), final_cost_eur=Decimal("92000"),
            awarded_grant_eur=Decimal("80000"), final_grant_eur=Decimal("78200"), grant_reduction_eur=Decimal("1800"),
            max_funding_rate=Decimal("0.85"), completed_on=today),
        "implementation_planned": lambda: G.ImplementationPlanned(
            **_application_fields(), starts_on=today, ends_on=today + timedelta(days=365),
            contract_total_eur=Decimal("100000"), contract_grant_eur=Decimal("80000"),
            reports=[G.PlannedReportDeadline(report_id=_ID, kind="interim", due_on=today + timedelta(days=180)),
                     G.PlannedReportDeadline(report_id=_ID, kind="final", due_on=today + timedelta(days=395))]),
        "reporting_deadline_approaching": lambda: G.ReportingDeadlineApproaching(
            **_application_fields(), report_id=_ID, report_kind="interim", due_on=today + timedelta(days=7),
            days_left=7, reminder_days=7),
        "project_report_submitted": lambda: G.ProjectReportSubmitted(
            **_application_fields(), report_id=_ID, report_kind="interim", due_on=today, submitted_on=today,
            late=False),
        "payment_claim_changed": lambda: G.PaymentClaimChanged(
            **_application_fields(), claim_id=_ID, number=1, status="approved", amount_eur=Decimal("42500"),
            eligible_costs_eur=Decimal("50000"), approved_amount_eur=Decimal("40000"), on=today,
            claimed_total_eur=Decimal("40000"), paid_total_eur=Decimal("0"), contract_grant_eur=Decimal("80000")),
        "project_amended": lambda: G.ProjectAmended(
            **_application_fields(),
            before=G.ContractTermsData(total_eligible_cost_eur=Decimal("100000"), grant_eur=Decimal("80000"),
                                       ends_on=today + timedelta(days=300)),
            after=G.ContractTermsData(total_eligible_cost_eur=Decimal("90000"), grant_eur=Decimal("76500"),
                                      ends_on=today + timedelta(days=360)),
            reason="rangos konkursas pigesnis / the tender came in lower", reference="AM-1"),
        "engagement_agreed": lambda: G.EngagementAgreed(
            **_engagement_fields("agreed"), scope="Organizacinės struktūros ir procesų analizė / structure and "
            "process review", agreed_on=today,
            deliverables=[G.DeliverableData(deliverable_id=_ID, title="Analizės ataskaita / study report",
                                            due_on=today + timedelta(days=60))]),
        "engagement_consultant_assigned": lambda: G.EngagementConsultantAssigned(
            **_engagement_fields("in_progress"),
            previous_consultant=Contact(name="Jonas Jonaitis", email="jonas.jonaitis@example.lt", language="lt")),
        "engagement_declined": lambda: G.EngagementDeclined(
            **_engagement_fields("declined"), reason="centras neturi laisvų konsultantų / no consultant is free",
            declined_on=today),
        "engagement_deliverable_due": lambda: G.EngagementDeliverableDue(
            **_engagement_fields("in_progress"),
            deliverable=G.DeliverableData(deliverable_id=_ID, title="Analizės ataskaita / study report",
                                          due_on=today + timedelta(days=7)), days_left=7, reminder_days=7),
        "engagement_closed": lambda: G.EngagementClosed(
            **_engagement_fields("closed"), outcome="partly_achieved",
            outcome_summary="Pateiktos rekomendacijos / recommendations delivered", closed_on=today,
            deliverables=[G.DeliverableData(deliverable_id=_ID, title="Analizės ataskaita / study report",
                                            due_on=today - timedelta(days=3), delivered_on=today - timedelta(days=1))],
            late_deliverables=1),
        "call_deadline_approaching": lambda: G.CallDeadlineApproaching(
            **_application_fields(), status="drafting", deadline_kind="official", deadline=today + timedelta(days=7),
            days_left=7, reminder_days=7),
        "introduction_reminder_due": lambda: P.IntroductionReminderDue(
            introduction_id=_ID, partner_request_id=_ID, municipality_code="15", organisation_id=_ID,
            organisation_name="Vestland fylkeskommune", side="candidate", recipient=_norway(),
            answer_url="https://savivalda.example/partners/answer/xyz", answer_by=today + timedelta(days=5),
            reminder=1, title=LocalizedText(lt="Viešųjų paslaugų kokybė", en="Quality of public services")),
        "introduction_declined": lambda: P.IntroductionDeclined(
            introduction_id=_ID, partner_request_id=_ID, municipality_code="15", organisation_id=_ID,
            organisation_name="Vestland fylkeskommune", country="NO", declined_by="candidate",
            title=LocalizedText(lt="Viešųjų paslaugų kokybė", en="Quality of public services"),
            requester=_consultant(), choose_url="https://savivalda.example/partners/choices?key=requester"),
        "introduction_expired": lambda: P.IntroductionExpired(
            introduction_id=_ID, partner_request_id=_ID, municipality_code="15", organisation_id=_ID,
            organisation_name="Vestland fylkeskommune", unanswered=["candidate"],
            choose_url="https://savivalda.example/partners/choices?key=coordinator"),
        "profile_renewal_due": lambda: P.ProfileRenewalDue(
            organisation_id=_ID, name="Vestland fylkeskommune", country="NO", contact=_norway(),
            expires_at=_soon(14), renew_url="https://savivalda.example/partners/renew/xyz"),
        "letter_of_intent_recorded": lambda: P.LetterOfIntentRecorded(
            letter_id=_ID, partnership_id=_ID, partner_request_id=_ID, municipality_code="15", organisation_id=_ID,
            organisation_name="Vestland fylkeskommune", issued_by="partner", signed_on=today, reference="LOI-2027-3"),
    }


def example_event(template: str):
    more = _more_examples()
    if template in more:
        return more[template]()
    if template == "enrollment_confirmed":
        return EnrollmentConfirmed(enrollment_id=_ID, session_id=_ID, course_id=_ID, course_title=_course(),
                                   starts_at=_soon(12), ends_at=_soon(12) + timedelta(hours=6),
                                   venue="Kaunas, Laisvės al. 96", fee_eur=Decimal("15.00"), participant=_person())
    if template == "enrollment_waitlisted":
        return EnrollmentWaitlisted(enrollment_id=_ID, session_id=_ID, course_id=_ID, course_title=_course(),
                                    starts_at=_soon(12), position=3, participant=_person())
    if template == "call_published":
        return CallPublished(call_id=_ID, code="LT10-2027-01", funder="EEA and Norway Grants",
                             title=LocalizedText(lt="Savivaldybių gebėjimų stiprinimas",
                                                 en="Capacity building of municipalities"),
                             themes=["public_service_quality", "international_cooperation"],
                             eligible_applicant_types=["municipality"], eligible_regions=[],
                             opens_on=date.today(), closes_on=date.today() + timedelta(days=45),
                             max_grant_eur=Decimal("250000"), max_funding_rate=Decimal("0.85"),
                             foreign_partner_required=True, partner_countries=["NO", "IS", "LI"], status="open")
    if template == "partner_requested":
        return PartnerRequested(application_id=_ID, call_id=_ID, call_code="LT10-2027-01", municipality_code="15",
                                application_title=LocalizedText(lt="Viešųjų paslaugų kokybė",
                                                                en="Quality of public services"),
                                themes=["public_service_quality"], countries=["NO"], deadline=date.today() + timedelta(days=30),
                                consultant=_consultant())
    if template == "matches_proposed":
        return MatchesProposed(partner_request_id=_ID, application_id=_ID, municipality_code="15", requester=_consultant(),
                               candidates=[Candidate(organisation_id=_ID, name="Vestland fylkeskommune", country="NO",
                                                     organisation_type="county_council", score=82.4, rank=1,
                                                     components={"theme_overlap": 0.4, "shared_language": 0.2}),
                                           Candidate(organisation_id=uuid.uuid4(), name="Western Norway Research Institute",
                                                     country="NO", organisation_type="research_institute", score=74.0, rank=2,
                                                     components={"theme_overlap": 0.35})],
                               title=LocalizedText(lt="Viešųjų paslaugų kokybė", en="Quality of public services"),
                               choose_url="https://savivalda.example/partners/choices?key=requester")
    if template == "introduction_sent":
        return IntroductionSent(introduction_id=_ID, partner_request_id=_ID, application_id=_ID, municipality_code="15",
                                organisation_id=_ID, organisation_name="Vestland fylkeskommune", country="NO",
                                requester=_consultant(), candidate_contact=_norway(),
                                answer_by=date.today() + timedelta(days=7),
                                requester_answer_url="https://savivalda.example/partners/answer/req",
                                candidate_answer_url="https://savivalda.example/partners/answer/cand")
    if template == "partnership_established":
        return PartnershipEstablished(partnership_id=_ID, partner_request_id=_ID, application_id=_ID,
                                      municipality_code="15", organisation_id=_ID,
                                      organisation_name="Vestland fylkeskommune", country="NO", requester=_consultant(),
                                      candidate_contact=_norway(), established_at=datetime.now(timezone.utc))
    raise KeyError(template)


def example_digest_items() -> list[dict]:
    return [{"subject": "Naujas kvietimas: Savivaldybių gebėjimų stiprinimas",
             "text": "EEA and Norway Grants paskelbė kvietimą.\n"},
            {"subject": "Registracija patvirtinta: Strateginis planavimas savivaldybėje",
             "text": "Jūsų registracija patvirtinta.\n"}]
