"""Documents' gauges read at scrape time: how many versions are kept and how many bytes the documents
folder holds (each content once)."""

from __future__ import annotations

from sqlalchemy import func, select

from services.grants.models import Document
from shared.observability import ServiceGauges
from shared.persistence.engines import engine_for
from shared.persistence.unit_of_work import UnitOfWork

OWNERS = ("application", "call")


class DocumentGauges(ServiceGauges):
    key = "grant-documents"

    def samples(self):
        with UnitOfWork(engine_for(self.database_url), self.service, "gauges") as uow:
            counts = dict(uow.session.execute(select(Document.owner_kind, func.count())
                                              .group_by(Document.owner_kind)).all())
            distinct = select(Document.sha256, func.max(Document.size_bytes).label("size")).group_by(Document.sha256)
            stored = uow.session.scalar(select(func.coalesce(func.sum(distinct.subquery().c.size), 0)))
        yield from self.by_label("savivalda_grant_documents", "Document versions kept, by what they belong to "
                                 "(application: its files and checklist items'; call: templates)", "owner", counts,
                                 every=OWNERS)
        yield ("savivalda_grant_document_bytes", "Bytes of the documents folder's files (each content once)",
               {"service": self.service}, float(stored or 0))
