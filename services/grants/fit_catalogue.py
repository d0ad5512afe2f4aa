"""The open and forecast calls as the call fit reads them, decoded once per catalogue version.

Every call fit judges an idea against every open or forecast call (hundreds), so decoding each
call's JSON columns and building its facts on every request was most of the request. Here they are
kept per process, keyed by a fingerprint of the rows themselves that the database computes on each
request in one small query: on PostgreSQL the number of matching rows and the md5 of each one's row
version (its `ctid`, where the version lies, and `xmin`, the transaction that wrote it), with the
table's file (one row comes back, whatever the number of calls); elsewhere (SQLite, in tests) the
raw rows. PostgreSQL never changes a row in place: an UPDATE (by this replica, another one, a
migration or by hand) writes a new version by a new transaction, an INSERT adds one, a DELETE or a
status leaving open/forecast removes one, and a rewrite of the table (ALTER ... TYPE, VACUUM FULL,
CLUSTER) moves it to a new file; so any change to any of those calls changes the fingerprint and the
next request decodes the calls again: there is nothing to invalidate and no counter to keep. (The
md5 of every row's text, used before, said the same at 3-4 times the cost: 2.2 ms against 0.7 ms
for the bench's 469 calls, most of it turning the JSON columns into text. A version's identity could
repeat only if a transaction id wrapped around, 2^32 transactions later, and its new version landed
in the very slot of one this process still keeps.)
"""

from __future__ import annotations

import json
import threading
from collections import OrderedDict
from dataclasses import dataclass

from pydantic_core import to_jsonable_python
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.grants.domain.fit import CallFacts
from services.grants.models import FundingCall
from services.grants.repository import GrantsRepository
from services.grants.views import call_facts
from shared.events.types import LocalizedText
from shared.http import PreparedJson

FIT_STATUSES = ("open", "forecast")
# A handful of catalogue versions (a test process holds several databases; a replica one).
KEPT_VERSIONS = 4

_POSTGRES_FINGERPRINT = text(
    "SELECT count(*), md5(string_agg(f.ctid::text || f.xmin::text, ',' ORDER BY f.ctid)), "
    "pg_relation_filenode('funding_calls') FROM funding_calls f WHERE f.status IN ('open', 'forecast')")
_ROWS_FINGERPRINT = text("SELECT * FROM funding_calls WHERE status IN ('open', 'forecast') ORDER BY code")


@dataclass(frozen=True)
class FitCall:
    """One call: the facts the rules judge, and the JSON of the answer's fields that do not depend on
    the idea (CallFitOut's first five, as json_response encodes them, up to the comma after them)."""

    facts: CallFacts
    encoded_head: str


def fit_call(call: FundingCall) -> FitCall:
    fixed = {"call_id": call.id, "code": call.code, "title": LocalizedText(**call.title), "funder": call.funder,
             "status": call.status}
    encoded = json.dumps(to_jsonable_python(fixed), ensure_ascii=False)
    return FitCall(facts=call_facts(call), encoded_head=encoded[:-1] + ", ")


class Version:
    """The calls of one catalogue version, and the answers assembled from them: kept with the
    version, so they go when it goes (a changed call is a new version; nothing to invalidate).

    `assembled` holds the ranked answer of one idea for one county on one day (the calls in their
    order, each call's JSON cut around its region rule — the only part that depends on the
    municipality rather than on its county); `documents` the whole answer of an idea for a
    municipality on a day; and, longer than the documents (the same version and key make the same
    bytes), the ETag of each document made (a client asking again with it gets 304 without the
    document being made again) and the gzip encoding of the last documents that had one (made
    again, such a document is not compressed again). All are bounded (least recently used go
    first)."""

    ASSEMBLED_KEPT = 16  # ~1 MB each (469 calls)
    DOCUMENTS_KEPT = 4  # ~1 MB each, with its gzip encoding (~70 KB) once a client asked for it
    ETAGS_KEPT = 4096  # ~200 bytes each with its key
    GZIPPED_KEPT = 64  # ~70 KB each

    def __init__(self, calls: dict[str, FitCall]):
        self.calls = calls
        self._assembled: OrderedDict[object, list] = OrderedDict()
        self._documents: OrderedDict[object, PreparedJson] = OrderedDict()
        self._etags: OrderedDict[object, str] = OrderedDict()
        self._gzipped: OrderedDict[object, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def assembled(self, key, build):
        return self._kept(self._assembled, self.ASSEMBLED_KEPT, key, build)

    def document(self, key, build) -> PreparedJson:
        """The document `key`, kept or made by `build(etag, gzipped)` (what is still known of it)."""
        with self._lock:
            document = self._documents.get(key)
            if document is not None:
                self._documents.move_to_end(key)
            else:
                etag, gzipped = self._etags.get(key), self._gzipped.pop(key, None)
        if document is None:
            document = build(etag, gzipped)  # (two green threads may make the same one: the same bytes)
            with self._lock:
                self._documents[key] = document
                while len(self._documents) > self.DOCUMENTS_KEPT:
                    old_key, old = self._documents.popitem(last=False)
                    if old.gzipped(make=False) is not None:
                        self._keep(self._gzipped, self.GZIPPED_KEPT, old_key, old.gzipped(make=False))
        with self._lock:
            self._keep(self._etags, self.ETAGS_KEPT, key, document.etag)
        return document

    @staticmethod
    def _keep(kept: OrderedDict, most: int, key, value) -> None:
        kept[key] = value
        kept.move_to_end(key)
        while len(kept) > most:
            kept.popitem(last=False)

    def etag(self, key) -> str | None:
        """The ETag of the document `key` made in this version, if it is still known."""
        with self._lock:
            return self._etags.get(key)

    def _kept(self, kept: OrderedDict, most: int, key, build):
        with self._lock:
            found = kept.get(key)
            if found is not None:
                kept.move_to_end(key)
                return found
        built = build()  # (two green threads may build the same one; either result is the same)
        with self._lock:
            kept[key] = built
            while len(kept) > most:
                kept.popitem(last=False)
        return built


class FitCatalogue:
    def __init__(self, kept: int = KEPT_VERSIONS):
        self._kept = kept
        self._versions: OrderedDict[object, Version] = OrderedDict()
        self._lock = threading.Lock()
        self.loads = 0  # how many times the calls were decoded (tests read it)

    def calls(self, session: Session) -> dict[str, FitCall]:
        """The open and forecast calls by code, as they are in the database now."""
        return self.version(session).calls

    def version(self, session: Session) -> Version:
        """The catalogue as it is in the database now (a fresh, unkept one if it changed while it
        was read)."""
        version = fingerprint(session)
        with self._lock:
            found = self._versions.get(version)
            if found is not None:
                self._versions.move_to_end(version)
                return found
        loaded = Version({c.code: fit_call(c) for c in GrantsRepository(session).calls(statuses=list(FIT_STATUSES))})
        # Kept only if nothing changed while they were read (else they may be newer than `version`).
        unchanged = fingerprint(session) == version
        with self._lock:
            self.loads += 1
            if unchanged:
                self._versions[version] = loaded
                while len(self._versions) > self._kept:
                    self._versions.popitem(last=False)
        return loaded


def fingerprint(session: Session) -> object:
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        # On a pooled connection of its own, outside a transaction: one round trip (no BEGIN before
        # it, no ROLLBACK after), and while the catalogue is unchanged the request's own session
        # never goes to the database at all. (READ COMMITTED: each statement sees what was committed
        # when it began, in a transaction too; `version` checks again after loading.) psycopg2's
        # autocommit flag rather than the isolation_level option, whose reset on the way back to
        # the pool is one more round trip (SET default_transaction_isolation); nothing is sent
        # either way the flag is set, and no transaction is open when it is set back.
        with bind.connect() as connection:
            raw = connection.connection.dbapi_connection
            raw.autocommit = True
            try:
                return tuple(connection.execute(_POSTGRES_FINGERPRINT).one())
            finally:
                if not raw.closed:  # (a lost connection is invalidated and closed by SQLAlchemy)
                    raw.autocommit = False
    return tuple(tuple(row) for row in session.execute(_ROWS_FINGERPRINT))


CATALOGUE = FitCatalogue()
