"""Bilingual explanations: every rule the grants domain applies explains itself in Lithuanian and
English, so a municipal user reads why, not only whether."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from shared.reference import MUNICIPALITIES, REGIONS, THEMES

APPLICANT_TYPE_LABELS = {
    "municipality": ("savivaldybė", "municipality"),
    "municipal_institution": ("savivaldybės įstaiga", "municipal institution"),
    "ngo": ("NVO", "NGO"),
    "association": ("asociacija", "association"),
    "university": ("universitetas", "university"),
    "company": ("įmonė", "company"),
}


@dataclass(frozen=True)
class Text:
    lt: str
    en: str

    def as_dict(self) -> dict:
        return {"lt": self.lt, "en": self.en}


def eur(amount: Decimal | None) -> Text:
    """€85,000.00 in English, 85 000,00 € in Lithuanian."""
    if amount is None:
        return Text("–", "–")
    value = Decimal(amount).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    english = f"€{value:,.2f}"
    lithuanian = f"{value:,.2f}".replace(",", " ").replace(".", ",") + " €"
    return Text(lithuanian, english)


def percent(share: Decimal) -> str:
    value = (Decimal(share) * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{value.normalize():f} %"


def day(value: date) -> str:
    return value.isoformat()


def themes(codes) -> Text:
    codes = list(codes)
    return Text(", ".join(THEMES[c].label_lt for c in codes if c in THEMES),
                ", ".join(THEMES[c].label_en for c in codes if c in THEMES))


def regions(codes) -> Text:
    return Text(", ".join(REGIONS[c].name_lt for c in codes if c in REGIONS),
                ", ".join(REGIONS[c].name_en for c in codes if c in REGIONS))


def municipality(code: str) -> Text:
    found = MUNICIPALITIES[code]
    return Text(found.name_lt, found.name_en)


def applicant_types(codes) -> Text:
    codes = list(codes)
    return Text(", ".join(APPLICANT_TYPE_LABELS.get(c, (c, c))[0] for c in codes),
                ", ".join(APPLICANT_TYPE_LABELS.get(c, (c, c))[1] for c in codes))


def days(count: int) -> Text:
    """'1 day' / '1 diena', '7 days' / '7 dienos', '14 days' / '14 dienų' (Lithuanian plural rules)."""
    last_two, last = count % 100, count % 10
    if last == 1 and last_two != 11:
        word = "diena"
    elif 2 <= last <= 9 and not 12 <= last_two <= 19:
        word = "dienos"
    else:
        word = "dienų"
    return Text(f"{count} {word}", f"{count} day" + ("" if count == 1 else "s"))
