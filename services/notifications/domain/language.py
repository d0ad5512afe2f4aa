"""Lithuanian and English forms: plurals for counts and dates as people write them.

Lithuanian has three plural forms:
- 1, 21, 31, ... (ends in 1, not 11)            → vienaskaita: "1 diena", "21 diena"
- 2-9, 22-29, ... (ends in 2-9, not 12-19)      → "2 dienos", "29 dienos"
- 0, 10-20, 30, 40, ... (ends in 0 or 11-19)     → "10 dienų", "11 dienų", "20 dienų"
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Europe/Vilnius")

MONTHS_LT_GENITIVE = (
    "sausio", "vasario", "kovo", "balandžio", "gegužės", "birželio",
    "liepos", "rugpjūčio", "rugsėjo", "spalio", "lapkričio", "gruodžio",
)
MONTHS_EN = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)


def plural_lt(n: int, one: str, few: str, many: str) -> str:
    n = abs(int(n))
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 9 and not 12 <= n % 100 <= 19:
        return few
    return many


def plural_en(n: int, one: str, other: str) -> str:
    return one if abs(int(n)) == 1 else other


def count(n: int, language: str, lt_forms: tuple[str, str, str], en_forms: tuple[str, str]) -> str:
    """"3 dienos" / "3 days"."""
    word = plural_lt(n, *lt_forms) if language == "lt" else plural_en(n, *en_forms)
    return f"{n} {word}"


def local(moment: datetime) -> datetime:
    return moment.astimezone(LOCAL_TZ)


def calendar_days_until(moment: datetime, now: datetime) -> int:
    """How many calendar days from today to the day of `moment`, both in Vilnius: 0 today (even a
    minute before midnight), 1 tomorrow (even 12 seconds away, past midnight), negative when past."""
    return (local(moment).date() - local(now).date()).days


def format_date(value: date | datetime, language: str) -> str:
    """2026 m. gruodžio 3 d. / 3 December 2026 (datetimes in Vilnius time)."""
    day = local(value).date() if isinstance(value, datetime) else value
    if language == "lt":
        return f"{day.year} m. {MONTHS_LT_GENITIVE[day.month - 1]} {day.day} d."
    return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"


def format_time(moment: datetime) -> str:
    return local(moment).strftime("%H:%M")


def format_money(amount, language: str) -> str:
    """"12,50 €" in Lithuanian, "€12.50" in English; zero is "free"."""
    from decimal import Decimal

    value = Decimal(str(amount))
    if value == 0:
        return "nemokamai" if language == "lt" else "free of charge"
    text = f"{value:,.2f}"
    if language == "lt":
        return text.replace(",", " ").replace(".", ",") + " €"
    return "€" + text


def format_percent(share, language: str) -> str:
    """0.85 → "85 %" in Lithuanian (a space before the sign), "85%" in English."""
    from decimal import Decimal

    value = (Decimal(str(share)) * 100).quantize(Decimal("1"))
    return f"{value} %" if language == "lt" else f"{value}%"


def format_eur(amount, language: str) -> str:
    """An amount of money (never "free": 0 is "0,00 €")."""
    from decimal import Decimal

    text = f"{Decimal(str(amount)):,.2f}"
    if language == "lt":
        return text.replace(",", " ").replace(".", ",") + " €"
    return "€" + text


def format_hours(amount, language: str) -> str:
    """6 → "6 valandos" / "6 hours"; 1.5 → "1,5 val." / "1.5 hours"."""
    from decimal import Decimal

    value = Decimal(str(amount))
    if value == value.to_integral_value():
        return count(int(value), language, ("valanda", "valandos", "valandų"), ("hour", "hours"))
    text = f"{value.normalize()}"
    return f"{text.replace('.', ',')} val." if language == "lt" else f"{text} hours"


APPLICATION_STATUSES = {
    "idea": ("idėja", "idea"),
    "drafting": ("rengiama", "drafting"),
    "internal_review": ("vidinė peržiūra", "internal review"),
    "submitted": ("pateikta", "submitted"),
    "awarded": ("skirtas finansavimas", "awarded"),
    "rejected": ("atmesta", "rejected"),
    "withdrawn": ("atsiimta", "withdrawn"),
    "contracted": ("pasirašyta sutartis", "contracted"),
    "completed": ("įgyvendinta", "completed"),
}
DEADLINE_KINDS = {
    "internal": ("vidinis", "internal"),
    "first_stage": ("pirmojo etapo", "first-stage"),
    "official": ("oficialus", "official"),
    "interim_report": ("tarpinės ataskaitos", "interim report"),
    "final_report": ("galutinės ataskaitos", "final report"),
    "follow_up": ("tolesnių veiksmų", "follow-up"),
}


def label(labels: dict, code: str, language: str) -> str:
    lt, en = labels.get(code, (code, code))
    return lt if language == "lt" else en
