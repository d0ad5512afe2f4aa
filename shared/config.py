"""Settings for one process, read from the environment (distributed) or made up (embedded).

Every variable is documented in docs/configuration.md; tests check that the two agree.
"""

from __future__ import annotations

import math
import os
import re
import secrets
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping

from shared.auth import MAX_TOKEN_LIFETIME

SERVICE_NAMES: tuple[str, ...] = ("enrollment", "grants", "partners", "notifications")

ENV_PREFIX = "SAVIVALDA_"
MIN_SECRET_LENGTH = 32
MIN_SECRET_DISTINCT = 8
# Observed character entropy (count x -log2 frequency, summed): a 32-character random hex secret
# (128 real bits) shows 91 bits at the very least, typically 115; `aaaa...ab` shows almost none.
MIN_SECRET_BITS = 88
# Words people leave in templates. Short fragments such as "xxx" are left out on purpose: they turn up
# by chance in random secrets (token_urlsafe(48) contains "xxx", in any case, about 1 time in 500).
_PLACEHOLDER = re.compile(r"change.?me|example|placeholder|your.?secret|^secret|secret$|password|default", re.I)


class ConfigurationError(Exception):
    """The environment does not describe a runnable process; the message says what to set."""


def database_url_variable(service: str) -> str:
    return f"{ENV_PREFIX}{service.upper()}_DATABASE_URL"


_RUNS = ("abcdefghijklmnopqrstuvwxyz", "0123456789", "qwertyuiop", "asdfghjkl", "zxcvbnm")


def _in_runs(secret: str, length: int = 4) -> int:
    """How many characters belong to a run of `length` or more neighbours on the alphabet, the
    digits or a keyboard row (either way)."""
    text = secret.lower()
    covered = [False] * len(text)
    for start in range(len(text) - length + 1):
        window = text[start:start + length]
        if any(window in run or window[::-1] in run for run in _RUNS):
            covered[start:start + length] = [True] * length
    return sum(covered)


def secret_weakness(secret: str) -> str | None:
    """Why a secret is guessable, or None. Estimates, not proofs: a secret made by
    `secrets.token_urlsafe(48)` (or `openssl rand -hex 32`) passes, and what people type
    (a word, a repeated pattern such as `abcdefgh` four times, a keyboard run) does not."""
    if len(secret) < MIN_SECRET_LENGTH:
        return f"is {len(secret)} characters; use at least {MIN_SECRET_LENGTH}"
    if _PLACEHOLDER.search(secret):
        return "looks like a placeholder; set a random value"
    distinct = len(set(secret))
    if distinct < MIN_SECRET_DISTINCT:
        return f"has only {distinct} different characters; set a random value"
    for period in range(1, len(secret) // 2 + 1):
        if all(secret[i] == secret[i - period] for i in range(period, len(secret))):
            return f"repeats a pattern of {period} characters; set a random value"
    if _in_runs(secret) * 2 > len(secret):
        return "is mostly runs of neighbouring characters (abcd..., 1234..., qwerty...); set a random value"
    counts = [secret.count(ch) for ch in set(secret)]
    bits = -sum(c * math.log2(c / len(secret)) for c in counts)  # observed character entropy, whole secret
    if bits < MIN_SECRET_BITS:
        return f"carries about {bits:.0f} bits; use at least {MIN_SECRET_BITS} (a longer random value)"
    return None


def check_secret(secret: str | None, name: str = "AUTH_SECRET") -> str:
    """Refuse a missing, short, placeholder or low-entropy secret: tokens signed with it guard every API."""
    if not secret:
        raise ConfigurationError(
            f"{ENV_PREFIX}{name} is not set; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`"
        )
    weakness = secret_weakness(secret)
    if weakness:
        raise ConfigurationError(f"{ENV_PREFIX}{name} {weakness}")
    return secret


def parse_list(text: str) -> tuple[str, ...]:
    return tuple(part.strip().lower() for part in text.split(",") if part.strip())


def parse_networks(text: str, name: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (10.0.0.0/8, ::1); ConfigurationError naming the
    variable for anything else."""
    import ipaddress

    items = parse_list(text)
    for item in items:
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise ConfigurationError(f"{ENV_PREFIX}{name}: {item!r} is not an IP address or network") from None
    return items


def parse_token_lifetimes(text: str) -> dict[str, int]:
    """`staff=30d,municipality=30d,operator=1d` (any of them; the others keep their default)."""
    from shared.auth import BASE_ROLES

    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    lifetimes = dict(MAX_TOKEN_LIFETIME)
    for part in parse_list(text):
        role, _, value = part.partition("=")
        try:
            seconds = int(float(value[:-1]) * units[value[-1]]) if value[-1:] in units else int(value)
        except (ValueError, KeyError):
            seconds = 0
        if role.strip() not in BASE_ROLES or seconds <= 0:
            raise ConfigurationError(
                f"{ENV_PREFIX}TOKEN_MAX_TTL must look like staff=30d,municipality=30d,operator=1d, got {text!r}")
        lifetimes[role.strip()] = seconds
    return lifetimes


def parse_rate_limit_setting(text: str) -> str:
    from shared.ratelimit import parse_rate_limit

    try:
        parse_rate_limit(text)
    except ValueError as error:
        raise ConfigurationError(f"{ENV_PREFIX}PUBLIC_RATE_LIMIT: {error}") from None
    return text


def parse_delays(text: str) -> tuple[float, ...]:
    try:
        delays = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError:
        raise ConfigurationError(f"{ENV_PREFIX}RETRY_DELAYS must be comma-separated seconds, got {text!r}")
    if any(d <= 0 for d in delays):
        raise ConfigurationError(f"{ENV_PREFIX}RETRY_DELAYS must be positive, got {text!r}")
    return delays


@dataclass(frozen=True)
class Settings:
    mode: str  # "embedded" or "distributed"
    services: tuple[str, ...]
    amqp_uri: str
    database_urls: Mapping[str, str]
    auth_secret: str
    http_address: str
    ops_address: str
    smtp_url: str | None = None
    smtp_fallback_url: str | None = None
    mailbox_dir: Path | None = None
    data_dir: Path | None = None
    retry_delays: tuple[float, ...] = (1.0, 10.0, 60.0)
    queue_type: str = "classic"
    relay_interval: float = 0.5
    mail_from: str = "Savivalda <noreply@savivalda.local>"
    public_url: str = "http://127.0.0.1:8000"
    log_level: str = "INFO"
    max_workers: int = 10
    timer_interval: float = 60.0
    # A message the broker delivered this many times without an outcome (the process handling it
    # died each time) is parked as a dead letter instead of being delivered again.
    max_redeliveries: int = 5
    # Inbox rows (consumer, event id) older than this are pruned by the outbox relay's housekeeping.
    inbox_retention_days: float = 30.0
    # Issue 13 (docs/security.md): token lifetimes, webhook targets, rate limits of public routes.
    token_max_ttl: Mapping[str, int] = field(default_factory=lambda: dict(MAX_TOKEN_LIFETIME))
    webhook_allowed_hosts: tuple[str, ...] = ()
    trusted_proxies: tuple[str, ...] = ()
    public_rate_limit: str = "60/minute"
    # HTTP input limits (docs/security.md, "Limits and fuzzing")
    max_body_bytes: int = 1 << 20
    http_header_timeout: float = 10.0
    http_body_timeout: float = 30.0
    http_max_connections: int = 1000
    # Grants' documents (docs/grants.md, "Documents"): the folder the files are kept in and the
    # largest file accepted. Embedded: <data folder>/documents; a container: a volume (deploy/).
    documents_dir: Path | None = None
    document_max_bytes: int = 10 << 20
    # Enrollment's feedback reports show results only from this many answers up (docs/enrollment.md).
    feedback_min_answers: int = 5
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def embedded(self) -> bool:
        return self.mode == "embedded"

    @property
    def max_attempts(self) -> int:
        """First delivery plus one retry per configured delay."""
        return len(self.retry_delays) + 1

    def database_url(self, service: str) -> str:
        try:
            return self.database_urls[service]
        except KeyError:
            raise ConfigurationError(f"{database_url_variable(service)} is not set") from None

    def with_changes(self, **changes) -> "Settings":
        return replace(self, **changes)

    def nameko_config(self) -> dict:
        """The dict nameko containers get; extensions find these settings under "SAVIVALDA"."""
        config = {
            "AMQP_URI": self.amqp_uri,
            "WEB_SERVER_ADDRESS": self.http_address,
            "max_workers": self.max_workers,
            "SERIALIZER": "json",
            "ACCEPT": ["json", "cloudevents"],
            "SAVIVALDA": self,
        }
        if self.embedded:
            # kombu's virtual transports poll once a second by default.
            config["TRANSPORT_OPTIONS"] = {"polling_interval": 0.005}
        else:
            config["HEARTBEAT"] = 30
        return config


def _env(env: Mapping[str, str], name: str, default: str | None = None) -> str | None:
    value = env.get(ENV_PREFIX + name)
    return value if value not in (None, "") else default


def _common(env: Mapping[str, str]) -> dict:
    return dict(
        retry_delays=parse_delays(_env(env, "RETRY_DELAYS", "1,10,60")),
        queue_type=_env(env, "QUEUE_TYPE", "classic"),
        relay_interval=float(_env(env, "RELAY_INTERVAL", "0.5")),
        mail_from=_env(env, "MAIL_FROM", "Savivalda <noreply@savivalda.local>"),
        log_level=_env(env, "LOG_LEVEL", "INFO").upper(),
        max_workers=int(_env(env, "MAX_WORKERS", "10")),
        timer_interval=float(_env(env, "TIMER_INTERVAL", "60")),
        inbox_retention_days=_positive(env, "INBOX_RETENTION_DAYS", "30", float),
        max_redeliveries=_positive(env, "MAX_REDELIVERIES", "5", int),
        token_max_ttl=parse_token_lifetimes(_env(env, "TOKEN_MAX_TTL", "")),
        webhook_allowed_hosts=parse_list(_env(env, "WEBHOOK_ALLOWED_HOSTS", "")),
        trusted_proxies=parse_networks(_env(env, "TRUSTED_PROXIES", ""), "TRUSTED_PROXIES"),
        public_rate_limit=parse_rate_limit_setting(_env(env, "PUBLIC_RATE_LIMIT", "60/minute")),
        max_body_bytes=_positive(env, "MAX_BODY_BYTES", "1048576", int),
        http_header_timeout=_positive(env, "HTTP_HEADER_TIMEOUT", "10", float),
        http_body_timeout=_positive(env, "HTTP_BODY_TIMEOUT", "30", float),
        http_max_connections=_positive(env, "HTTP_MAX_CONNECTIONS", "1000", int),
        document_max_bytes=_positive(env, "DOCUMENT_MAX_BYTES", str(10 << 20), int),
        feedback_min_answers=_feedback_threshold(env),
    )


FEEDBACK_MIN_ANSWERS_FLOOR = 3  # a lower anonymity threshold would show one or two people's answers


def _feedback_threshold(env: Mapping[str, str]) -> int:
    text = _env(env, "FEEDBACK_MIN_ANSWERS", "5")
    value = int(text) if text.strip().isdigit() else 0
    if value < FEEDBACK_MIN_ANSWERS_FLOOR:
        raise ConfigurationError(f"{ENV_PREFIX}FEEDBACK_MIN_ANSWERS must be a whole number of at least "
                                 f"{FEEDBACK_MIN_ANSWERS_FLOOR}, got {text!r}")
    return value


def _positive(env: Mapping[str, str], name: str, default: str, kind: type):
    text = _env(env, name, default)
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise ConfigurationError(f"{ENV_PREFIX}{name} must be a positive {kind.__name__}, got {text!r}")
    return value


def distributed_settings(services: tuple[str, ...], env: Mapping[str, str] | None = None) -> Settings:
    """Settings for `savivalda run <service> ...`, exactly as a container gets them."""
    env = os.environ if env is None else env
    unknown = [s for s in services if s not in SERVICE_NAMES]
    if unknown:
        raise ConfigurationError(f"unknown service(s) {', '.join(unknown)}; choose from {', '.join(SERVICE_NAMES)}")
    amqp_uri = _env(env, "AMQP_URI")
    if not amqp_uri or amqp_uri.startswith("memory://"):
        raise ConfigurationError(f"{ENV_PREFIX}AMQP_URI must name the RabbitMQ broker (amqp://user:pass@host:5672/vhost)")
    missing = [database_url_variable(s) for s in services if not env.get(database_url_variable(s))]
    if missing:
        raise ConfigurationError(f"missing database URL(s): {', '.join(missing)}")
    smtp_url = _env(env, "SMTP_URL")
    if "notifications" in services and not smtp_url:
        raise ConfigurationError(f"{ENV_PREFIX}SMTP_URL is required to run notifications (smtp://host:25)")
    queue_type = _env(env, "QUEUE_TYPE", "classic")
    if queue_type not in ("classic", "quorum"):
        raise ConfigurationError(f"{ENV_PREFIX}QUEUE_TYPE must be classic or quorum, got {queue_type!r}")
    http_address = _env(env, "HTTP_ADDRESS", "0.0.0.0:8000")
    return Settings(
        mode="distributed",
        services=tuple(services),
        amqp_uri=amqp_uri,
        database_urls={s: env[database_url_variable(s)] for s in services},
        auth_secret=check_secret(_env(env, "AUTH_SECRET")),
        http_address=http_address,
        ops_address=_env(env, "OPS_ADDRESS", "0.0.0.0:9100"),
        smtp_url=smtp_url,
        smtp_fallback_url=_env(env, "SMTP_FALLBACK_URL"),
        public_url=_env(env, "PUBLIC_URL", f"http://{http_address.replace('0.0.0.0', '127.0.0.1')}"),
        documents_dir=Path(_env(env, "DOCUMENTS_DIR", "savivalda-documents")).resolve(),
        **_common(env),
    )


def operator_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Settings for operator commands (migrate, dlq) against the distributed system: the broker and
    whichever databases are configured; no secret or SMTP needed."""
    env = os.environ if env is None else env
    amqp_uri = _env(env, "AMQP_URI")
    if not amqp_uri:
        raise ConfigurationError(f"{ENV_PREFIX}AMQP_URI is not set")
    urls = {s: env[database_url_variable(s)] for s in SERVICE_NAMES if env.get(database_url_variable(s))}
    return Settings(
        mode="distributed", services=tuple(urls), amqp_uri=amqp_uri, database_urls=urls, auth_secret="",
        http_address="", ops_address="", **_common(env),
    )


def embedded_settings(data_dir: Path | str | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """Settings for `savivalda run` with no configuration: everything under one data folder."""
    env = os.environ if env is None else env
    data = Path(data_dir or _env(env, "DATA_DIR", "savivalda-data")).resolve()
    private_data_folder(data)
    http_address = _env(env, "HTTP_ADDRESS", "127.0.0.1:8000")
    return Settings(
        mode="embedded",
        services=SERVICE_NAMES,
        amqp_uri="memory://",
        database_urls={s: f"sqlite:///{data / (s + '.sqlite3')}" for s in SERVICE_NAMES},
        auth_secret=embedded_secret(data),
        http_address=http_address,
        ops_address=_env(env, "OPS_ADDRESS", "127.0.0.1:9100"),
        mailbox_dir=data / "mailbox",
        data_dir=data,
        documents_dir=Path(_env(env, "DOCUMENTS_DIR", str(data / "documents"))).resolve(),
        public_url=_env(env, "PUBLIC_URL", f"http://{http_address}"),
        **_common(env),
    )


def private_data_folder(data: Path) -> None:
    """The embedded data folder holds personal data (SQLite files, e-mails): the folder and the
    mailbox are made 0700, each service's SQLite file is created empty with 0600 before SQLite
    opens it (SQLite gives its -wal, -shm and -journal files the database file's mode), and
    files left readable by an older version are narrowed to the owner."""
    data.mkdir(mode=0o700, parents=True, exist_ok=True)
    (data / "mailbox").mkdir(mode=0o700, exist_ok=True)
    for folder in (data, data / "mailbox"):
        os.chmod(folder, 0o700)
    for service in SERVICE_NAMES:
        path = data / f"{service}.sqlite3"
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
    for path in data.glob("*.sqlite3*"):  # e-mails are written 0600 already (mkstemp)
        if path.is_file() and path.stat().st_mode & 0o077:
            os.chmod(path, 0o600)


def embedded_secret(data_dir: Path) -> str:
    """The embedded mode's signing secret: made once, kept in the data folder (mode 0600)."""
    path = data_dir / "auth-secret"
    if not path.exists():
        # Created 0600 whatever the umask (touch(mode=) is narrowed by it, never widened past it).
        with os.fdopen(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
