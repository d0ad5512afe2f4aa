"""Benchmark of the consultants' desk's use cases (usecases/desk.py) on SQLite, no HTTP:

    .venv/bin/python -m bench.desk [N]        # N applications (default 2000)

Fills a fresh migrated grants database (a temporary folder) with N applications being drafted,
spread over the 60 municipalities and 12 consultants, each with one consultation and its
follow-up, then times 15 runs each of: the whole list by next deadline (the first page of 100),
one municipality's list, the workload (20 per consultant) and the follow-up timer's run. Prints
the median and the worst, and the load average (the figures depend on it).
"""
import os, statistics, sys, tempfile, time, uuid
from datetime import timedelta
N = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
from shared.migrations import upgrade
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork
from services.grants.desk_schemas import ApplicationListQuery, WorkloadQuery
from services.grants.models import Application, Consultation
from services.grants.schemas import CallIn
from services.grants.usecases import catalogue, desk, local_today
from shared.persistence.schema import utcnow
from tests.grants.helpers import call_body
url = f"sqlite:///{tempfile.mkdtemp()}/grants.db"
upgrade("grants", url)
engine = engine_for(url)
today = local_today()
with UnitOfWork(engine, "grants", "bench") as uow:
    call = catalogue.create_call(uow, CallIn.model_validate(call_body(foreign_partner_required=False, partner_countries=[], required_documents=[])))
with UnitOfWork(engine, "grants", "bench") as uow:
    now = utcnow()
    for n in range(N):
        a = Application(id=uuid.uuid4(), call_id=call.id, municipality_code=f"{n % 60 + 1:02d}", applicant_type="municipality",
                        title={"lt": f"P{n}"}, themes=["anti_corruption"], total_eligible_cost_eur=100000, requested_grant_eur=85000,
                        own_contribution_eur=15000, status="drafting", internal_deadline=today + timedelta(days=n % 50),
                        consultant_name=f"C{n % 12}", consultant_email=f"c{n % 12}@lsa.lt", partner_status="not_required",
                        created_at=now, created_by="bench", updated_at=now)
        uow.session.add(a)
        uow.session.add(Consultation(id=uuid.uuid4(), application_id=a.id, held_on=today, channel="phone", summary="x",
                                     follow_up_on=today + timedelta(days=n % 30 + 1), recorded_by="bench", recorded_at=now))
    uow.commit()
def timed(fn, runs=15):
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        with UnitOfWork(engine, "grants", "bench") as uow:
            fn(uow)
        out.append((time.perf_counter() - t) * 1000)
    return statistics.median(out), max(out)
print(N, "applications, 1 consultation each, 12 consultants; load average", os.getloadavg())
print("list sort=deadline limit=100: median %.0f ms, max %.0f ms" % timed(lambda u: desk.list_applications(u, ApplicationListQuery(sort="deadline"), None)))
print("list municipality 15:          median %.0f ms, max %.0f ms" % timed(lambda u: desk.list_applications(u, ApplicationListQuery(sort="deadline"), "15")))
print("workload per_consultant=20:    median %.0f ms, max %.0f ms" % timed(lambda u: desk.workload(u, WorkloadQuery())))
print("follow-up timer run:           median %.0f ms, max %.0f ms" % timed(lambda u: desk.remind_follow_ups(u, "http://x", today=today - timedelta(days=10))))
