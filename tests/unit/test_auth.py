import pytest

from shared.auth import InvalidToken, decode_token, issue_token, parse_role

SECRET = "unit-test-Kx9vQ2mLp7Zr4Tn8Vb3Kd6Hs1Fw5Jy0Gc"


def test_token_round_trip_for_each_role():
    for role, expected in (("staff", ("staff", None)), ("operator", ("operator", None)),
                           ("municipality:15", ("municipality", "15"))):
        principal = decode_token(SECRET, issue_token(SECRET, subject="ona", role=role))
        assert (principal.role, principal.municipality_code) == expected
        assert principal.subject == "ona" and principal.role_claim == role


def test_expired_wrongly_signed_and_garbage_tokens_are_refused():
    expired = issue_token(SECRET, subject="x", role="staff", ttl_seconds=60, now=1_000_000)
    with pytest.raises(InvalidToken, match="expired"):
        decode_token(SECRET, expired)
    with pytest.raises(InvalidToken):
        decode_token("another-secret-Kx9vQ2mLp7Zr4Tn8Vb3Kd6Hs1Fw5", issue_token(SECRET, subject="x", role="staff"))
    with pytest.raises(InvalidToken):
        decode_token(SECRET, "not.a.token")


def test_roles_are_checked():
    for bad in ("admin", "municipality:99", "municipality:"):
        with pytest.raises(ValueError):
            parse_role(bad)

