"""Reference data shared by all services and versioned with the event contracts.

Municipality codes are the ISO 3166-2:LT numbers (LT-01 .. LT-60); regions are the ten counties
(apskritys) with their ISO codes. Theme codes are the shared vocabulary used by courses, calls,
partner profiles and subscriptions; labels are given in Lithuanian and English.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from shared.openapi import Codes

Language = Literal["lt", "en"]
LANGUAGES: tuple[str, ...] = ("lt", "en")


@dataclass(frozen=True)
class Region:
    code: str
    name_lt: str
    name_en: str


@dataclass(frozen=True)
class Municipality:
    code: str
    name_lt: str
    name_en: str
    region: str


REGIONS: dict[str, Region] = {
    r.code: r
    for r in (
        Region("AL", "Alytaus apskritis", "Alytus County"),
        Region("KU", "Kauno apskritis", "Kaunas County"),
        Region("KL", "Klaipėdos apskritis", "Klaipėda County"),
        Region("MR", "Marijampolės apskritis", "Marijampolė County"),
        Region("PN", "Panevėžio apskritis", "Panevėžys County"),
        Region("SA", "Šiaulių apskritis", "Šiauliai County"),
        Region("TA", "Tauragės apskritis", "Tauragė County"),
        Region("TE", "Telšių apskritis", "Telšiai County"),
        Region("UT", "Utenos apskritis", "Utena County"),
        Region("VL", "Vilniaus apskritis", "Vilnius County"),
    )
}

_MUNICIPALITY_ROWS = [
    ("01", "Akmenės rajono savivaldybė", "Akmenė District Municipality", "SA"),
    ("02", "Alytaus miesto savivaldybė", "Alytus City Municipality", "AL"),
    ("03", "Alytaus rajono savivaldybė", "Alytus District Municipality", "AL"),
    ("04", "Anykščių rajono savivaldybė", "Anykščiai District Municipality", "UT"),
    ("05", "Birštono savivaldybė", "Birštonas Municipality", "KU"),
    ("06", "Biržų rajono savivaldybė", "Biržai District Municipality", "PN"),
    ("07", "Druskininkų savivaldybė", "Druskininkai Municipality", "AL"),
    ("08", "Elektrėnų savivaldybė", "Elektrėnai Municipality", "VL"),
    ("09", "Ignalinos rajono savivaldybė", "Ignalina District Municipality", "UT"),
    ("10", "Jonavos rajono savivaldybė", "Jonava District Municipality", "KU"),
    ("11", "Joniškio rajono savivaldybė", "Joniškis District Municipality", "SA"),
    ("12", "Jurbarko rajono savivaldybė", "Jurbarkas District Municipality", "TA"),
    ("13", "Kaišiadorių rajono savivaldybė", "Kaišiadorys District Municipality", "KU"),
    ("14", "Kalvarijos savivaldybė", "Kalvarija Municipality", "MR"),
    ("15", "Kauno miesto savivaldybė", "Kaunas City Municipality", "KU"),
    ("16", "Kauno rajono savivaldybė", "Kaunas District Municipality", "KU"),
    ("17", "Kazlų Rūdos savivaldybė", "Kazlų Rūda Municipality", "MR"),
    ("18", "Kėdainių rajono savivaldybė", "Kėdainiai District Municipality", "KU"),
    ("19", "Kelmės rajono savivaldybė", "Kelmė District Municipality", "SA"),
    ("20", "Klaipėdos miesto savivaldybė", "Klaipėda City Municipality", "KL"),
    ("21", "Klaipėdos rajono savivaldybė", "Klaipėda District Municipality", "KL"),
    ("22", "Kretingos rajono savivaldybė", "Kretinga District Municipality", "KL"),
    ("23", "Kupiškio rajono savivaldybė", "Kupiškis District Municipality", "PN"),
    ("24", "Lazdijų rajono savivaldybė", "Lazdijai District Municipality", "AL"),
    ("25", "Marijampolės savivaldybė", "Marijampolė Municipality", "MR"),
    ("26", "Mažeikių rajono savivaldybė", "Mažeikiai District Municipality", "TE"),
    ("27", "Molėtų rajono savivaldybė", "Molėtai District Municipality", "UT"),
    ("28", "Neringos savivaldybė", "Neringa Municipality", "KL"),
    ("29", "Pagėgių savivaldybė", "Pagėgiai Municipality", "TA"),
    ("30", "Pakruojo rajono savivaldybė", "Pakruojis District Municipality", "SA"),
    ("31", "Palangos miesto savivaldybė", "Palanga City Municipality", "KL"),
    ("32", "Panevėžio miesto savivaldybė", "Panevėžys City Municipality", "PN"),
    ("33", "Panevėžio rajono savivaldybė", "Panevėžys District Municipality", "PN"),
    ("34", "Pasvalio rajono savivaldybė", "Pasvalys District Municipality", "PN"),
    ("35", "Plungės rajono savivaldybė", "Plungė District Municipality", "TE"),
    ("36", "Prienų rajono savivaldybė", "Prienai District Municipality", "KU"),
    ("37", "Radviliškio rajono savivaldybė", "Radviliškis District Municipality", "SA"),
    ("38", "Raseinių rajono savivaldybė", "Raseiniai District Municipality", "KU"),
    ("39", "Rietavo savivaldybė", "Rietavas Municipality", "TE"),
    ("40", "Rokiškio rajono savivaldybė", "Rokiškis District Municipality", "PN"),
    ("41", "Šakių rajono savivaldybė", "Šakiai District Municipality", "MR"),
    ("42", "Šalčininkų rajono savivaldybė", "Šalčininkai District Municipality", "VL"),
    ("43", "Šiaulių miesto savivaldybė", "Šiauliai City Municipality", "SA"),
    ("44", "Šiaulių rajono savivaldybė", "Šiauliai District Municipality", "SA"),
    ("45", "Šilalės rajono savivaldybė", "Šilalė District Municipality", "TA"),
    ("46", "Šilutės rajono savivaldybė", "Šilutė District Municipality", "KL"),
    ("47", "Širvintų rajono savivaldybė", "Širvintos District Municipality", "VL"),
    ("48", "Skuodo rajono savivaldybė", "Skuodas District Municipality", "KL"),
    ("49", "Švenčionių rajono savivaldybė", "Švenčionys District Municipality", "VL"),
    ("50", "Tauragės rajono savivaldybė", "Tauragė District Municipality", "TA"),
    ("51", "Telšių rajono savivaldybė", "Telšiai District Municipality", "TE"),
    ("52", "Trakų rajono savivaldybė", "Trakai District Municipality", "VL"),
    ("53", "Ukmergės rajono savivaldybė", "Ukmergė District Municipality", "VL"),
    ("54", "Utenos rajono savivaldybė", "Utena District Municipality", "UT"),
    ("55", "Varėnos rajono savivaldybė", "Varėna District Municipality", "AL"),
    ("56", "Vilkaviškio rajono savivaldybė", "Vilkaviškis District Municipality", "MR"),
    ("57", "Vilniaus miesto savivaldybė", "Vilnius City Municipality", "VL"),
    ("58", "Vilniaus rajono savivaldybė", "Vilnius District Municipality", "VL"),
    ("59", "Visagino savivaldybė", "Visaginas Municipality", "UT"),
    ("60", "Zarasų rajono savivaldybė", "Zarasai District Municipality", "UT"),
]

MUNICIPALITIES: dict[str, Municipality] = {
    code: Municipality(code, lt, en, region) for code, lt, en, region in _MUNICIPALITY_ROWS
}


@dataclass(frozen=True)
class Theme:
    code: str
    label_lt: str
    label_en: str


THEMES: dict[str, Theme] = {
    t.code: t
    for t in (
        Theme("budgeting", "Biudžeto planavimas ir finansai", "Budgeting and finance"),
        Theme("personnel_management", "Personalo valdymas", "Personnel management"),
        Theme("citizen_participation", "Gyventojų dalyvavimas", "Citizen participation"),
        Theme("strategic_planning", "Strateginis planavimas", "Strategic planning"),
        Theme("economic_development", "Ekonominė plėtra", "Economic development"),
        Theme("public_service_quality", "Viešųjų paslaugų kokybė", "Public-service quality"),
        Theme("anti_corruption", "Korupcijos prevencija", "Anti-corruption"),
        Theme("council_members_duties", "Tarybos narių teisės ir pareigos",
              "Council members' rights and duties"),
        Theme("regional_development", "Regioninė plėtra", "Regional development"),
        Theme("social_services", "Socialinės paslaugos", "Social services"),
        Theme("health_care", "Sveikatos priežiūra", "Health care"),
        Theme("education", "Švietimas ir mokymasis visą gyvenimą", "Education and lifelong learning"),
        Theme("digital_government", "Skaitmeninė savivalda", "Digital government"),
        Theme("environment_energy", "Aplinka ir energetika", "Environment and energy"),
        Theme("culture_tourism", "Kultūra ir turizmas", "Culture and tourism"),
        Theme("international_cooperation", "Tarptautinis bendradarbiavimas",
              "International cooperation"),
        Theme("project_management", "Projektų valdymas", "Project management"),
    )
}


def municipality(code: str) -> Municipality:
    """The municipality with this code; KeyError names the code when it is unknown."""
    return MUNICIPALITIES[code]


# ---------------------------------------------------------------- the code lists as schema types
# `themes: list[ThemeCode]` documents the codes as a JSON Schema enum (shared.openapi.Codes); the
# models still check them with shared.events.types' validators, whose errors list the codes.

MunicipalityCode = Annotated[str, Codes(MUNICIPALITIES)]
RegionCode = Annotated[str, Codes(REGIONS)]
ThemeCode = Annotated[str, Codes(THEMES)]
SupportedLanguage = Annotated[str, Codes(LANGUAGES)]
