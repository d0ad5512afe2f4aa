"""`savivalda`: run the services, migrate, issue tokens, handle dead letters, publish events.

Mode: with SAVIVALDA_AMQP_URI in the environment every command works on the distributed system
(RabbitMQ, one database per service); without it, on the embedded system: the data folder named
by --data-dir or SAVIVALDA_DATA_DIR, else ./savivalda-data, else the one embedded system running
for this user (services/runfile.py). No command but `run` and `migrate` makes a data folder.

Exit status: 0 done; 1 failed (configuration, no system to act on, an address in use, the broker
or a database unreachable, nothing matched); 2 the command line is wrong (an unknown command,
option, service, role or duration, an invalid e-mail address or event file).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from pathlib import Path


def _patch():
    from shared.green import patch

    patch()


EXIT_FAILURE = 1
EXIT_USAGE = 2


class Failure(Exception):
    """A command that cannot be done; main() prints the message (no traceback) and exits 1."""


def _settings(args, create: bool = False):
    """Settings for operator commands: distributed when SAVIVALDA_AMQP_URI is set, else embedded."""
    from shared import config

    if os.environ.get("SAVIVALDA_AMQP_URI"):
        return config.operator_settings()
    return config.embedded_settings(_data_dir(args, create=create))


def _data_dir(args, create: bool = False) -> Path:
    """The embedded system's data folder (services/runfile.py); Failure when there is none."""
    from services import runfile

    try:
        path, found = runfile.locate_data_dir(getattr(args, "data_dir", None), create=create)
    except runfile.DataFolderError as error:
        raise Failure(str(error)) from None
    if found == "running":
        _note(f"using the data folder of the running embedded system: {path}")
    return path


def _running(data_dir: Path):
    from services import runfile

    return runfile.running_on(data_dir)


def _note(message: str) -> None:
    print(f"savivalda: {message}", file=sys.stderr)


def _fail(message: str) -> int:
    print(f"savivalda: {message}", file=sys.stderr)
    return EXIT_FAILURE


def _usage(message: str) -> int:
    print(f"savivalda: {message}", file=sys.stderr)
    return EXIT_USAGE


def _unknown_services(names) -> int | None:
    from shared.config import SERVICE_NAMES

    unknown = [name for name in names if name not in SERVICE_NAMES]
    if unknown:
        return _usage(f"unknown service{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                      f"the services are {', '.join(SERVICE_NAMES)}")
    return None


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("savivalda")
    except PackageNotFoundError:  # pragma: no cover - running from a checkout without installing
        return "unknown"


# ---------------------------------------------------------------- run

def cmd_run(args) -> int:
    # No garbage collection while the process imports and starts its services (services/runner.py
    # serve: gc.freeze() and gc.enable() once started): the ~200,000 objects a start makes are
    # long-lived, and collecting them on the way was ~15 % of a start's CPU.
    gc.disable()
    try:
        return _run(args)
    finally:
        gc.enable()


def _run(args) -> int:
    _patch()
    from services.runner import serve
    from shared import config

    refused = _unknown_services(args.services)
    if refused:
        return refused
    try:
        if args.services:
            settings = config.distributed_settings(tuple(args.services))
        else:
            settings = config.embedded_settings(args.data_dir)
        overrides = {k: v for k, v in (("http_address", args.http), ("ops_address", args.ops)) if v}
        if overrides:
            settings = settings.with_changes(**overrides)
            if "http_address" in overrides and settings.embedded:
                settings = settings.with_changes(public_url=f"http://{settings.http_address}")
        return serve(settings, banner=print_banner if settings.embedded else None)
    except config.ConfigurationError as error:
        return _fail(str(error))


def print_banner(settings, process) -> None:
    from shared.auth import issue_token

    token = issue_token(settings.auth_secret, subject="embedded-staff", role="staff", ttl_seconds=12 * 3600)
    http = f"http://{settings.http_address}"
    ops = f"http://{settings.ops_address}"
    services = ", ".join(f"{http}/{s}/openapi.json" for s in settings.services)
    print(f"""
Savivalda is running: all four services in this process (embedded mode, no broker or database needed).

  HTTP API     {http}/
  OpenAPI      {services}
  Metrics      {ops}/metrics
  Health       {ops}/health/ready
  Data folder  {settings.data_dir}  (one SQLite database per service)
  Mailbox      {settings.mailbox_dir}  (e-mails are written here as .eml files)

  Staff token (valid 12 hours; more with `savivalda token --role staff`):
  {token}

Try:
  export TOKEN={token}
  curl -H "Authorization: Bearer $TOKEN" {http}/enrollment/courses

Stop with Ctrl+C.
""", flush=True)


# ---------------------------------------------------------------- migrate

def cmd_migrate(args) -> int:
    _patch()
    from services.runner import declare_topology, migrate
    from shared import config
    from shared.observability import configure_logging

    configure_logging("WARNING")
    refused = _unknown_services(args.services)
    if refused:
        return refused
    try:
        settings = _settings(args, create=True)
    except config.ConfigurationError as error:
        return _fail(str(error))
    services = tuple(args.services) if args.services else tuple(settings.database_urls)
    if not services:
        return _fail("no database URL configured (SAVIVALDA_<SERVICE>_DATABASE_URL)")
    try:
        migrate(settings, services)
        print(f"migrated: {', '.join(services)}")
        if not settings.embedded:
            declare_topology(settings, services)
            print(f"declared broker queues and exchanges: {', '.join(services)}")
    except config.ConfigurationError as error:
        return _fail(str(error))
    return 0


# ---------------------------------------------------------------- token

def cmd_token(args) -> int:
    from shared import config
    from shared.auth import issue_token, parse_role

    try:
        parse_role(args.role)
    except ValueError as error:
        return _usage(str(error))
    secret = os.environ.get("SAVIVALDA_AUTH_SECRET")
    try:
        if secret:
            config.check_secret(secret)
        else:
            # The running system's secret (or that of the data folder named): never a new one,
            # which would sign tokens no running system accepts.
            secret = config.embedded_settings(_data_dir(args)).auth_secret
    except config.ConfigurationError as error:
        return _fail(str(error))
    try:  # a lifetime beyond the role's maximum (SAVIVALDA_TOKEN_MAX_TTL) is refused
        token = issue_token(secret, subject=args.subject, role=args.role, ttl_seconds=args.ttl,
                            max_lifetimes=config.parse_token_lifetimes(os.environ.get("SAVIVALDA_TOKEN_MAX_TTL", "")))
    except (ValueError, config.ConfigurationError) as error:
        return _usage(str(error))
    print(token)
    return 0


def parse_duration(text: str) -> int:
    """Seconds in `90`, `90s`, `30m`, `8h` or `7d` (argparse type: a bad value is a usage error)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    cleaned = text.strip().lower()
    number, unit = (cleaned[:-1], units[cleaned[-1]]) if cleaned[-1:] in units else (cleaned, 1)
    try:
        seconds = int(float(number) * unit)
    except (ValueError, OverflowError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration; write e.g. 90s, 30m, 8h or 7d") from None
    if seconds <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: a lifetime must be positive")
    return seconds


# ---------------------------------------------------------------- dlq

def cmd_dlq(args) -> int:
    _patch()
    from services.runner import migrate
    from shared import config
    from shared.broker import broker_for

    if args.service:
        refused = _unknown_services([args.service])
        if refused:
            return refused
    selectors = getattr(args, "ids", None) or None
    if args.action in ("replay", "purge") and not selectors and not args.all:
        return _usage(f"name the dead letters to {args.action} (ids or event ids) or pass --all")
    if selectors and getattr(args, "all", False):
        return _usage("name dead letters or pass --all, not both")
    try:
        settings = _settings(args)
    except config.ConfigurationError as error:
        return _fail(str(error))
    services = [args.service] if args.service else list(config.SERVICE_NAMES)
    if settings.embedded:
        migrate(settings, tuple(services))  # a data folder the system never ran in has no tables yet
    brokers = [broker_for(settings, service) for service in services]
    where = f" of {args.service}" if args.service else ""
    if args.action in ("list", "show"):
        letters = [letter for broker in brokers for letter in broker.dead_letters()
                   if not selectors or any(letter.matches(s) for s in selectors)]
        if selectors and not letters:
            return _fail("no dead letter matches " + ", ".join(selectors))
        if not letters:
            _note(f"no dead letters{where}")
            return 0
        for letter in letters:
            if args.action == "list":
                print(json.dumps(letter.summary(), ensure_ascii=False))
            else:
                print(json.dumps({**letter.summary(), "queue": letter.queue, "headers": letter.headers,
                                  "body": letter.json_body()}, ensure_ascii=False, indent=2))
        return 0
    if args.action == "purge" and args.all:
        count = sum(len(broker.dead_letters()) for broker in brokers)
        if not count:
            _note(f"no dead letters{where}; nothing purged")
            return 0
        if not args.yes:
            question = f"delete all {count} dead letter(s){where}? They cannot be replayed afterwards."
            if not sys.stdin.isatty():
                return _usage(f"{question} Confirm with --yes (no terminal to ask on)")
            print(f"{question} [y/N] ", end="", file=sys.stderr, flush=True)
            answer = sys.stdin.readline().strip().lower()
            if answer not in ("y", "yes"):
                return _fail("not confirmed; nothing purged")
    total = 0
    for broker in brokers:
        total += broker.replay(selectors) if args.action == "replay" else broker.purge(selectors)
        broker.close()
    if selectors and not total:
        return _fail("no dead letter matches " + ", ".join(selectors))
    verb = {"replay": "replayed", "purge": "purged"}[args.action]
    if args.action == "replay" and brokers[0].replay_deferred:
        running = _running(settings.data_dir)
        verb = "replay requested for"  # the running process republishes them within a second
        if running is None and total:
            _note(f"no embedded system runs on {settings.data_dir}: they are replayed when it starts")
    print(f"{verb} {total} dead letter(s)")
    return 0


# ---------------------------------------------------------------- events

def cmd_events(args) -> int:
    if args.action == "publish":
        return publish_event_file(args)  # patches eventlet before the event models are imported
    from shared.events import catalogue_docs

    if args.action == "schemas":
        schemas = catalogue_docs.json_schemas()
        if args.out:
            out = Path(args.out)
            out.mkdir(parents=True, exist_ok=True)
            for name, schema in schemas.items():
                (out / f"{name}.json").write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n")
            print(f"wrote {len(schemas)} schemas to {out}")
        else:
            print(json.dumps(schemas, indent=2, ensure_ascii=False))
        return 0
    if args.action == "docs":
        sys.stdout.write(catalogue_docs.markdown())
        return 0
    if args.action == "asyncapi":
        print(json.dumps(catalogue_docs.asyncapi(), indent=2, ensure_ascii=False))
        return 0
    raise AssertionError(args.action)


def publish_event_file(args) -> int:
    """Validate the file, then publish it: to RabbitMQ with SAVIVALDA_AMQP_URI, else into the
    embedded system (its enrollment outbox, which the running process publishes)."""
    _patch()
    from shared.events.publisher import EventPublisher, PublishRefused, envelope_from_document

    try:
        document = json.loads(Path(args.file).read_text())
    except (OSError, ValueError) as error:
        return _usage(f"cannot read {args.file}: {error}")
    try:
        envelope = envelope_from_document(document, source=args.source)
    except PublishRefused as error:
        return _usage(str(error))
    amqp_uri = os.environ.get("SAVIVALDA_AMQP_URI")
    if not amqp_uri:
        data_dir = _queue_in_embedded_outbox(args, envelope)
        print(json.dumps({"published": str(envelope.id), "type": envelope.type, "exchange": envelope.exchange,
                          "routing_key": envelope.routing_key, "embedded": str(data_dir)}))
        return 0
    try:
        with EventPublisher(amqp_uri) as publisher:
            routed = publisher.publish(envelope)
    except PublishRefused as error:
        return _fail(str(error))
    print(json.dumps({"published": str(envelope.id), "type": envelope.type, "exchange": envelope.exchange,
                      "routing_key": envelope.routing_key, "routed": routed}))
    return 0


def _queue_in_embedded_outbox(args, envelope) -> Path:
    """Put an event in the embedded system's enrollment outbox; its relay publishes it."""
    from services.runner import migrate
    from shared import config
    from shared.persistence.unit_of_work import unit_of_work

    settings = config.embedded_settings(_data_dir(args))
    migrate(settings, ("enrollment",))
    with unit_of_work(settings.database_url("enrollment"), "enrollment", envelope.correlationid) as uow:
        uow.add_envelope(envelope)
        uow.commit()
    if _running(settings.data_dir) is None:
        _note(f"no embedded system runs on {settings.data_dir}: the event waits there and is published "
              f"when it starts (`savivalda --data-dir {settings.data_dir} run`)")
    return settings.data_dir


# ---------------------------------------------------------------- privacy

def cmd_privacy(args) -> int:
    """Publish privacy.erasure_requested; each service erases what it holds for the address."""
    _patch()
    import uuid

    from shared.events import new_envelope
    from shared.events.privacy import ErasureRequested
    from pydantic import ValidationError

    try:
        request = ErasureRequested(request_id=uuid.uuid4(), email=args.email.strip(), requested_by=args.requested_by,
                                   reason=args.reason)
    except ValidationError as error:
        return _usage("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in error.errors()))
    envelope = new_envelope(request, source="savivalda/cli", correlation_id=f"privacy-{request.request_id}",
                            subject=str(request.request_id))
    if os.environ.get("SAVIVALDA_AMQP_URI"):
        from shared.events.publisher import EventPublisher, PublishRefused

        try:
            with EventPublisher(os.environ["SAVIVALDA_AMQP_URI"]) as publisher:
                publisher.publish(envelope)
        except PublishRefused as error:
            return _fail(str(error))
    else:
        # Embedded: the running process (or its next start) publishes it from enrollment's outbox.
        _queue_in_embedded_outbox(args, envelope)
    print(json.dumps({"request_id": str(request.request_id), "event_id": str(envelope.id),
                      "type": envelope.type}))
    return 0


# ---------------------------------------------------------------- parser

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="savivalda", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"savivalda {_version()}")
    parser.add_argument("--data-dir", help="embedded mode's data folder (default: SAVIVALDA_DATA_DIR, ./savivalda-data "
                                           "or the running embedded system's)")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="run services (no names: all four embedded in this process)")
    run.add_argument("services", nargs="*", help="distributed mode: the services this process runs")
    run.add_argument("--http", help="HTTP API address host:port")
    run.add_argument("--ops", help="metrics and health address host:port")
    run.set_defaults(func=cmd_run)

    migrate = commands.add_parser("migrate", help="bring databases to the code's schema (and declare broker queues)")
    migrate.add_argument("services", nargs="*")
    migrate.set_defaults(func=cmd_migrate)

    token = commands.add_parser("token", help="issue a bearer token")
    token.add_argument("--role", required=True, help="staff, operator or municipality:<code>")
    token.add_argument("--subject", default="cli-user", help="who the token is for")
    token.add_argument("--ttl", default="8h", type=parse_duration, help="lifetime, e.g. 30m, 8h, 7d")
    token.set_defaults(func=cmd_token)

    dlq = commands.add_parser("dlq", help="dead letters: list, show, replay, purge")
    dlq_actions = dlq.add_subparsers(dest="action", required=True)
    for action, text in (("list", "list dead letters"), ("show", "show dead letters in full (no ids: all)"),
                         ("replay", "send dead letters back to their queue"), ("purge", "delete dead letters")):
        sub = dlq_actions.add_parser(action, help=text)
        sub.add_argument("--service", help="only this service's dead letters")
        if action != "list":
            sub.add_argument("ids", nargs="*", help="dead-letter ids (a prefix is enough) or event ids")
        if action in ("replay", "purge"):
            sub.add_argument("--all", action="store_true", help="every dead letter (of --service)")
        if action == "purge":
            sub.add_argument("--yes", action="store_true", help="purge --all without asking")
    dlq.set_defaults(func=cmd_dlq)

    events = commands.add_parser("events", help="the event contract")
    event_actions = events.add_subparsers(dest="action", required=True)
    schemas = event_actions.add_parser("schemas", help="JSON Schema of every event type")
    schemas.add_argument("--out", help="write one file per type into this folder")
    event_actions.add_parser("docs", help="the event catalogue as Markdown (docs/events.md)")
    event_actions.add_parser("asyncapi", help="the AsyncAPI document of every exchange and event")
    publish = event_actions.add_parser("publish", help="validate and publish an event from a JSON file")
    publish.add_argument("file", help="a full CloudEvents envelope, or {type, data[, subject, correlationid]}")
    publish.add_argument("--source", default="savivalda/cli", help="CloudEvents source when the file has none")
    events.set_defaults(func=cmd_events)

    privacy = commands.add_parser("privacy", help="personal data requests")
    privacy_actions = privacy.add_subparsers(dest="action", required=True)
    erase = privacy_actions.add_parser("erase", help="ask every service to forget a person (by e-mail)")
    erase.add_argument("email")
    erase.add_argument("--requested-by", default=os.environ.get("USER", "operator"), help="who records the request")
    erase.add_argument("--reason", help="e.g. the person's written request number")
    privacy.set_defaults(func=cmd_privacy)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)  # usage errors exit 2 here
    try:
        code = args.func(args)
        sys.stdout.flush()
        return code
    except Failure as failure:
        return _fail(str(failure))
    except BrokenPipeError:
        # The reader went away (`savivalda events schemas | head`): stop quietly, as `cat` does.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 128 + 13  # 128 + SIGPIPE, what a shell reports for a command a closed pipe stopped
    except KeyboardInterrupt:
        return 130
    except Exception as error:
        unreachable = _unreachable(error)
        if unreachable:
            return _fail(unreachable)
        raise


def _unreachable(error: Exception) -> str | None:
    """A broker or database that does not answer is a failure to report, not a bug to trace."""
    from shared.config import ConfigurationError

    if isinstance(error, ConfigurationError):
        return str(error)
    try:
        from kombu.exceptions import OperationalError as BrokerError
        from sqlalchemy.exc import OperationalError as DatabaseError
    except ImportError:  # pragma: no cover
        return None
    if isinstance(error, BrokerError) or (isinstance(error, OSError) and os.environ.get("SAVIVALDA_AMQP_URI")):
        return f"cannot reach the broker (SAVIVALDA_AMQP_URI): {error}"
    if isinstance(error, DatabaseError):
        return f"cannot use the database: {getattr(error, 'orig', error)}"
    return None


if __name__ == "__main__":
    sys.exit(main())
