"""Bearer tokens (JWT, HS256) with one role each: staff, operator or municipality:<code>.

A municipality token sees only its own municipality's data; staff manage everything; operators
run the platform (dead letters, delivery logs) but do not manage training or grants. Which data is
whose is declared on each route and enforced by the HTTP layer: see shared/tenancy.py.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt

from shared.reference import MUNICIPALITIES

ISSUER = "savivalda"
ALGORITHM = "HS256"
BASE_ROLES = ("staff", "operator", "municipality")
# Who may call a route (`@route(roles=...)`): the role sets the services declare their routes with.
ANYONE = BASE_ROLES
STAFF = ("staff",)
STAFF_OR_MUNICIPALITY = ("staff", "municipality")
STAFF_OR_OPERATOR = ("staff", "operator")
DAY = 86400
# The longest a token of each role may live (SAVIVALDA_TOKEN_MAX_TTL changes it; docs/security.md).
# Enforced when issuing and again when decoding: a token whose expiry lies further ahead than its
# role allows (say, year 9999, signed by a leaked secret or an old tool) is refused.
MAX_TOKEN_LIFETIME: dict[str, int] = {"staff": 30 * DAY, "municipality": 30 * DAY, "operator": 1 * DAY}
CLOCK_SKEW = 300  # seconds of difference between machines' clocks tolerated


class InvalidToken(Exception):
    """Missing, malformed, expired or wrongly signed token (401)."""


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str  # staff | operator | municipality
    municipality_code: str | None = None

    @property
    def role_claim(self) -> str:
        return f"municipality:{self.municipality_code}" if self.role == "municipality" else self.role

    @property
    def is_staff(self) -> bool:
        return self.role == "staff"



def parse_role(role: str) -> tuple[str, str | None]:
    if role in ("staff", "operator"):
        return role, None
    if role.startswith("municipality:"):
        code = role.split(":", 1)[1]
        if code not in MUNICIPALITIES:
            raise ValueError(f"unknown municipality code {code!r} in role")
        return "municipality", code
    raise ValueError(f"role must be staff, operator or municipality:<code>, got {role!r}")


def describe_seconds(seconds: int) -> str:
    for unit, size in (("d", DAY), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def max_lifetime(role: str, max_lifetimes: dict[str, int] | None = None) -> int:
    base, _ = parse_role(role)
    return (max_lifetimes or MAX_TOKEN_LIFETIME).get(base, MAX_TOKEN_LIFETIME[base])


def issue_token(secret: str, *, subject: str, role: str, ttl_seconds: int = 8 * 3600, now: float | None = None,
                max_lifetimes: dict[str, int] | None = None) -> str:
    """A signed token; ValueError for an unknown role or a lifetime beyond the role's maximum."""
    limit = max_lifetime(role, max_lifetimes)
    if ttl_seconds > limit:
        raise ValueError(f"a {parse_role(role)[0]} token may live at most {describe_seconds(limit)} "
                         f"(asked for {describe_seconds(ttl_seconds)}); see SAVIVALDA_TOKEN_MAX_TTL")
    issued = int(now if now is not None else time.time())
    claims = {"iss": ISSUER, "sub": subject, "role": role, "iat": issued, "exp": issued + ttl_seconds}
    return jwt.encode(claims, secret, algorithm=ALGORITHM)


def decode_token(secret: str, token: str, *, max_lifetimes: dict[str, int] | None = None,
                 now: float | None = None) -> Principal:
    try:
        claims = jwt.decode(
            token, secret, algorithms=[ALGORITHM], issuer=ISSUER, options={"require": ["exp", "sub", "role", "iss"]}
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("token expired") from None
    except jwt.InvalidTokenError as error:
        raise InvalidToken(f"invalid token: {error}") from None
    try:
        role, code = parse_role(str(claims["role"]))
    except ValueError as error:
        raise InvalidToken(str(error)) from None
    limit = max_lifetime(str(claims["role"]), max_lifetimes)
    current = now if now is not None else time.time()
    lives = [int(claims["exp"]) - current]
    if isinstance(claims.get("iat"), (int, float)):
        lives.append(int(claims["exp"]) - claims["iat"])
    if max(lives) > limit + CLOCK_SKEW:
        raise InvalidToken(f"token lives longer than a {role} token may (at most {describe_seconds(limit)})")
    return Principal(subject=str(claims["sub"]), role=role, municipality_code=code)
