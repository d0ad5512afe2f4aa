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
`errors[].field`), 500 with only the correlation id.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from functools import partial
from typing import Any, get_args, get_origin

import eventlet
from eventlet import wsgi
from eventlet.event import Event
from nameko.extensions import Entrypoint, ProviderCollector, SharedExtension
from nameko.web.server import parse_address
from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound as RouteNotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

from shared.auth import InvalidToken, Principal, decode_token
from shared.errors import DomainError
from shared.observability import HEALTH, HTTP_DURATION, HTTP_REQUESTS
from shared.ratelimit import RateLimits, enforce as enforce_rate_limit, route_limit

log = logging.getLogger(__name__)

PROBLEM_TYPE = "application/problem+json"
CORRELATION_HEADER = "X-Correlation-ID"
_CORRELATION_OK = re.compile(r"^[A-Za-z0-9._:\-]{1,200}$")


class Problem(Exception):
    """An HTTP error to send as application/problem+json."""

    def __init__(self, status: int, title: str, detail: str | None = None, *, code: str | None = None,
                 errors: list[dict] | None = None, headers: dict | None = None):
        super().__init__(detail or title)
        self.status = status
        self.title = title
        self.detail = detail
        self.code = code
        self.errors = errors or []
        self.headers = headers or {}

    def document(self, instance: str, correlation_id: str) -> dict:
        doc = {
            "type": f"urn:savivalda:problem:{self.code}" if self.code else "about:blank",
            "title": self.title,
            "status": self.status,
            "instance": instance,
            "correlation_id": correlation_id,
        }
        if self.detail:
            doc["detail"] = self.detail
        if self.errors:
            doc["errors"] = self.errors
        return doc


def validation_problem(error: ValidationError, location: str) -> Problem:
    errors = []
    for item in error.errors(include_url=False):
        path = ".".join(str(p) for p in item["loc"])
        errors.append({"field": path or location, "location": location, "message": item["msg"], "type": item["type"]})
    fields = ", ".join(sorted({e["field"] for e in errors}))
    return Problem(422, "Invalid request", f"invalid {location}: {fields}", code="validation", errors=errors)


def problem_from_exception(exc: BaseException) -> Problem:
    if isinstance(exc, Problem):
        return exc
    if isinstance(exc, DomainError):
        errors = [{"field": exc.field, "location": "body", "message": exc.detail}] if exc.field else []
        return Problem(exc.status, exc.title, exc.detail, code=exc.code or type(exc).__name__.lower(), errors=errors)
    if isinstance(exc, ValidationError):
        return validation_problem(exc, "body")
    return Problem(500, "Internal server error", "the error was logged with this request's correlation id",
                   code="internal")


def json_response(payload: Any, status: int = 200, headers: dict | None = None) -> Response:
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


def parse_body(request: Request, model: type[BaseModel]) -> BaseModel:
    content_type = (request.mimetype or "").lower()
    if content_type != "application/json" and not content_type.endswith("+json"):
        raise Problem(415, "Unsupported media type", "send the body as application/json", code="media_type")
    raw = request.get_data(cache=True)
    try:
        data = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
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
        data[key] = values if _is_list_field(model, key) else values[-1]
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise validation_problem(error, "query") from None


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
            self._thread = eventlet.spawn(
                wsgi.server, self._sock, self, log=logging.getLogger("eventlet.wsgi.server"),
                log_output=False, socket_timeout=60, debug=False,
            )

    def release(self) -> None:
        self._users -= 1
        if self._users <= 0:
            self._by_address.pop(self.address, None)
            if self._thread is not None:
                self._thread.kill()
            if self._sock is not None:
                self._sock.close()
            self._thread = self._sock = None

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
            self._map = Map(rules, strict_slashes=False)
        return self._map

    def __call__(self, environ, start_response):
        request = Request(environ)
        adapter = self.url_map().bind_to_environ(environ)
        correlation_id = correlation_id_of(request)
        try:
            endpoint, values = adapter.match()
        except RouteNotFound:
            response = problem_response(Problem(404, "Not found", f"no route {request.path}", code="no_route"),
                                        request.path, correlation_id)
            return response(environ, start_response)
        except MethodNotAllowed as error:
            problem = Problem(405, "Method not allowed", f"{request.method} is not allowed on {request.path}",
                              code="method", headers={"Allow": ", ".join(error.valid_methods or [])})
            return problem_response(problem, request.path, correlation_id)(environ, start_response)
        except HTTPException as error:  # e.g. redirects for trailing slashes
            return error(environ, start_response)
        if isinstance(endpoint, Route):
            response = endpoint.handle_request(request, values, correlation_id)
        else:
            response = self._builtin(endpoint, request)
        return response(environ, start_response)

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

            routes = sorted((r for r in self.routes if r.container.service_name == service),
                            key=lambda r: (r.path, r.method))
            return json_response(openapi_document(service, routes))
        raise AssertionError(name)


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
        self.frontend.acquire()

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
                 errors: tuple[int, ...] = (), content_types: tuple[str, ...] = (),
                 rate_limit: str | None = None, **kwargs):
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
        self.rate_limit = rate_limit  # e.g. "10/minute"; public routes default to SAVIVALDA_PUBLIC_RATE_LIMIT
        if public or rate_limit:
            self.errors = tuple(sorted(set(self.errors) | {429}))
        super().__init__(**kwargs)

    def setup(self):
        self.settings = self.container.config["SAVIVALDA"]
        self.limit = route_limit(self, self.settings)
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
                kwargs["body"] = parse_body(request, self.body)
            if self.query is not None:
                kwargs["query"] = parse_query(request, self.query)
            if not self.public:
                kwargs["principal"] = principal
            done = Event()
            self.container.spawn_worker(
                self, (request,), kwargs, context_data={"correlation_id": correlation_id},
                handle_result=partial(self._worker_done, done),
            )
            result, exc_info = done.wait()
            if exc_info is not None:
                problem = problem_from_exception(exc_info[1])
                if problem.status >= 500:
                    log.error("request failed", exc_info=exc_info,
                              extra={"service": service, "correlation_id": correlation_id, "path": request.path})
                raise problem
            response = self._response(result)
        except Problem as problem:
            response = problem_response(problem, request.path, correlation_id)
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

    def _response(self, result) -> Response:
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
        return json_response(result, status=status, headers=headers)


route = Route.decorator
