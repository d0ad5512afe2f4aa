"""The HTTP API layer: routes with validated input, bearer auth, problem+json errors and metrics.

    class Enrollment(ServiceBase):
        @route("POST", "/enrollment/courses", roles=("staff",), body=CourseIn, response=CourseOut,
               status=201)
        def create_course(self, request, body, principal): ...

All services of a process share one listening socket (`HttpFrontend`): nameko's own WebServer
is per container, which would make four embedded services fight over one port. The frontend
also serves /health/live, /health/ready, /<service>/health/*, /<service>/openapi.json.

Errors are RFC 9457 problem documents: 400 malformed JSON, 401 missing/invalid token, 403 wrong
role or municipality, 404, 405, 409 conflict, 415 not JSON, 422 invalid fields (each named in
`errors[].field`), 503 with Retry-After when the database cannot be reached
(`database_unavailable`) or the connection was lost during COMMIT (`commit_outcome_unknown`: retry
with the same Idempotency-Key), 500 with only the correlation id.

On SIGTERM the runner calls `HttpFrontend.drain` before nameko stops the entrypoints: the
listening socket closes, the accepted requests are answered, then the routes go
(docs/reliability.md).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
import re
import time
import uuid
from functools import partial
from typing import Any, get_args, get_origin

import eventlet
from eventlet import greenio, wsgi
from eventlet.event import Event
from nameko.extensions import Entrypoint, ProviderCollector, SharedExtension, register_entrypoint
from nameko.web.server import parse_address
from prometheus_client import Counter
from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.routing import BaseConverter, Map, Rule
from werkzeug.wrappers import Request, Response

from shared.auth import InvalidToken, Principal, decode_token
from shared.errors import DomainError, Problem, validation_problem
from shared.limits import PATH_SEGMENT, JsonLimitError, has_control_characters, read_json
from shared.observability import HEALTH, HTTP_DURATION, HTTP_REJECTED, HTTP_REQUESTS, HTTP_UNHANDLED
from shared.pages import problem_page, wants_html
from shared.ratelimit import RateLimits, enforce as enforce_rate_limit, route_limit
from shared.tenancy import declared_scopes, guard

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION_OK = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")


DATABASE_RETRY_AFTER = 5  # seconds; a PostgreSQL restart or fail-over takes a few of them

HTTP_DATABASE_UNAVAILABLE = Counter(
    "savivalda_http_database_unavailable_total",
    "HTTP requests answered 503 because the database could not be reached (database_unavailable) or the "
    "connection was lost during COMMIT (commit_outcome_unknown)",
    ["service", "code"],
)


def database_unavailable(exc: BaseException) -> bool:
    """The database could not be reached or dropped the connection: refused, closed by the server,
    terminated by an administrator, not accepting connections, no pooled connection in time."""
    from sqlalchemy import exc as sa_exc

    if isinstance(exc, sa_exc.TimeoutError):  # the pool had no connection to give in time
        return True
    if isinstance(exc, sa_exc.DBAPIError):
        if exc.connection_invalidated:
            return True
        exc = exc.orig
    try:
        import psycopg2
    except ImportError:  # pragma: no cover - psycopg2 is a dependency
        return False
    return isinstance(exc, psycopg2.OperationalError)


def problem_from_exception(exc: BaseException) -> Problem:
    if isinstance(exc, Problem):
        return exc
    from shared.persistence.unit_of_work import CommitOutcomeUnknown

    if isinstance(exc, CommitOutcomeUnknown):
        return Problem(503, "Commit outcome unknown",
                       "the database connection was lost while the change was being committed; it may or may not "
                       "have been saved: retry with the same Idempotency-Key to find out (a route without one: "
                       "read the resource before retrying)",
                       code="commit_outcome_unknown", headers={"Retry-After": str(DATABASE_RETRY_AFTER)})
    if database_unavailable(exc):
        return Problem(503, "Database unavailable", "the database cannot be reached; retry after a few seconds",
                       code="database_unavailable", headers={"Retry-After": str(DATABASE_RETRY_AFTER)})
    if isinstance(exc, DomainError):
        errors = [{"field": exc.field, "location": "body", "message": exc.detail}] if exc.field else []
        return Problem(exc.status, exc.title, exc.detail, code=exc.code or type(exc).__name__.lower(), errors=errors)
    if isinstance(exc, ValidationError):
        return validation_problem(exc, "body")
    return Problem(500, "Internal server error", "the error was logged with this request's correlation id",
                   code="internal")


class PreparedJson(bytes):
    """A JSON document a use case has already encoded (UTF-8, from parts it keeps between requests)
    and keeps to answer the same question again; json_response sends it as it is. A route returning
    one answers with its strong ETag (a digest of these very bytes, after `scope`, e.g. the tenant
    it was made for), 304 to an If-None-Match naming it (in either encoding), and its gzip encoding
    (made on first use and kept with it) to a client that accepts gzip; with `Vary: Accept-Encoding`
    and `Cache-Control: private, no-cache` (a client's own cache may keep it and ask again; no shared
    cache may: the answers are per token). Decoded, the body is the same either way."""

    GZIP_LEVEL = 5

    def __new__(cls, document: str | bytes, scope: str = "", *, etag: str | None = None,
                gzipped: bytes | None = None):
        """`etag`, `gzipped`: what an earlier PreparedJson of these very bytes had (a use case that
        makes the same document again and kept them), so neither is made again."""
        prepared = super().__new__(cls, document.encode() if isinstance(document, str) else document)
        if etag is None:
            digest = hashlib.sha256(prepared).hexdigest()[:32]
            etag = f'"{scope}-{digest}"' if scope else f'"{digest}"'
        prepared.etag = etag
        prepared._gzipped = gzipped
        return prepared

    @property
    def gzip_etag(self) -> str:
        return self.etag[:-1] + '-gzip"'

    def gzipped(self, make: bool = True) -> bytes | None:
        """The gzip encoding, made on first use (`make=False`: None if no client asked for it yet)."""
        if self._gzipped is None and make:  # (two green threads may make it at once: the same bytes)
            self._gzipped = gzip.compress(self, self.GZIP_LEVEL, mtime=0)
        return self._gzipped

    def matches(self, request: Request) -> bool:
        """If-None-Match names this document, in either encoding (or is `*`)."""
        tags = request.if_none_match
        return bool(tags) and (tags.star_tag or tags.contains_weak(self.etag[1:-1])
                               or tags.contains_weak(self.gzip_etag[1:-1]))


class NotModified:
    """A use case's answer that the client's copy is current: it named `etag` (a PreparedJson's, as
    `client_etags` spells it) in If-None-Match; answered 304 like the document it stands for."""

    def __init__(self, etag: str):
        self.etag = etag
        self.gzip_etag = etag[:-1] + '-gzip"'


def client_etags(request: Request | None) -> frozenset[str]:
    """The entity tags a GET's If-None-Match names, quoted, without W/ or the gzip suffix (as
    PreparedJson.etag spells them): for a use case that keeps its documents' ETags longer than the
    documents and can say NotModified without making the document again."""
    if request is None or request.method not in ("GET", "HEAD"):
        return frozenset()
    tags = request.if_none_match
    return frozenset(f'"{t[:-5] if t.endswith("-gzip") else t}"' for t in tags.as_set(include_weak=True))


def prepared_response(request: Request, document: PreparedJson | NotModified, status: int = 200,
                      headers: dict | None = None) -> Response:
    """`document` as the client asked for it: 304 when it already has it, gzip when it accepts it."""
    wants_gzip = request.accept_encodings.quality("gzip") > 0
    headers = {**(headers or {}), "ETag": document.gzip_etag if wants_gzip else document.etag,
               "Vary": "Accept-Encoding", "Cache-Control": "private, no-cache"}
    if isinstance(document, NotModified) or (
            status == 200 and request.method in ("GET", "HEAD") and document.matches(request)):
        return Response(status=304, headers=headers)
    if wants_gzip:
        headers["Content-Encoding"] = "gzip"
        return Response(document.gzipped(), status=status, headers=headers,
                        content_type="application/json; charset=utf-8")
    return Response(document, status=status, headers=headers, content_type="application/json; charset=utf-8")


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
    if isinstance(payload, PreparedJson):
        body = payload
    else:
        body = json.dumps(to_jsonable_python(payload), ensure_ascii=False)
    return Response(body, status=status, headers=headers, content_type="application/json; charset=utf-8")


def problem_response(problem: Problem, instance: str, correlation_id: str) -> Response:
    body = json.dumps(problem.document(instance, correlation_id), ensure_ascii=False)
    headers = {CORRELATION_HEADER: correlation_id, **problem.headers}
    return Response(body, status=problem.status, headers=headers, content_type=PROBLEM_TYPE)


def _is_list_field(model: type[BaseModel], name: str) -> bool:
    field = model.model_fields.get(name)
    if field is None:
        return False
    annotation = field.annotation
    if get_origin(annotation) in (list, tuple, set):
        return True
    return any(get_origin(arg) in (list, tuple, set) for arg in get_args(annotation))


DEFAULT_MAX_BODY_BYTES = 1 << 20
# What a multipart/form-data envelope may add around an upload's file (boundaries, part headers, a few
# small fields); the file itself is held to its own limit by the handler.
UPLOAD_OVERHEAD_BYTES = 64 << 10


def body_too_large(max_bytes: int) -> Problem:
    HTTP_REJECTED.labels("body_too_large").inc()
    return Problem(413, "Content too large", f"the body is larger than {max_bytes} bytes", code="body_too_large",
                   headers={"Connection": "close"})


def read_body(request: Request, max_bytes: int = DEFAULT_MAX_BODY_BYTES, timeout: float | None = None) -> bytes:
    """The request body, read in chunks and refused (413) beyond max_bytes; the whole body must
    arrive within `timeout` seconds (408)."""
    cached = getattr(request, "_cached_data", None)
    if cached is not None:
        return cached
    length = request.content_length
    if length is not None and length > max_bytes:
        raise body_too_large(max_bytes)
    chunked = "chunked" in request.headers.get("Transfer-Encoding", "").lower()
    stream = request.environ["wsgi.input"] if chunked and length is None else request.stream
    chunks, size = [], 0
    timer = eventlet.Timeout(timeout) if timeout else None
    try:
        while True:
            chunk = stream.read(min(65536, max_bytes + 1 - size))
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                _close_after_response(request)
                raise body_too_large(max_bytes)
            chunks.append(chunk)
    except eventlet.Timeout as error:
        if error is not timer:
            raise
        HTTP_REJECTED.labels("body_timeout").inc()
        _close_after_response(request)
        raise Problem(408, "Request timeout", f"the body did not arrive within {timeout:g} s", code="body_timeout",
                      headers={"Connection": "close"}) from None
    except OSError:  # the client went away, or a read waited longer than the socket timeout
        HTTP_REJECTED.labels("body_timeout").inc()
        _close_after_response(request)
        raise Problem(408, "Request timeout", "the body could not be read", code="body_timeout",
                      headers={"Connection": "close"}) from None
    finally:
        if timer is not None:
            timer.cancel()
    raw = b"".join(chunks)
    request._cached_data = raw  # request.get_data() returns it too
    return raw


def _close_after_response(request: Request) -> None:
    """Do not reuse a connection whose body was left unread (eventlet would read it all to discard it)."""
    protocol = request.environ.get("savivalda.protocol")
    if protocol is not None:
        protocol.close_connection = 1


def parse_body(request: Request, model: type[BaseModel], *, max_bytes: int = DEFAULT_MAX_BODY_BYTES,
               timeout: float | None = None) -> BaseModel:
    content_type = (request.mimetype or "").lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise Problem(415, "Unsupported media type", "send the body as application/json", code="media_type")
    raw = read_body(request, max_bytes, timeout)
    try:
        data = read_json(raw) if raw else None
    except JsonLimitError as error:
        errors = [{"field": "body", "location": "body", "message": str(error), "type": "json_limit"}]
        raise Problem(422, "Invalid request", f"the body exceeds a limit: {error}", code="json_limit",
                      errors=errors) from None
    except ValueError as error:  # not UTF-8, or not JSON
        raise Problem(400, "Malformed JSON", f"the body is not valid JSON: {error}", code="malformed_json") from None
    if not isinstance(data, dict):
        raise Problem(400, "Malformed JSON", "the body must be a JSON object", code="malformed_json")
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_problem(error, "body") from None


def parse_query(request: Request, model: type[BaseModel]) -> BaseModel:
    data = {}
    for key in request.args:
        values = request.args.getlist(key)
        if any(has_control_characters(v) for v in values):
            raise Problem(422, "Invalid request", f"invalid query: {key}", code="validation", errors=[{
                "field": key, "location": "query", "message": "control characters are not allowed",
                "type": "control_characters"}])
        data[key] = values if _is_list_field(model, key) else values[-1]
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_problem(error, "query") from None


# ---------------------------------------------------------------- path segments

SEGMENT_PATTERN = PATH_SEGMENT


class SegmentConverter(BaseConverter):
    """`<code>` and `<string:code>`: one path segment of printable ASCII (letters, digits, ._~:@+-,
    at most 200 characters). Anything else (non-ASCII, control characters, longer) matches no
    route: 404, never a handler fed a value it did not expect."""

    regex = SEGMENT_PATTERN


class BoundedIntConverter(BaseConverter):
    """`<int:n>`: 1 to 18 digits, so the value fits a 64-bit database integer."""

    regex = r"\d{1,18}"
    weight = 50

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


CONVERTERS = {"default": SegmentConverter, "string": SegmentConverter, "int": BoundedIntConverter}


# ---------------------------------------------------------------- the shared listening socket

class HttpFrontend:
    """One WSGI server per listening address per process, dispatching to every service's routes."""

    _by_address: dict[str, "HttpFrontend"] = {}

    @classmethod
    def for_address(cls, address: str) -> "HttpFrontend":
        frontend = cls._by_address.get(address)
        if frontend is None:
            frontend = cls._by_address[address] = cls(address)
        return frontend

    def __init__(self, address: str):
        self.address = address
        self.routes: set[Route] = set()
        self._users = 0
        self._map: Map | None = None
        self._sock = None
        self._thread = None
        self.max_body_bytes = DEFAULT_MAX_BODY_BYTES
        self.header_timeout = 10.0
        self.body_timeout = 30.0
        self.max_connections = 1000
        self._waiting: dict = {}  # protocol -> when it began waiting for a request's line and headers
        # service -> (its routes, its openapi.json): built once per set of routes (100-200 ms each)
        self._openapi: dict[str, tuple[tuple, PreparedJson]] = {}

    def configure(self, settings) -> None:
        """Limits from the process settings (the same for every service in the process)."""
        if settings is None:
            return
        self.max_body_bytes = getattr(settings, "max_body_bytes", self.max_body_bytes)
        self.header_timeout = getattr(settings, "http_header_timeout", self.header_timeout)
        self.body_timeout = getattr(settings, "http_body_timeout", self.body_timeout)
        self.max_connections = getattr(settings, "http_max_connections", self.max_connections)

    def add(self, route: "Route") -> None:
        self.routes.add(route)
        self._map = None

    def remove(self, route: "Route") -> None:
        self.routes.discard(route)
        self._map = None

    def acquire(self) -> None:
        self._users += 1
        if self._users == 1:
            bind = parse_address(self.address)
            self._sock = eventlet.listen((bind.address or "0.0.0.0", bind.port), reuse_port=False)
            self.stopping = False
            self._thread = eventlet.spawn(self._serve, self._sock)

    def release(self) -> None:
        self._users -= 1
        if self._users <= 0:
            self._by_address.pop(self.address, None)
            if self._thread is not None:
                self._thread.kill()
            if self._sock is not None:
                self._sock.close()
            self._thread = self._sock = None

    # -- serving, and stopping in order: stop accepting, finish what was accepted, then the routes go

    stopping = False

    def _serve(self, sock) -> None:
        """eventlet's wsgi.server loop, except that `drain` ends it without losing a connection the
        kernel had already accepted, and without closing a connection in the middle of a request."""
        protocol = type("GuardedProtocol", (GuardedProtocol,), {"frontend": self})
        server = wsgi.Server(sock, sock.getsockname(), self, logging.getLogger("eventlet.wsgi.server"),
                             protocol=protocol, log_output=False, debug=False, socket_timeout=self.body_timeout)
        pool = ConnectionPool(self)
        connections: dict = {}

        def serve(client, address) -> None:
            client.settimeout(self.body_timeout)
            connections[address] = state = [address, client, wsgi.STATE_IDLE]
            pool.spawn(server.process_request, state).link(closed, state)

        def closed(_thread, state) -> None:
            connections.pop(state[0], None)
            state[2] = wsgi.STATE_CLOSE
            greenio.shutdown_safe(state[1])
            state[1].close()

        try:
            while True:
                try:
                    serve(*sock.accept())
                except _StopAccepting:
                    break
                except OSError as error:  # e.g. EMFILE, or a connection reset while queued
                    if self.stopping:
                        break
                    log.warning("accepting a connection failed: %s", error)
                    eventlet.sleep(0.01)
        finally:
            # Connections the kernel accepted before the socket closes would be reset by close():
            # take them all (no green switch in between, so none can arrive unseen), then close.
            raw = sock.fd
            while self.stopping:
                try:
                    client, address = raw.accept()
                except (BlockingIOError, InterruptedError, OSError):
                    break
                client.setblocking(False)
                serve(greenio.GreenSocket(client), address)
            sock.close()  # new connections are refused from here on
            for state in list(connections.values()):
                previous, state[2] = state[2], wsgi.STATE_CLOSE  # close after the request under way
                if previous == wsgi.STATE_IDLE and len(state) > 3:
                    # kept alive between requests: closed now (an HTTP client retries a request
                    # that meets a closed idle connection). A new connection whose first request
                    # has not been read yet is answered, then closed.
                    greenio.shutdown_safe(state[1])
            pool.waitall()

    def drain(self, timeout: float = 20.0) -> bool:
        """Stop accepting (the listening socket closes, readiness answers 503), then wait up to
        `timeout` seconds for the requests under way to be answered. The routes stay registered
        meanwhile, so no accepted request meets a 404; the runner stops the entrypoints after this."""
        if self._thread is None or self.stopping:
            return True
        self.stopping = True
        thread = self._thread
        thread.kill(_StopAccepting, _StopAccepting(), None)
        with eventlet.Timeout(timeout, False):
            try:
                thread.wait()
            except _StopAccepting:  # thrown while the loop was between accepts
                pass
            return True
        log.warning("requests still under way after %g s; stopping anyway", timeout)
        return False

    @classmethod
    def drain_all(cls, timeout: float = 20.0) -> bool:
        drained = [frontend.drain(timeout) for frontend in list(cls._by_address.values())]
        return all(drained)

    def _stopping_health(self) -> str | None:
        return "stopping: the HTTP listener is closed" if self.stopping else None

    def services(self) -> list[str]:
        return sorted({r.container.service_name for r in self.routes} | set(HEALTH.services()))

    def url_map(self) -> Map:
        if self._map is None:
            rules = [Rule("/", endpoint="index", methods=["GET"]),
                     Rule("/health/live", endpoint="live", methods=["GET"]),
                     Rule("/health/ready", endpoint="ready", methods=["GET"])]
            for service in self.services():
                rules += [Rule(f"/{service}/health/live", endpoint=("live", service), methods=["GET"]),
                          Rule(f"/{service}/health/ready", endpoint=("ready", service), methods=["GET"]),
                          Rule(f"/{service}/openapi.json", endpoint=("openapi", service), methods=["GET"])]
            for route in self.routes:
                rules.append(Rule(route.path, endpoint=route, methods=[route.method]))
            self._map = Map(rules, strict_slashes=False, converters=CONVERTERS)
        return self._map

    def __call__(self, environ, start_response):
        """Every request gets an answer: anything unexpected becomes a problem+json 500 with the
        correlation id, a log line with the traceback and savivalda_http_unhandled_errors_total."""
        request = Request(environ)
        try:
            correlation_id = correlation_id_of(request)
        except Exception:
            correlation_id = str(uuid.uuid4())
        try:
            response = self._dispatch(request, environ, correlation_id)
            return response(environ, start_response)
        except Exception:
            response = unhandled_error(request, correlation_id, "frontend")
            return response(environ, start_response)

    def _dispatch(self, request: Request, environ, correlation_id: str) -> Response:
        length = request.content_length
        adapter = self.url_map().bind_to_environ(environ)
        if length is not None and length > self.max_body_bytes:  # before authentication
            limit = self._route_body_limit(adapter)
            if length > limit:
                _close_after_response(request)
                return problem_response(body_too_large(limit), request.path, correlation_id)
        try:
            endpoint, values = adapter.match()
        except RouteNotFound:
            return problem_response(Problem(404, "Not found", f"no route {request.path}", code="no_route"),
                                    request.path, correlation_id)
        except MethodNotAllowed as error:
            problem = Problem(405, "Method not allowed", f"{request.method} is not allowed on {request.path}",
                              code="method", headers={"Allow": ", ".join(error.valid_methods or [])})
            return problem_response(problem, request.path, correlation_id)
        except HTTPException as error:  # e.g. redirects for trailing slashes
            return error.get_response(environ)
        if isinstance(endpoint, Route):
            return endpoint.handle_request(request, values, correlation_id)
        return self._builtin(endpoint, request)

    def _route_body_limit(self, adapter) -> int:
        """The largest body the matched route takes: a route declaring `max_body_setting` (uploads)
        takes what that setting says, every other one (or no route) the frontend's limit."""
        try:
            endpoint, _ = adapter.match()
        except HTTPException:
            return self.max_body_bytes
        return getattr(endpoint, "max_body_bytes", None) or self.max_body_bytes

    def _builtin(self, endpoint, request: Request) -> Response:
        name, service = (endpoint, None) if isinstance(endpoint, str) else endpoint
        if name == "index":
            return json_response({
                "system": "savivalda",
                "services": {s: {"openapi": f"/{s}/openapi.json", "health": f"/{s}/health/ready"}
                             for s in self.services()},
            })
        if name == "live":
            return json_response({"status": "live"})
        if name == "ready":
            ok, report = HEALTH.ready(service)
            return json_response({"status": "ready" if ok else "not ready", "checks": report},
                                 status=200 if ok else 503)
        if name == "openapi":
            from shared.openapi import openapi_document

            routes = tuple(sorted((r for r in self.routes if r.container.service_name == service),
                                  key=lambda r: (r.path, r.method)))
            kept = self._openapi.get(service)
            if kept is None or kept[0] != routes:
                document = PreparedJson(json.dumps(to_jsonable_python(openapi_document(service, list(routes))),
                                                   ensure_ascii=False))
                self._openapi[service] = kept = (routes, document)
            return prepared_response(request, kept[1])
        raise AssertionError(name)


def unhandled_error(request: Request, correlation_id: str, service: str) -> Response:
    """The answer to an unexpected exception (call from an except block): logged with its traceback,
    counted, and a problem+json 500 naming the correlation id."""
    HTTP_UNHANDLED.labels(service).inc()
    try:
        path = request.path
    except Exception:
        path = "?"
    log.error("unhandled error answering %s %s", request.method, path, exc_info=True,
              extra={"service": service, "correlation_id": correlation_id, "path": path})
    return problem_response(problem_from_exception(Exception()), path, correlation_id)


class _StopAccepting(Exception):
    """Thrown into the frontend's accept loop by `HttpFrontend.drain`."""


class ConnectionPool(eventlet.GreenPool):
    """The frontend's connections, at most `max_connections`. At the limit, the connection that has
    waited longest for a request's line and headers (idle, slow or half-open) is closed to make room
    for the new one, so such clients cannot lock others out."""

    def __init__(self, frontend: "HttpFrontend"):
        super().__init__(frontend.max_connections)
        self.frontend = frontend

    def spawn(self, function, *args, **kwargs):
        if self.free() <= 0 and self.frontend._waiting:
            oldest = min(self.frontend._waiting, key=self.frontend._waiting.get)
            self.frontend._waiting.pop(oldest, None)
            HTTP_REJECTED.labels("evicted").inc()
            greenio.shutdown_safe(oldest.connection)
        return super().spawn(function, *args, **kwargs)


class GuardedProtocol(wsgi.HttpProtocol):
    """eventlet's protocol with a deadline on each request's line and headers (the frontend's
    header_timeout, which also ends idle kept-alive connections); the body has its own
    (read_body), and every socket read or write the socket timeout."""

    frontend: "HttpFrontend"

    def handle_one_request(self):
        timer = self._header_timer = eventlet.Timeout(self.frontend.header_timeout)
        self.frontend._waiting[self] = time.monotonic()
        try:
            super().handle_one_request()
        except eventlet.Timeout as error:
            if error is not timer:
                raise
            HTTP_REJECTED.labels("header_timeout").inc()
            self.close_connection = 1
        finally:
            timer.cancel()
            self.frontend._waiting.pop(self, None)
            if len(self.conn_state) == 3:
                self.conn_state.append("served")  # see HttpFrontend._serve: idle from now on is kept alive

    def parse_request(self):
        try:
            return super().parse_request()
        finally:  # the headers are in: no deadline while the request is handled
            self._header_timer.cancel()
            self.frontend._waiting.pop(self, None)

    def get_environ(self):
        environ = super().get_environ()
        environ["savivalda.protocol"] = self
        return environ


def correlation_id_of(request: Request) -> str:
    given = request.headers.get(CORRELATION_HEADER, "")
    return given if _CORRELATION_OK.match(given) else str(uuid.uuid4())


class ApiGateway(SharedExtension, ProviderCollector):
    """Per-container handle on the process-wide frontend."""

    @property
    def frontend(self) -> HttpFrontend:
        # nameko sets extensions up concurrently: a route may register before setup() ran here.
        return HttpFrontend.for_address(self.container.config["WEB_SERVER_ADDRESS"])

    def register_provider(self, provider):
        super().register_provider(provider)
        self.frontend.add(provider)

    def unregister_provider(self, provider):
        self.frontend.remove(provider)
        super().unregister_provider(provider)

    def start(self):
        self.frontend.configure(self.container.config.get("SAVIVALDA"))
        self.frontend.acquire()
        HEALTH.add(self.container.service_name, "http", self.frontend._stopping_health)

    def stop(self):
        self.frontend.release()
        super().stop()


# ---------------------------------------------------------------- the entrypoint

class Route(Entrypoint):
    gateway = ApiGateway()
    rate_limits = RateLimits()  # shared/ratelimit.py: public routes answer 429 past their limit
    kind = "http"

    def __init__(self, method: str, path: str, *, roles: tuple[str, ...] | None = None, public: bool = False,
                 body: type[BaseModel] | None = None, query: type[BaseModel] | None = None,
                 response: Any = None, status: int = 200, summary: str | None = None,
                 errors: tuple[int, ...] = (), content_types: tuple[str, ...] = (), scope: Any = None,
                 rate_limit: str | None = None, html: bool = False, raw_body: dict | None = None,
                 max_body_setting: str | None = None, conditional: bool = False, **kwargs):
        if roles is None and not public:
            raise ValueError(f"{method} {path}: give roles=(...) or public=True")
        self.method = method.upper()
        self.path = path
        self.roles = roles
        self.public = public
        self.body = body
        self.query = query
        self.response = response
        self.status = status
        self.summary = summary
        self.errors = errors
        self.content_types = content_types  # non-JSON success bodies (text/csv, text/calendar), for OpenAPI
        self.scope = scope  # shared/tenancy.py: how the route's data belongs to a municipality
        self.rate_limit = rate_limit  # e.g. "10/minute"; public routes default to SAVIVALDA_PUBLIC_RATE_LIMIT
        self.html = html  # also a page for browsers (shared/pages.py): its errors reach them as pages
        # A body the handler reads itself (e.g. text/csv): {content type: schema}, for OpenAPI only.
        self.raw_body = raw_body
        # An upload route: the Settings attribute giving its largest body (the frontend's
        # max_body_bytes otherwise); the handler reads the body itself and enforces the exact limit.
        self.max_body_setting = max_body_setting
        self.max_body_bytes: int | None = None
        # Answers a PreparedJson: ETag, 304 to If-None-Match, gzip on Accept-Encoding (for OpenAPI).
        self.conditional = conditional
        if html and "text/html" not in self.content_types:
            self.content_types = (*self.content_types, "text/html")
        if public or rate_limit:
            self.errors = tuple(sorted(set(self.errors) | {429}))
        super().__init__(**kwargs)

    def setup(self):
        self.scopes = declared_scopes(self)  # a municipality route without a scope does not start
        self.settings = self.container.config["SAVIVALDA"]
        self.limit = route_limit(self, self.settings)
        if self.max_body_setting:
            self.max_body_bytes = getattr(self.settings, self.max_body_setting) + UPLOAD_OVERHEAD_BYTES
        self.gateway.register_provider(self)

    def stop(self):
        self.gateway.unregister_provider(self)
        super().stop()

    @property
    def description(self) -> str:
        method = getattr(self.container.service_cls, self.method_name)
        return (method.__doc__ or "").strip()

    def authenticate(self, request: Request) -> Principal | None:
        if self.public:
            return None
        header = request.headers.get("Authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Problem(401, "Unauthorized", "send a bearer token: Authorization: Bearer <token>",
                          code="unauthorized", headers={"WWW-Authenticate": 'Bearer realm="savivalda"'})
        try:
            principal = decode_token(self.settings.auth_secret, token.strip(),
                                     max_lifetimes=self.settings.token_max_ttl)
        except InvalidToken as error:
            raise Problem(401, "Unauthorized", str(error), code="unauthorized",
                          headers={"WWW-Authenticate": 'Bearer realm="savivalda", error="invalid_token"'}) from None
        if principal.role not in self.roles:
            raise Problem(403, "Forbidden", f"role {principal.role_claim} may not {self.method} {self.path}",
                          code="forbidden")
        return principal

    def handle_request(self, request: Request, path_values: dict, correlation_id: str) -> Response:
        started = time.perf_counter()
        service = self.container.service_name
        try:
            enforce_rate_limit(self, request)
            principal = self.authenticate(request)
            kwargs = dict(path_values)
            if self.body is not None:
                kwargs["body"] = parse_body(request, self.body, max_bytes=self.gateway.frontend.max_body_bytes,
                                            timeout=self.gateway.frontend.body_timeout)
            if self.query is not None:
                kwargs["query"] = parse_query(request, self.query)
            if not self.public:
                kwargs["principal"] = principal
                try:  # tenancy before the worker; resource owners inside it (see guard)
                    for scope in self.scopes:
                        scope.authorise(principal, kwargs)
                except DomainError as refused:
                    raise problem_from_exception(refused) from None
            done = Event()
            self.container.spawn_worker(
                self, (request,), kwargs, context_data={"correlation_id": correlation_id},
                handle_result=partial(self._worker_done, done),
            )
            result, exc_info = done.wait()
            if exc_info is not None:
                problem = problem_from_exception(exc_info[1])
                if problem.code in ("database_unavailable", "commit_outcome_unknown"):
                    HTTP_DATABASE_UNAVAILABLE.labels(service, problem.code).inc()
                    log.warning("request answered 503 %s: %s", problem.code, exc_info[1], extra={
                        "service": service, "correlation_id": correlation_id, "path": request.path,
                        "error": type(exc_info[1]).__name__})
                elif problem.status >= 500:
                    HTTP_UNHANDLED.labels(service).inc()
                    log.error("request failed", exc_info=exc_info,
                              extra={"service": service, "correlation_id": correlation_id, "path": request.path})
                raise problem
            response = self._response(result, request)
        except Problem as problem:
            if self.html and wants_html(request):
                response = problem_page(problem, request, correlation_id)
            else:
                response = problem_response(problem, request.path, correlation_id)
        except Exception:  # outside the worker: parsing, authorisation, serialising the result
            response = unhandled_error(request, correlation_id, service)
        response.headers[CORRELATION_HEADER] = correlation_id
        elapsed = time.perf_counter() - started
        HTTP_REQUESTS.labels(service, self.method, self.path, str(response.status_code)).inc()
        HTTP_DURATION.labels(service, self.method, self.path).observe(elapsed)
        log.info("%s %s %s", self.method, request.path, response.status_code, extra={
            "service": service, "correlation_id": correlation_id, "status": response.status_code,
            "duration_ms": round(elapsed * 1000, 1), "route": self.path})
        return response

    def _worker_done(self, done: Event, worker_ctx, result, exc_info):
        done.send((result, exc_info))
        return result, exc_info

    def _response(self, result, request: Request | None = None) -> Response:
        if isinstance(result, Response):
            return result
        status, headers = self.status, None
        if isinstance(result, tuple):
            if len(result) == 3:
                status, result, headers = result
            else:
                status, result = result
        if result is None and status in (200, 204):
            return Response(status=204)
        if isinstance(result, (PreparedJson, NotModified)) and request is not None:
            return prepared_response(request, result, status, headers)
        return json_response(result, status=status, headers=headers)


def route(*args, **kwargs):
    """Declare an HTTP entrypoint; the method is wrapped so declared resource scopes are checked in
    the worker before its body runs (shared/tenancy.py)."""
    def register(fn):
        guarded = guard(fn, kwargs.get("scope"))
        register_entrypoint(guarded, Route(*args, **kwargs))
        return guarded

    return register
