import stat

import pytest

from shared.config import ConfigurationError, check_secret, distributed_settings, embedded_settings, parse_delays

GOOD = {
    "SAVIVALDA_AMQP_URI": "amqp://u:p@rabbit:5672/savivalda",
    "SAVIVALDA_ENROLLMENT_DATABASE_URL": "postgresql+psycopg2://e@db/enrollment",
    "SAVIVALDA_AUTH_SECRET": "Qm9vdHN0cmFwLXNlY3JldC1mb3ItdGVzdGluZy0xMjM0NQ",
}


def test_distributed_settings_come_from_the_environment():
    settings = distributed_settings(("enrollment",), GOOD)
    assert settings.mode == "distributed" and settings.services == ("enrollment",)
    assert settings.database_url("enrollment").endswith("/enrollment")
    assert settings.http_address == "0.0.0.0:8000" and settings.max_attempts == 4


@pytest.mark.parametrize("secret", [None, "", "short", "change-me-" * 5, "x" * 40, "your-secret-here-1234567890abcdefgh"])
def test_distributed_mode_refuses_a_missing_or_placeholder_secret(secret):
    env = dict(GOOD)
    if secret is None:
        del env["SAVIVALDA_AUTH_SECRET"]
    else:
        env["SAVIVALDA_AUTH_SECRET"] = secret
    with pytest.raises(ConfigurationError, match="AUTH_SECRET"):
        distributed_settings(("enrollment",), env)


def test_a_random_secret_is_accepted_even_when_it_happens_to_contain_a_short_word():
    env = dict(GOOD, SAVIVALDA_AUTH_SECRET="q7ZxXxPn2Lw9Rv4Tk8Mb3Yd6Hs1Fc5Jg0Ue")
    assert distributed_settings(("enrollment",), env).auth_secret.startswith("q7Zx")


def test_distributed_mode_names_what_is_missing():
    with pytest.raises(ConfigurationError, match="SAVIVALDA_GRANTS_DATABASE_URL"):
        distributed_settings(("enrollment", "grants"), GOOD)
    with pytest.raises(ConfigurationError, match="AMQP_URI"):
        distributed_settings(("enrollment",), {k: v for k, v in GOOD.items() if "AMQP" not in k})
    with pytest.raises(ConfigurationError, match="SMTP_URL"):
        distributed_settings(("notifications",), {**GOOD, "SAVIVALDA_NOTIFICATIONS_DATABASE_URL": "sqlite://"})
    with pytest.raises(ConfigurationError, match="unknown service"):
        distributed_settings(("billing",), GOOD)


def test_embedded_settings_keep_everything_in_the_data_folder(tmp_path):
    first = embedded_settings(tmp_path / "d", env={})
    again = embedded_settings(tmp_path / "d", env={})
    assert first.amqp_uri == "memory://" and first.embedded
    assert set(first.database_urls) == {"enrollment", "grants", "partners", "notifications"}
    assert all(url.startswith(f"sqlite:///{tmp_path}") for url in first.database_urls.values())
    assert first.mailbox_dir == (tmp_path / "d" / "mailbox").resolve()
    assert first.auth_secret == again.auth_secret and check_secret(first.auth_secret)
    assert stat.S_IMODE((tmp_path / "d" / "auth-secret").stat().st_mode) == 0o600


def test_retry_delays_are_validated():
    assert parse_delays("0.5, 2,10") == (0.5, 2.0, 10.0)
    for bad in ("a,b", "1,-2", "0"):
        with pytest.raises(ConfigurationError):
            parse_delays(bad)
