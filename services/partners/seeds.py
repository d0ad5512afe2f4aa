"""Example foreign profiles: the Norwegian partners of the Norway Grants LT10 projects the
centre's seed documents describe. Loaded on demand by staff (`POST /partners/organisations/examples`),
never automatically; fixed ids make loading them again harmless.

No contact persons: the project summaries name none, and profiles of real organisations must not
carry invented people.
"""

from __future__ import annotations

import uuid

_NAMESPACE = uuid.UUID("1b0b7a52-4f0e-4d55-9a51-5f2d6f0c0a10")


def example_id(name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, name)


EXAMPLE_PROFILES: list[dict] = [
    {
        "name": "Hordaland county council",
        "country": "NO",
        "region": "Hordaland (Vestland)",
        "organisation_type": "county_council",
        "size": 520000,
        "themes": ["public_service_quality", "regional_development", "strategic_planning", "health_care",
                   "international_cooperation"],
        "languages": ["no", "en"],
        "description": {
            "lt": "Norvegijos apskrities taryba; dalijosi viešųjų paslaugų valdymo ir regioninės administracijos "
                  "patirtimi projekte LT10-0019.",
            "en": "Norwegian county council; shared its experience of managing public services and regional "
                  "administration in project LT10-0019.",
        },
        "capacity": 2,
        "past_cooperation": [{
            "partner": "Public Institution Lithuanian Regional Research Institute", "country": "LT",
            "project": "LT10-0019", "description": "Capacity building in managing public service processes; "
                                                   "workshop programmes for municipal staff.",
        }],
    },
    {
        "name": "Western Norway Research Institute",
        "country": "NO",
        "region": "Sogndal (Vestland)",
        "organisation_type": "research_institute",
        "size": 30,
        "themes": ["public_service_quality", "regional_development", "digital_government", "environment_energy"],
        "languages": ["no", "en"],
        "description": {
            "lt": "Vakarų Norvegijos mokslinių tyrimų institutas (Vestlandsforsking); ekspertai projekte LT10-0019.",
            "en": "Western Norway Research Institute (Vestlandsforsking); experts in project LT10-0019.",
        },
        "capacity": 2,
        "past_cooperation": [{
            "partner": "Public Institution Lithuanian Regional Research Institute", "country": "LT",
            "project": "LT10-0019", "description": "Evidence-based management of public services.",
        }],
    },
    {
        "name": "Flexible Education Norway",
        "country": "NO",
        "region": "Oslo",
        "organisation_type": "association",
        "size": 10,
        "themes": ["education", "digital_government", "anti_corruption", "social_services", "regional_development"],
        "languages": ["no", "en"],
        "description": {
            "lt": "Lanksčiojo mokymosi asociacija (Fleksibel utdanning Norge); nuotolinis mokymas, mokymo kursų "
                  "rengimas, vizitai abiem kryptimis projektuose LT10-0002 ir LT10-0006.",
            "en": "Flexible Education Norway (Fleksibel utdanning Norge); distance education, training course "
                  "design, visits both ways in projects LT10-0002 and LT10-0006.",
        },
        "capacity": 3,
        "past_cooperation": [
            {"partner": "Lithuanian College of Democracy", "country": "LT", "project": "LT10-0002",
             "description": "Smart management in the public sector: 4 visits (2 LT-NO, 2 NO-LT), 7 courses."},
            {"partner": "Lithuanian University of Educational Sciences", "country": "LT", "project": "LT10-0006",
             "description": "Social clustering: training events in Lithuania and Norway, a publicity event in Oslo."},
        ],
    },
]
