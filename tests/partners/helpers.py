"""Builders and probes the partners tests share."""

from __future__ import annotations

import json
from datetime import date, timedelta

from sqlalchemy import create_engine, text

from tests.support import http

HORDALAND = {
    "name": "Hordaland county council", "country": "NO", "region": "Vestland", "organisation_type": "county_council",
    "size": 520000, "themes": ["public_service_quality", "regional_development", "strategic_planning"],
    "languages": ["no", "en"], "contact_name": "Kari Nordmann", "contact_email": "kari.nordmann@hordaland.no",
    "contact_language": "en", "capacity": 2,
    "description": {"lt": "Norvegijos apskrities taryba", "en": "Norwegian county council"},
    "past_cooperation": [{"partner": "Lithuanian Regional Research Institute", "country": "LT",
                          "project": "LT10-0019", "year": 2015}],
}
WESTERN_NORWAY = {
    "name": "Western Norway Research Institute", "country": "NO", "organisation_type": "research_institute",
    "size": 30, "themes": ["public_service_quality", "digital_government"], "languages": ["no", "en"],
    "contact_name": "Ola Vestlending", "contact_email": "ola@vestforsk.no", "capacity": 1,
}
REYKJAVIK = {
    "name": "Reykjavík City", "country": "IS", "organisation_type": "municipality", "size": 135000,
    "themes": ["regional_development", "social_services"], "languages": ["is", "en"],
    "contact_name": "Jón Jónsson", "contact_email": "jon@reykjavik.is", "capacity": 1,
}
SWEDISH = {
    "name": "Region Skåne", "country": "SE", "organisation_type": "county_council", "size": 1400000,
    "themes": ["regional_development", "public_service_quality"], "languages": ["sv", "en"], "capacity": 3,
}
KAUNAS_PROFILE = {
    "name": "Kauno rajono savivaldybė", "country": "LT", "region": "KU", "municipality_code": "16",
    "organisation_type": "municipality", "size": 95000, "themes": ["regional_development"],
    "languages": ["lt", "en"], "contact_name": "Ona Petraitienė", "contact_email": "ona.petraitiene@krs.lt",
    "contact_language": "lt", "capacity": 2,
}
CONSULTANT = {"name": "Rasa Konsultantė", "email": "rasa@lsa-centras.lt", "language": "lt"}


def request_body(**changes) -> dict:
    body = {
        "municipality_code": "16",
        "title": {"lt": "Viešųjų paslaugų kokybė regionuose", "en": "Public-service quality in the regions"},
        "themes": ["public_service_quality", "regional_development"],
        "countries": ["NO", "IS", "LI"],
        "organisation_types": ["county_council", "municipality"],
        "languages": ["en"],
        "deadline": (date.today() + timedelta(days=60)).isoformat(),
        "requester": {"name": "Ona Petraitienė", "email": "ona.petraitiene@krs.lt", "language": "lt"},
    }
    body.update(changes)
    return body


def key_of(url: str) -> str:
    """The access key in an answer or renewal link."""
    import urllib.parse

    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["key"][0]


def post(base_url: str, path: str, body, token: str | None = None):
    return http("POST", f"{base_url}/partners{path}", body, token=token)


def get(base_url: str, path: str, token: str | None = None):
    return http("GET", f"{base_url}/partners{path}", token=token)


def created(reply) -> dict:
    assert reply.status == 201, reply.body
    return reply.body


class PartnersDatabase:
    """Reads the partners database directly: the outbox (what the service emitted) and raw rows."""

    def __init__(self, url: str):
        self.engine = create_engine(url)

    def rows(self, sql: str, **params) -> list:
        with self.engine.connect() as connection:
            return list(connection.execute(text(sql), params))

    def execute(self, sql: str, **params) -> None:
        with self.engine.begin() as connection:
            connection.execute(text(sql), params)

    def events(self, event_type: str | None = None) -> list[dict]:
        query = "SELECT body FROM outbox" + (" WHERE event_type = :t" if event_type else "") + " ORDER BY id"
        return [json.loads(row.body) for row in self.rows(query, t=event_type)]

    def update(self, model, row_id, **values) -> None:
        """Change a row as time would (e.g. move a date into the past), through the model's types."""
        from sqlalchemy import update

        table = model.__table__
        primary = list(table.primary_key.columns)[0]
        with self.engine.begin() as connection:
            connection.execute(update(table).where(primary == row_id).values(**values))

    def unpublished(self) -> int:
        return self.rows("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")[0].n

    def business_snapshot(self) -> str:
        """Every row of the service's own tables, plus how many events it emitted: what bad input must not change."""
        from sqlalchemy import inspect

        infrastructure = {"outbox", "inbox", "dead_letters", "runtime_marks", "alembic_version"}
        parts = [f"events={self.rows('SELECT count(*) AS n FROM outbox')[0].n}"]
        with self.engine.connect() as connection:
            for table in sorted(set(inspect(self.engine).get_table_names()) - infrastructure):
                for row in connection.execute(text(f'SELECT * FROM "{table}" ORDER BY 1')):
                    parts.append(f"{table}: {tuple(row)}")
        return "\n".join(parts)

    def everything(self) -> str:
        """Every value of every row of every table, as one lower-cased text."""
        from sqlalchemy import inspect

        parts = []
        with self.engine.connect() as connection:
            for table in inspect(self.engine).get_table_names():
                for row in connection.execute(text(f'SELECT * FROM "{table}"')):
                    parts.append(" ".join(str(value) for value in row))
        return "\n".join(parts).lower()

    def close(self) -> None:
        self.engine.dispose()
