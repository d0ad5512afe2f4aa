"""Issue 13, parts 2, 3 and 7 on the embedded system: every input bounded (413/422/404, never a
500), every unexpected failure answered as problem+json, logged and counted, and slow or
half-open clients unable to starve the API."""

import logging
import socket
import time
import uuid

import pytest
from prometheus_client import REGISTRY

from tests.service.helpers import COURSE, create_session, enrol, person
from tests.support import EmbeddedSystem, http

PROBLEM = "application/problem+json"
JSON = {"Content-Type": "application/json"}


def assert_problem(reply, status, code=None, field=None):
    assert reply.status == status, (reply.status, reply.body)
    assert reply.headers["Content-Type"].startswith(PROBLEM), reply.headers
    assert reply.body["status"] == status
    assert reply.body["correlation_id"] == reply.headers["X-Correlation-ID"]
    if code:
        assert reply.body["type"] == f"urn:savivalda:problem:{code}", reply.body
    if field:
        assert field in [e["field"] for e in reply.body.get("errors", [])], reply.body


def counter(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# ---------------------------------------------------------------- MEDIUM: 500s that left no trace

def test_huge_numbers_deep_json_and_non_numbers_are_422(embedded):
    base, staff = embedded.base_url, embedded.token()
    for raw in (b'{"duration_hours": ' + b"1" * 5000 + b"}",   # Python refuses to convert > 4300 digits
                b'{"duration_hours": 1e400}', b'{"duration_hours": NaN}', b'{"duration_hours": -Infinity}'):
        reply = http("POST", f"{base}/enrollment/courses", raw=raw, headers=JSON, token=staff)
        assert_problem(reply, 422, code="json_limit")
    deep = b"[" * 50_000 + b"]" * 50_000
    for raw in (deep, b'{"key": ' * 50_000 + b"1" + b"}" * 50_000):
        reply = http("POST", f"{base}/partners/answers", raw=raw, headers=JSON)  # public: no token needed
        assert_problem(reply, 422, code="json_limit")
    assert http("GET", f"{base}/enrollment/courses", token=staff).body == []


def test_a_money_value_of_1e100_is_422(embedded):
    programme = {"code": "LT10", "funder": "Norway Grants", "source_kind": "eea_norway_grants",
                 "title": {"lt": "Vietos plėtra"}, "budget_eur": 1e100}
    reply = http("POST", f"{embedded.base_url}/grants/programmes", programme, token=embedded.token())
    assert_problem(reply, 422, field="budget_eur")


def test_a_non_ascii_code_in_a_self_service_link_is_404(embedded):
    _, session_id = create_session(embedded.base_url, embedded.token())
    enrolment = enrol(embedded.base_url, embedded.token(), session_id, person(1)).body
    for code in ("%C4%85bc", "%00", "a%0D%0Ab", "x" * 300):
        for suffix in ("", "/leave", "/accept", "/calendar.ics"):
            method = "POST" if suffix in ("/leave", "/accept") else "GET"
            reply = http(method, f"{embedded.base_url}/enrollment/self-service/{enrolment['id']}/{code}{suffix}")
            assert_problem(reply, 404)
    assert http("GET", enrolment["manage_url"]).status == 200


def test_offsets_and_sizes_beyond_a_database_integer_are_422(embedded):
    base, staff = embedded.base_url, embedded.token()
    for path in ("/partners/organisations", "/partners/requests"):
        for offset in ("9223372036854775808", "99999999999999999999999"):
            assert_problem(http("GET", f"{base}{path}?offset={offset}", token=staff), 422, field="offset")
    organisation = {"name": "Bergen kommune", "country": "NO", "organisation_type": "municipality",
                    "themes": ["budgeting"], "languages": ["no", "en"], "size": 10 ** 19}
    assert_problem(http("POST", f"{base}/partners/organisations", organisation, token=staff), 422, field="size")


def test_control_characters_in_queries_are_422(embedded):
    reply = http("GET", f"{embedded.base_url}/notifications/deliveries?event_type=a%00b", token=embedded.token())
    assert_problem(reply, 422, field="event_type")


# ---------------------------------------------------------------- MEDIUM: no limits

def _raw_request(address: str, head: bytes, body: bytes = b"", timeout: float = 10) -> bytes:
    host, port = address.rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(head + body)
        received = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, socket.timeout):
                break
            if not chunk:
                break
            received += chunk
        return received


def test_a_150_mb_body_is_refused_413_from_its_length_before_the_token_is_checked(embedded):
    head = (b"POST /enrollment/courses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 157286400\r\n\r\n")
    started = time.monotonic()
    answer = _raw_request(embedded.settings.http_address, head, b'{"title": ')  # the rest never sent
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"application/problem+json" in answer and b"body_too_large" in answer
    assert time.monotonic() - started < 5  # answered at once, without waiting for (or reading) the body


def test_a_streamed_body_growing_past_the_limit_is_413(embedded):
    chunk = b"[" + b"0," * 40_000 + b"0]"
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20)) + b"0\r\n\r\n"  # ~1.6 MB
    head = (b"POST /enrollment/courses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + embedded.token().encode() + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
    answer = _raw_request(embedded.settings.http_address, head, body)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:300]


def test_lists_are_bounded_200_000_themes_are_refused(embedded):
    base, staff = embedded.base_url, embedded.token()
    assert_problem(http("POST", f"{base}/enrollment/courses", dict(COURSE, themes=["budgeting"] * 200_000),
                        token=staff), 413, code="body_too_large")
    assert_problem(http("POST", f"{base}/enrollment/courses", dict(COURSE, themes=["budgeting"] * 101), token=staff),
                   422, field="themes")
    assert http("GET", f"{base}/enrollment/courses", token=staff).body == []


def test_the_openapi_documents_state_the_limits(embedded):
    enrollment = http("GET", f"{embedded.base_url}/enrollment/openapi.json").body
    course = enrollment["components"]["schemas"]["CourseIn"]["properties"]
    assert course["themes"]["maxItems"] == 100
    name = enrollment["components"]["schemas"]["EnrollmentIn"]["properties"]["name"]
    assert name["maxLength"] == 200 and name["pattern"].startswith("^[^\\x00-\\x1F")
    code = [p for p in enrollment["paths"]["/enrollment/self-service/{enrollment_id}/{code}"]["get"]["parameters"]
            if p["name"] == "code"]
    assert code[0]["schema"]["maxLength"] == 200 and code[0]["schema"]["pattern"].startswith("^[A-Za-z0-9_\\-]")
    partners = http("GET", f"{embedded.base_url}/partners/openapi.json").body
    offset = [p for p in partners["paths"]["/partners/organisations"]["get"]["parameters"] if p["name"] == "offset"]
    assert offset[0]["schema"]["maximum"] == 1_000_000


# ---------------------------------------------------------------- LOW: CR/LF in a person's name

def test_cr_lf_or_other_control_characters_in_names_are_422(embedded):
    _, session_id = create_session(embedded.base_url, embedded.token())
    for name in ("Rūta\r\nBcc: all@kaunas.lt", "Rūta\tPetraitienė", "Rūta\u0085", "Rūta\u0000"):
        reply = enrol(embedded.base_url, embedded.token(), session_id, dict(person(1), name=name))
        assert reply.status == 422, (name, reply.body)
    recipient = {"email": "ona@kaunas.lt", "name": "Ona\r\nBcc: x@y.lt", "municipality_code": "15"}
    assert_problem(http("POST", f"{embedded.base_url}/notifications/recipients", recipient, token=embedded.token()),
                   422, field="name")
    assert enrol(embedded.base_url, embedded.token(), session_id, person(1)).status == 201


def test_an_e_mail_to_a_name_stored_with_a_line_break_is_built_on_one_line():
    """Names stored before the limits existed still get their e-mail (no header injection)."""
    from services.notifications.delivery import Outgoing, build_email
    from services.notifications.rendering import Rendered

    outgoing = Outgoing(to_name="Rūta\r\nBcc: all@kaunas.lt", to_address="ruta@kaunas.lt", message_id="<1@x>",
                        rendered=Rendered("t", "lt", "Tema\r\nBcc: x@y.lt", "tekstas", "<p>tekstas</p>"),
                        event_id=str(uuid.uuid4()), event_type="x")
    message = bytes(build_email(outgoing, "Savivalda <noreply@savivalda.local>"))
    headers = message.split(b"\n\n", 1)[0].replace(b"\r\n", b"\n")
    assert b"\nBcc:" not in headers


# ---------------------------------------------------------------- every unexpected failure answered

def test_an_unexpected_error_outside_a_worker_is_a_logged_counted_problem_500(embedded, monkeypatch, caplog):
    from shared.http import HttpFrontend, Route

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    before = counter("savivalda_http_unhandled_errors_total", service="frontend")
    monkeypatch.setattr(HttpFrontend, "_builtin", broken)
    with caplog.at_level(logging.ERROR, logger="shared.http"):
        reply = http("GET", f"{embedded.base_url}/health/live", headers={"X-Correlation-ID": "trace-13"})
    assert_problem(reply, 500, code="internal")
    assert reply.body["correlation_id"] == "trace-13"
    assert counter("savivalda_http_unhandled_errors_total", service="frontend") == before + 1
    logged = [r for r in caplog.records if r.exc_info and getattr(r, "correlation_id", None) == "trace-13"]
    assert logged and "boom" in str(logged[0].exc_info[1])

    before = counter("savivalda_http_unhandled_errors_total", service="enrollment")
    monkeypatch.setattr(Route, "_response", broken)  # serialising a handler's result fails
    reply = http("GET", f"{embedded.base_url}/enrollment/courses", token=embedded.token())
    assert_problem(reply, 500, code="internal")
    assert counter("savivalda_http_unhandled_errors_total", service="enrollment") == before + 1


# ---------------------------------------------------------------- slow clients

@pytest.fixture
def guarded(tmp_path, reset_process_state):
    system = EmbeddedSystem(tmp_path / "data", http_header_timeout=1.0, http_body_timeout=1.0,
                            http_max_connections=30)
    yield system
    system.stop()


def _connect(address: str) -> socket.socket:
    host, port = address.rsplit(":", 1)
    return socket.create_connection((host, int(port)), timeout=10)


def test_half_open_connections_do_not_stop_a_normal_request(guarded):
    address = guarded.settings.http_address
    half_open = []
    try:
        for _ in range(1100):  # beyond eventlet's default 1,024 and this process' limit of 30, stuck in headers
            sock = _connect(address)
            sock.sendall(b"GET /enrollment/courses HTTP/1.1\r\nHost: x\r\n")
            half_open.append(sock)
        started = time.monotonic()
        reply = http("GET", f"{guarded.base_url}/enrollment/courses", token=guarded.token(), timeout=10)
        assert reply.status == 200
        assert time.monotonic() - started < 3
    finally:
        for sock in half_open:
            sock.close()


def test_a_slowloris_connection_is_closed_after_the_header_timeout(guarded):
    before = counter("savivalda_http_rejected_total", reason="header_timeout")
    sock = _connect(guarded.settings.http_address)
    started = time.monotonic()
    closed_after = None
    try:
        sock.sendall(b"GET /enrollment/courses HTTP/1.1\r\n")
        for n in range(40):  # a header line every 0.1 s, never the blank line
            try:
                sock.sendall(b"X-Slow-%d: 1\r\n" % n)
            except OSError:
                closed_after = time.monotonic() - started
                break
            time.sleep(0.1)
            sock.settimeout(0.01)
            try:
                if sock.recv(1) == b"":
                    closed_after = time.monotonic() - started
                    break
            except socket.timeout:
                pass
    finally:
        sock.close()
    assert closed_after is not None and closed_after < 3, closed_after
    assert counter("savivalda_http_rejected_total", reason="header_timeout") >= before + 1


def test_a_body_that_does_not_arrive_in_time_is_408(guarded):
    head = (b"POST /enrollment/courses HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + guarded.token().encode() + b"\r\nContent-Length: 1000\r\n\r\n")
    started = time.monotonic()
    answer = _raw_request(guarded.settings.http_address, head, b'{"title": ')
    assert answer.startswith(b"HTTP/1.1 408"), answer[:300]
    assert time.monotonic() - started < 5
