"""Fault drill: the distributed system under an operator's bad day (issue 15; docs/reliability.md,
"Fault drill").

    .venv/bin/python -m bench.fault_drill            # the full drill (each replica faulted)
    .venv/bin/python -m bench.fault_drill --short    # the CI version (each fault once)

Starts a RabbitMQ node and a PostgreSQL cluster of its own (private instances in a temporary
folder, on free ports; the machine's servers on 5672 and 5432 are never touched), an SMTP server
(tests/support/smtp_sink.py) and the services as containers run them: `savivalda migrate`, then
two replicas of enrollment and of notifications and one of grants and of partners
(`savivalda run <service>`). Clients enrol people in sessions with few seats and a quota per
municipality, cancel (which promotes from waitlists, or offers the seat) and accept offers, each
request with an Idempotency-Key where the API takes one, sent to either replica and retried on a
connection error or a 503 (honouring Retry-After, capped) until it gets a final answer. With the
load running it injects each fault in turn:

    broker stop/start, SIGKILL and SIGTERM of each enrollment and notifications replica
    (restarted as a supervisor would), PostgreSQL restart -m fast and -m immediate, and 100
    poison messages from an outside publisher (plain kombu)

waits for quiescence after each (no outbox row unpublished, every queue but the dead letters
empty, no notification pending or being sent) and prints one table. Exit status 0 when every
done-condition of the issue holds; `--json PATH` also writes the figures.

Runs as root (RabbitMQ's scripts and `runuser -u postgres` for PostgreSQL). Everything it starts
is stopped and its folder removed at the end, also on Ctrl-C or failure.
"""

from __future__ import annotations

from shared.green import patch

patch()

import argparse  # noqa: E402
import collections  # noqa: E402
import email  # noqa: E402
import glob  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.error  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from datetime import datetime, timedelta, timezone  # noqa: E402
from email import policy  # noqa: E402
from pathlib import Path  # noqa: E402

import eventlet  # noqa: E402
from eventlet.green import subprocess  # noqa: E402  (a fault's commands must not stall the clients)

from shared.auth import issue_token  # noqa: E402
from tests.support import TEST_SECRET, ProcessLauncher, free_port, http, run_cli  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SINK = ROOT / "tests" / "support" / "smtp_sink.py"
MUNICIPALITIES = [f"{n:02d}" for n in range(10, 16)]
# The enrollment events notifications tells the participant about (services/notifications/domain/tellers.py).
PARTICIPANT_EVENTS = {"enrollment.enrollment_confirmed", "enrollment.enrollment_waitlisted",
                      "enrollment.enrollment_promoted", "enrollment.waitlist_offer_made",
                      "enrollment.waitlist_offer_expired", "enrollment.enrollment_cancelled"}
RETRY_AFTER_CAP = 1.0  # seconds a client waits at most, whatever Retry-After says
REQUEST_GIVE_UP = 180.0  # a request still without a final answer after this is counted as failed
IN_DOUBT_WINDOW = 2.0  # seconds before a SIGKILL in which an e-mail accepted by the SMTP server may be unrecorded


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def run(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run(list(args), capture_output=True, text=True, timeout=timeout)
    if check and done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return done


# ---------------------------------------------------------------- a RabbitMQ node of its own

class PrivateRabbit:
    """A second RabbitMQ node on free ports, its data and logs in `folder` (owned by rabbitmq:
    the package's scripts run the node as that user). No plugin (the management one would take
    15672, which the machine's node has)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.node = f"drill-{uuid.uuid4().hex[:8]}@localhost"
        self.port, self.dist_port = free_port(), free_port()
        folder.mkdir(parents=True)
        (folder / "enabled_plugins").write_text("[].\n")
        (folder / "rabbitmq.conf").write_text(f"listeners.tcp.default = 127.0.0.1:{self.port}\n"
                                              "loopback_users.guest = true\n")
        run("chown", "-R", "rabbitmq:rabbitmq", str(folder))
        self.env = {**os.environ, "RABBITMQ_NODENAME": self.node, "RABBITMQ_NODE_PORT": str(self.port),
                    "RABBITMQ_DIST_PORT": str(self.dist_port), "RABBITMQ_MNESIA_BASE": str(folder / "mnesia"),
                    "RABBITMQ_LOG_BASE": str(folder / "log"), "RABBITMQ_PID_FILE": str(folder / "pid"),
                    "RABBITMQ_ENABLED_PLUGINS_FILE": str(folder / "enabled_plugins"),
                    "RABBITMQ_CONFIG_FILE": str(folder / "rabbitmq.conf")}
        self.pid: int | None = None

    @property
    def uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}//"

    def ctl(self, *args: str, timeout: float = 60, check: bool = True):
        done = subprocess.run(["rabbitmqctl", "-n", self.node, *args], capture_output=True, text=True,
                              timeout=timeout, env=self.env)
        if check and done.returncode != 0:
            raise RuntimeError(f"rabbitmqctl {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}")
        return done

    def start(self) -> None:
        done = subprocess.run(["rabbitmq-server", "-detached"], capture_output=True, text=True, timeout=60,
                              env=self.env)
        if done.returncode != 0:
            raise RuntimeError(f"rabbitmq-server -detached: {done.stderr or done.stdout}")
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # -detached returns before the node is registered
            if self.ctl("await_startup", "--timeout", "60", check=False, timeout=90).returncode == 0:
                pid_file = self.folder / "pid"
                self.pid = int(pid_file.read_text().strip()) if pid_file.exists() else self.pid
                return
            time.sleep(0.5)
        raise RuntimeError(f"RabbitMQ node {self.node} did not start: see {self.folder / 'log'}")

    def stop(self) -> None:
        self.ctl("stop", timeout=120, check=False)
        deadline = time.monotonic() + 30
        while self.pid and _alive(self.pid) and time.monotonic() < deadline:
            time.sleep(0.2)

    def queues(self) -> dict[str, int]:
        out = self.ctl("list_queues", "-q", "name", "messages", timeout=60).stdout
        result = {}
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 2 and parts[1].isdigit():
                result[parts[0]] = int(parts[1])
        return result

    def close(self) -> None:
        try:
            self.stop()
        finally:
            if self.pid and _alive(self.pid):
                os.kill(self.pid, signal.SIGKILL)  # the node this drill started, by its own pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- a PostgreSQL cluster of its own

class PrivatePostgres:
    """initdb + pg_ctl as the postgres user, on a free port, its socket in `folder`."""

    def __init__(self, folder: Path):
        binaries = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not binaries:
            raise RuntimeError("PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb)")
        self.bin = Path(binaries[-1]).parent
        self.folder, self.port = folder, free_port()
        folder.mkdir(parents=True)
        run("chown", "postgres:postgres", str(folder))
        self.data = folder / "data"
        self.as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                         "--no-sync", "-E", "UTF8", "--no-locale")

    def as_postgres(self, *args: str, timeout: float = 120):
        return run("runuser", "-u", "postgres", "--", *args, timeout=timeout)

    def pg_ctl(self, *args: str, timeout: float = 120):
        return self.as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-t", "90", *args,
                                timeout=timeout)

    def start(self) -> None:
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=300 "
                   "-c fsync=off -c full_page_writes=off -c shared_buffers=64MB")
        self.pg_ctl("-l", str(self.folder / "server.log"), "-o", options, "start")

    def restart(self, mode: str) -> None:
        self.pg_ctl("-m", mode, "restart", "-l", str(self.folder / "server.log"))

    def url(self, database: str) -> str:
        return f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        import psycopg2

        return psycopg2.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=database,
                                connect_timeout=5)

    def execute(self, sql: str, database: str = "postgres") -> None:
        connection = self.connect(database)
        connection.autocommit = True
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
        finally:
            connection.close()

    def query(self, database: str, sql: str, args=()) -> list[tuple]:
        for attempt in range(60):  # a check made while the server restarts waits for it
            try:
                connection = self.connect(database)
                try:
                    with connection.cursor() as cursor:
                        cursor.execute(sql, args)
                        return cursor.fetchall()
                finally:
                    connection.close()
            except Exception:
                if attempt == 59:
                    raise
                time.sleep(0.5)
        return []

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.pg_ctl("-m", "immediate", "stop", timeout=60)


# ---------------------------------------------------------------- the retrying client

@dataclass
class Request:
    kind: str
    phase: str
    method: str
    path: str
    body: dict | None = None
    key: str | None = None
    attempts: list = field(default_factory=list)  # status codes or "refused" / "dropped:<error>"
    sent: list = field(default_factory=list)  # (pid of the replica, began, ended) per attempt (monotonic)
    final: object = None
    reply: object = None
    unexpected: list = field(default_factory=list)


class Client:
    """Sends each request to either replica of the service; on a connection error or a 503 it
    tries again (the other replica first), honouring Retry-After up to RETRY_AFTER_CAP, until a
    final answer."""

    def __init__(self, replicas: list, token: str):
        self.replicas = replicas  # the current ServiceProcess list: restarts replace its items
        self.token = token

    def send(self, request: Request) -> Request:
        began = time.monotonic()
        turn = random.randrange(2)
        backoff = 0.05
        while True:
            replica = self.replicas[turn % len(self.replicas)]
            turn += 1
            headers = {"Idempotency-Key": request.key} if request.key else {}
            attempt_began = time.monotonic()
            try:
                reply = http(request.method, replica.base_url + request.path, request.body, token=self.token,
                             headers=headers, timeout=60)
            except Exception as error:  # noqa: BLE001 — every way a connection can fail is counted
                request.sent.append((replica.popen.pid, attempt_began, time.monotonic()))
                request.attempts.append(connection_failure(error))
                if time.monotonic() - began > REQUEST_GIVE_UP:
                    request.final = "gave up"
                    return request
                time.sleep(backoff)
                backoff = min(backoff * 2, 1.0)
                continue
            request.sent.append((replica.popen.pid, attempt_began, time.monotonic()))
            request.attempts.append(reply.status)
            if reply.status == 503:
                retry_after = reply.headers.get("Retry-After")
                if not retry_after or not str(retry_after).isdigit():
                    request.unexpected.append("503 without Retry-After")
                if time.monotonic() - began > REQUEST_GIVE_UP:
                    request.final, request.reply = 503, reply
                    return request
                time.sleep(min(float(retry_after or 1), RETRY_AFTER_CAP))
                continue
            request.final, request.reply = reply.status, reply
            return request


def connection_failure(error: Exception) -> str:
    reason = getattr(error, "reason", error) if isinstance(error, urllib.error.URLError) else error
    if isinstance(reason, ConnectionRefusedError):
        return "refused"
    return f"dropped:{type(reason).__name__}"


# ---------------------------------------------------------------- the drill

class Drill:
    def __init__(self, args):
        self.args = args
        self.work = Path(tempfile.mkdtemp(prefix="savivalda-drill-"))
        os.chmod(self.work, 0o755)  # the rabbitmq and postgres users reach their folders through it
        self.rabbit: PrivateRabbit | None = None
        self.pg: PrivatePostgres | None = None
        self.sink = None
        self.launcher: ProcessLauncher | None = None
        self.enrollment: list = []
        self.notifications: list = []
        self.requests: list[Request] = []
        self.phases: list[dict] = []
        self.background: list = []  # replicas being restarted, watchers: joined at the end of a phase
        self.kills: list[dict] = []
        self.in_doubt_gaps_ms: list[int] = []  # per e-mail in doubt: its first copy's arrival before the kill  # SIGKILLs of notifications replicas: when, and what was pending
        self.poison: dict = {}
        self.sessions: list[dict] = []
        self.active: dict = {}  # enrollment id -> session id, of enrolments a client may cancel
        self.accepted_offers: set = set()
        self.counter = 0
        self.mail_dir = self.work / "mail"
        self._mail: dict = {}

    # -- set-up and tear-down
    def start(self) -> None:
        log(f"work folder {self.work}")
        self.rabbit = PrivateRabbit(self.work / "rabbitmq")
        self.rabbit.start()
        log(f"RabbitMQ node {self.rabbit.node} on 127.0.0.1:{self.rabbit.port}")
        self.pg = PrivatePostgres(self.work / "postgres")
        self.pg.start()
        log(f"PostgreSQL {self.pg.bin.parent.name} on 127.0.0.1:{self.pg.port}")
        databases = {}
        for service in ("enrollment", "grants", "partners", "notifications"):
            self.pg.execute(f'CREATE DATABASE "{service}"')
            databases[service] = self.pg.url(service)
        self.smtp_port = smtp_port = free_port()
        self.sink = subprocess.Popen([sys.executable, str(SINK), str(smtp_port), str(self.mail_dir)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert self.sink.stdout.readline().strip() == b"ready", "the SMTP sink did not start"
        # The services run the code as it is now, copied: an "image" that a restart reuses, whatever
        # happens to the working tree meanwhile (PYTHONPATH comes before the editable install).
        code = self.work / "code"
        for package in ("services", "shared"):
            shutil.copytree(ROOT / package, code / package, ignore=shutil.ignore_patterns("__pycache__"))
        self.env = {"PYTHONPATH": str(code), "SAVIVALDA_AMQP_URI": self.rabbit.uri, "SAVIVALDA_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                    "SAVIVALDA_AUTH_SECRET": TEST_SECRET, "SAVIVALDA_LOG_LEVEL": "WARNING",
                    "SAVIVALDA_PUBLIC_URL": "https://savivalda.example",
                    **{f"SAVIVALDA_{s.upper()}_DATABASE_URL": url for s, url in databases.items()}}
        migrated = run_cli("migrate", env=self.env, timeout=300)
        if migrated.returncode != 0:
            raise RuntimeError(f"savivalda migrate failed: {migrated.stderr}")
        self.launcher = ProcessLauncher(self.env, self.work)
        processes = [self.launcher.start(s, wait=False)
                     for s in ("enrollment", "enrollment", "notifications", "notifications", "grants", "partners")]
        for process in processes:
            self.launcher.wait_ready(process, timeout=180)
        self.enrollment[:] = processes[0:2]
        self.notifications[:] = processes[2:4]
        log("two enrollment, two notifications, one grants and one partners replica ready")
        self.token = issue_token(TEST_SECRET, subject="drill-coordinator", role="staff")
        self.client = Client(self.enrollment, self.token)
        self._make_sessions()

    def close(self) -> None:
        steps = [("services", lambda: self.launcher and self.launcher.stop_all()),
                 ("SMTP sink", lambda: self.sink and (self.sink.terminate(), self.sink.wait(timeout=10))),
                 ("RabbitMQ", lambda: self.rabbit and self.rabbit.close()),
                 ("PostgreSQL", lambda: self.pg and self.pg.close())]
        for name, step in steps:
            try:
                step()
            except Exception as error:  # noqa: BLE001 — clean up the rest whatever happens
                log(f"stopping {name}: {error}")
        if self.launcher:
            for process in self.launcher.started:
                process.kill()
        if self.args.keep:
            log(f"kept {self.work}")
        else:
            shutil.rmtree(self.work, ignore_errors=True)

    def _make_sessions(self) -> None:
        base = self.enrollment[0].base_url
        course = http("POST", f"{base}/enrollment/courses", {
            "title": {"lt": "Gedimų pratybos", "en": "Fault drill"}, "themes": ["budgeting"],
            "audience": ["officials"], "duration_hours": 4, "format": "in_person"}, token=self.token)
        assert course.status == 201, course.body
        starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=30)
        for n in range(self.args.sessions):
            body = {"starts_at": starts.isoformat(), "ends_at": (starts + timedelta(hours=4)).isoformat(),
                    "region": "KU", "venue": "Kaunas, Laisvės al. 96", "capacity": self.args.capacity,
                    "quota_per_municipality": 2}
            if n % 2:
                body["offer_hours"] = 24  # a freed seat is offered, and the clients accept offers
            reply = http("POST", f"{base}/enrollment/courses/{course.body['id']}/sessions", body, token=self.token)
            assert reply.status == 201, reply.body
            self.sessions.append({"id": reply.body["id"], "offers": bool(n % 2)})

    # -- the load
    def _next_person(self) -> dict:
        self.counter += 1
        n = self.counter
        local = ("slow" if n % 3 == 0 else "dalyvis") + f"{n}.{uuid.uuid4().hex[:4]}"
        return {"name": f"Dalyvis Nr. {n}", "email": f"{local}@savivaldybe.lt",
                "municipality_code": random.choice(MUNICIPALITIES), "position": "specialistas",
                "language": "lt" if n % 4 else "en"}

    def _operation(self, phase: str) -> None:
        roll = random.random()
        if roll < 0.2 and self.active:
            enrollment_id = random.choice(list(self.active))
            self.active.pop(enrollment_id, None)
            request = Request("cancel", phase, "POST", f"/enrollment/enrollments/{enrollment_id}/cancel",
                              {"reason": "drill"})
            self._finish(self.client.send(request))
            return
        if roll < 0.3:
            offering = [s for s in self.sessions if s["offers"]]
            session = random.choice(offering)
            listing = self.client.send(Request("read", phase, "GET",
                                               f"/enrollment/sessions/{session['id']}/enrollments?status=offered"))
            self._finish(listing)
            if listing.final == 200:
                # Only an offer no other client is cancelling (taken from `active`, as a cancel does)
                # or has accepted since this listing was read.
                offered = [e["id"] for e in listing.reply.body
                           if e["id"] in self.active and e["id"] not in self.accepted_offers]
                if offered:
                    self.active.pop(offered[0])
                    self.accepted_offers.add(offered[0])
                    accepted = self._finish(self.client.send(Request(
                        "accept", phase, "POST", f"/enrollment/enrollments/{offered[0]}/accept")))
                    if accepted.final == 200:
                        self.active[offered[0]] = session["id"]
            return
        session = random.choice(self.sessions)
        request = Request("enrol", phase, "POST", f"/enrollment/sessions/{session['id']}/enrollments",
                          self._next_person(), key=str(uuid.uuid4()))
        request.session_id = session["id"]
        done = self._finish(self.client.send(request))
        if done.final in (200, 201):
            self.active[done.reply.body["id"]] = session["id"]

    def _finish(self, request: Request) -> Request:
        """Judges every answer: 2xx, 503 with Retry-After, refused connections are expected; a 409
        is expected only for a cancel or accept repeated after an attempt whose outcome was unknown
        (the first one did it); anything else is unexpected."""
        uncertain = False
        for attempt in request.attempts:
            if isinstance(attempt, int):
                if attempt == 409 and uncertain and request.kind in ("cancel", "accept"):
                    continue
                if attempt // 100 != 2 and attempt != 503:
                    request.unexpected.append(attempt)
                if attempt == 503:
                    uncertain = True
            else:
                uncertain = uncertain or attempt.startswith("dropped")
        if request.final == "gave up":
            request.unexpected.append("gave up")
        elif request.unexpected and isinstance(getattr(request.reply, "body", None), dict):
            request.unexpected.append(f"{request.kind} {request.final}: {request.reply.body.get('type')} "
                                      f"{request.reply.body.get('detail')}")
        self.requests.append(request)
        return request

    def _load(self, phase: str, stop: eventlet.event.Event) -> None:
        def worker():
            while not stop.ready():
                self._operation(phase)
                time.sleep(random.uniform(0, 2 * self.args.pause))

        pool = eventlet.GreenPool(self.args.clients)
        for _ in range(self.args.clients):
            pool.spawn_n(worker)
        pool.waitall()

    # -- faults
    def _replace(self, replicas: list, index: int) -> None:
        """Start a new replica in place of a stopped one, as a supervisor would, in the
        background: the load and the wait for quiescence go on meanwhile (on the other replica);
        the phase ends when it is ready."""
        def start():
            replacement = self.launcher.start(*replicas[index].services, wait=False)
            self.launcher.wait_ready(replacement, timeout=180)
            replicas[index] = replacement

        self.background.append(eventlet.spawn(start))

    def restart(self, replicas: list, index: int, how: str) -> dict:
        process = replicas[index]
        note = {}
        if how == "kill":
            process.popen.kill()
            process.popen.wait(timeout=30)
        else:
            process.popen.send_signal(signal.SIGTERM)
            began = time.monotonic()
            note["exit_code"] = process.popen.wait(timeout=60)
            note["stop_seconds"] = round(time.monotonic() - began, 1)
            if replicas is self.enrollment:  # the clients' HTTP load goes to enrollment
                note["_in_flight"] = (process.popen.pid, began)
        self._replace(replicas, index)
        return note

    def sending(self, process) -> bool:
        """Whether the process is sending e-mail now: one of its connections to the SMTP server sent
        something in the last 300 ms (ss's lastsnd; connections are kept open between batches)."""
        listing = run("ss", "-tnpiH", "state", "established", "dst", f"127.0.0.1:{self.smtp_port}",
                      check=False).stdout.splitlines()
        for socket_line, info in zip(listing[::2], listing[1::2]):
            if f"pid={process.popen.pid}," in socket_line:
                last = info.split("lastsnd:")[1].split()[0] if "lastsnd:" in info else None
                if last is not None and last.isdigit() and int(last) < 300:
                    return True
        return False

    def kill_notifications(self, index: int) -> dict:
        """SIGKILL a notifications replica while it is sending (waits up to 10 s for it to be), so
        the kill falls where an e-mail can be accepted by the SMTP server and not yet recorded."""
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.args.short:  # each fault once: whichever replica is sending
                index = next((i for i, p in enumerate(self.notifications) if self.sending(p)), index)
            if self.sending(self.notifications[index]):
                break
            time.sleep(0.05)
        victim = self.notifications[index]
        mid_batch = self.sending(victim)
        victim.popen.kill()
        killed_at, killed_wall = time.monotonic(), time.time()
        victim.popen.wait(timeout=30)
        status_at_kill = dict(self.pg.query(
            "notifications", "SELECT message_id, status FROM notifications WHERE status IN ('pending', 'sending') "
                             "AND channel = 'email'"))
        record = {"killed_at": killed_wall, "pending": len(status_at_kill), "sent_within": None,
                  "leased_within": None}
        self.kills.append(record)

        def watch():
            # Out = accepted by the SMTP server; or stored suppressed, "superseded by" newer news
            # about the same enrolment that arrived before it was sent (not to be sent, by design).
            wanted = set(status_at_kill)
            leased = {m for m, status in status_at_kill.items() if status == "sending"}
            while wanted and time.monotonic() - killed_at < 120:
                wanted -= set(self.delivered_message_ids())
                if wanted:
                    wanted -= {m for m, in self.pg.query(
                        "notifications", "SELECT message_id FROM notifications WHERE message_id = ANY(%s) "
                                         "AND status = 'suppressed'", (list(wanted),))}
                if record["leased_within"] is None and not (leased & wanted):
                    record["leased_within"] = round(time.monotonic() - killed_at, 1)
                if wanted:
                    time.sleep(0.1)
            if not wanted:
                record["sent_within"] = round(time.monotonic() - killed_at, 1)

        self.background.append(eventlet.spawn(watch))
        self._replace(self.notifications, index)
        leased = sum(1 for status in status_at_kill.values() if status == "sending")
        return {"sending at kill": mid_batch, "pending at kill": record["pending"],
                "of them leased (being sent)": leased, "_record": record}

    def broker_outage(self) -> dict:
        began = time.monotonic()
        self.rabbit.stop()
        time.sleep(self.args.outage)
        self.rabbit.start()
        return {"broker down s": round(time.monotonic() - began, 1)}

    def postgres_restart(self, mode: str) -> dict:
        began = time.monotonic()
        self.pg.restart(mode)
        return {"restart s": round(time.monotonic() - began, 1)}

    def publish_poison(self, count: int = 100) -> dict:
        """`count` messages no service can use, from a publisher outside the project (plain
        kombu): malformed JSON, a valid envelope whose data breaks the schema, an unknown event
        type; half through enrollment's exchange, half straight into the handlers' queues."""
        from kombu import Connection, Exchange, Producer

        queues = sorted(q for q in self.rabbit.queues() if "--" in q)
        now = datetime.now(timezone.utc).isoformat()

        def envelope(n: int, event_type: str, data: dict) -> bytes:
            return json.dumps({"specversion": "1.0", "id": str(uuid.uuid4()), "source": "drill/outsider",
                               "type": event_type, "time": now, "datacontenttype": "application/json",
                               "correlationid": f"drill-poison-{n}", "schemaversion": 1, "data": data}).encode()

        sent = {}
        with Connection(self.rabbit.uri) as connection:
            producer = Producer(connection.channel())
            for n in range(count):
                kind = ("malformed JSON", "wrong schema", "unknown type")[n % 3]
                if kind == "malformed JSON":
                    body = b'{"specversion": "1.0", "id": "' + str(n).encode() + b'", "data": {'
                elif kind == "wrong schema":
                    body = envelope(n, "enrollment.enrollment_confirmed", {"enrollment_id": "not a uuid", "seats": -1})
                else:
                    body = envelope(n, "enrollment.no_such_event", {"anything": n})
                marker = f"drill-poison-{n}"
                headers = {"x-drill-poison": marker}
                if n % 2 == 0:
                    producer.publish(body, exchange=Exchange("enrollment.events", type="topic", passive=True),
                                     routing_key="enrollment_confirmed", content_type="application/json",
                                     content_encoding="utf-8", message_id=marker, headers=headers, delivery_mode=2)
                else:
                    producer.publish(body, exchange="", routing_key=queues[n % len(queues)],
                                     content_type="application/json", content_encoding="utf-8", message_id=marker,
                                     headers=headers, delivery_mode=2)
                sent[marker] = kind
        self.poison = {"sent": sent}
        return {"published": count}

    def dead_letters(self) -> list[dict]:
        """Every dead letter on the node (plain kombu: browsed, then put back)."""
        from kombu import Connection

        letters = []
        with Connection(self.rabbit.uri) as connection:
            for queue in (q for q in self.rabbit.queues() if q.endswith(".dead-letters")):
                channel = connection.channel()
                while True:
                    message = channel.basic_get(queue=queue, no_ack=False)
                    if message is None:
                        break
                    headers = dict(message.headers or {})
                    letters.append({"queue": queue, "marker": headers.get("x-drill-poison")
                                    or message.properties.get("message_id"),
                                    "reason": str(headers.get("x-savivalda-reason", ""))})
                channel.close()
        return letters

    # -- measuring
    def delivered(self) -> list[dict]:
        """Every message the SMTP server accepted, in arrival order, with its arrival time."""
        for path in sorted(self.mail_dir.glob("*.eml")):
            if path.name not in self._mail:
                message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
                self._mail[path.name] = {
                    "message_id": message["Message-ID"], "event_id": message["X-Savivalda-Event-ID"],
                    "to": message["To"].addresses[0].addr_spec.lower(), "at": path.stat().st_mtime}
        return [self._mail[name] for name in sorted(self._mail)]

    def delivered_message_ids(self) -> list[str]:
        return [m["message_id"] for m in self.delivered()]

    def quiet(self) -> str | None:
        """What is still moving, or None once everything has settled."""
        for service in ("enrollment", "notifications", "grants", "partners"):
            (pending,), = self.pg.query(service, "SELECT count(*) FROM outbox WHERE published_at IS NULL "
                                                 "AND NOT unroutable")
            if pending:
                return f"{pending} unpublished in {service}'s outbox"
        (unsent,), = self.pg.query("notifications", "SELECT count(*) FROM notifications "
                                                    "WHERE status IN ('pending', 'sending')")
        if unsent:
            return f"{unsent} notifications pending or being sent"
        # last, being the slowest (rabbitmqctl): messages ready or unacknowledged (being handled)
        busy = {q: n for q, n in self.rabbit.queues().items() if n and not q.endswith(".dead-letters")}
        if busy:
            return f"queues not empty: {busy}"
        return None

    def wait_quiet(self, timeout: float) -> float | None:
        began = time.monotonic()
        last = None
        while time.monotonic() - began < timeout:
            try:
                last = self.quiet()
            except Exception as error:  # noqa: BLE001 — a server just restarting
                last = f"{type(error).__name__}: {error}"
            if last is None:
                return round(time.monotonic() - began, 1)
            if self.args.verbose:
                log(f"  waiting: {last}")
            time.sleep(0.25)
        log(f"not quiet after {timeout:.0f} s: {last}")
        return None

    def duplicates(self) -> int:
        counts = collections.Counter(m["message_id"] for m in self.delivered())
        return sum(c - 1 for c in counts.values())

    # -- a phase: load, the fault under it, quiescence
    def phase(self, name: str, fault) -> None:
        log(f"phase: {name}")
        duplicates_before = self.duplicates()
        stop = eventlet.event.Event()
        load = eventlet.spawn(self._load, name, stop)
        time.sleep(self.args.warmup)
        note = fault() if fault else {}
        time.sleep(self.args.warmup)
        stop.send(True)
        load.wait()
        quiet = self.wait_quiet(self.args.quiet_timeout)
        while self.background:
            self.background.pop().wait()
        in_flight = note.pop("_in_flight", None)
        if in_flight is not None:
            # requests the stopping replica had received (sent before the SIGTERM) and answered after it
            pid, signalled = in_flight
            note["in flight at SIGTERM, answered"] = sum(
                1 for r in self.requests for (p, began, ended), outcome in zip(r.sent, r.attempts)
                if p == pid and began < signalled < ended and isinstance(outcome, int))
        record = note.pop("_record", None)
        if record is not None:
            note["leased ones out s"] = record["leased_within"]
            note["all out s"] = record["sent_within"]
        mine = [r for r in self.requests if r.phase == name]
        attempts = collections.Counter(a if isinstance(a, int) else a.split(":")[0] for r in mine for a in r.attempts)
        self.phases.append({
            "fault": name, "requests": len(mine), "attempts": dict(attempts),
            "unexpected": sum(1 for r in mine if r.unexpected),
            "not_found": attempts.get(404, 0), "dropped": attempts.get("dropped", 0),
            "quiet_s": quiet, "duplicates": self.duplicates() - duplicates_before, **note})
        log(f"  {self.phases[-1]}")

    def faults(self):
        kill_e = lambda i: lambda: self.restart(self.enrollment, i, "kill")  # noqa: E731
        term_e = lambda i: lambda: self.restart(self.enrollment, i, "term")  # noqa: E731
        kill_n = lambda i: lambda: self.kill_notifications(i)  # noqa: E731
        term_n = lambda i: lambda: self.restart(self.notifications, i, "term")  # noqa: E731
        replicas = (0,) if self.args.short else (0, 1)
        yield "no fault", None
        yield "broker stop/start", self.broker_outage
        for i in replicas:
            yield f"SIGKILL enrollment #{i + 1}", kill_e(i)
        for i in replicas:
            yield f"SIGKILL notifications #{i + 1}", kill_n(i)
        for i in replicas:
            yield f"SIGTERM enrollment #{i + 1}", term_e(i)
        for i in replicas:
            yield f"SIGTERM notifications #{i + 1}", term_n(i)
        yield "PostgreSQL restart -m fast", lambda: self.postgres_restart("fast")
        yield "PostgreSQL restart -m immediate", lambda: self.postgres_restart("immediate")
        yield "100 poison messages", self.publish_poison

    # -- the verdict
    def verdict(self) -> dict:
        enrol = [r for r in self.requests if r.kind == "enrol"]
        accepted = [r for r in enrol if r.final in (200, 201)]
        rows = collections.Counter()
        wrong_id = 0
        found = {(str(s), e): (str(i), c) for s, e, i, c in self.pg.query(
            "enrollment", "SELECT session_id, email_key, max(id::text), count(*) FROM enrollments "
                          "GROUP BY session_id, email_key")}
        for r in accepted:
            enrollment_id, count = found.get((r.session_id, r.body["email"].lower()), (None, 0))
            rows["0" if count == 0 else "1" if count == 1 else "2+"] += 1
            wrong_id += enrollment_id is not None and enrollment_id != r.reply.body["id"]
        keys = {k for k, in self.pg.query("enrollment", "SELECT key FROM idempotency_keys")}
        keys_missing = sum(1 for r in accepted if r.key not in keys)
        overbooked = self.pg.query("enrollment", """
            SELECT s.id FROM sessions s JOIN enrollments e ON e.session_id = s.id
            WHERE e.status IN ('confirmed', 'offered') GROUP BY s.id, s.capacity HAVING count(*) > s.capacity""")
        quota = self.pg.query("enrollment", """
            SELECT s.id, e.municipality_code FROM sessions s JOIN enrollments e ON e.session_id = s.id
            WHERE e.status IN ('confirmed', 'offered') AND s.quota_released_at IS NULL
            GROUP BY s.id, s.quota_per_municipality, e.municipality_code HAVING count(*) > s.quota_per_municipality""")
        statuses = dict(self.pg.query("enrollment", "SELECT status, count(*) FROM enrollments GROUP BY status"))
        published = self.pg.query("enrollment", "SELECT event_id::text, event_type, body FROM outbox "
                                                "WHERE published_at IS NOT NULL")
        unpublished = self.pg.query("enrollment", "SELECT count(*) FROM outbox WHERE published_at IS NULL")[0][0]
        received = {e for e, in self.pg.query("notifications", "SELECT event_id::text FROM inbox "
                                                               "WHERE consumer = 'notifications.on_event'")}
        lost = [e for e, _, _ in published if e not in received]
        # An enrolment's older news reaching notifications after newer news about it was told (a
        # redelivery after a fault) is stored suppressed, "superseded by ..." (notifications'
        # domain/ordering.py): the person has the newer news; not expected as an e-mail.
        superseded = {e for e, in self.pg.query(
            "notifications", "SELECT event_id::text FROM notifications WHERE channel = 'email' "
                             "AND status = 'suppressed' AND status_reason LIKE 'superseded by %%'")}
        expected = {}
        for event_id, event_type, body in published:
            if event_type in PARTICIPANT_EVENTS and event_id not in superseded:
                expected[(event_id, json.loads(body)["data"]["participant"]["email"].lower())] = event_type
        mail = self.delivered()
        by_id = collections.Counter(m["message_id"] for m in mail)
        by_event = collections.Counter((m["event_id"], m["to"]) for m in mail)
        doubled = [m for m, c in by_id.items() if c > 1]
        in_doubt, other_doubles = self._classify_duplicates(mail, doubled)
        notification_statuses = dict(self.pg.query("notifications", "SELECT status, count(*) FROM notifications "
                                                                    "GROUP BY status"))
        letters = self.dead_letters()
        poison_sent = self.poison.get("sent", {})
        parked = {}
        for letter in letters:
            if letter["marker"] in poison_sent and letter["reason"]:
                parked.setdefault(letter["marker"], letter["reason"])
        reasons = collections.Counter(_reason_kind(reason) for reason in parked.values())
        samples = {}
        for marker, reason in parked.items():
            samples.setdefault(self.poison["sent"][marker], reason[:140])
        other_letters = [letter for letter in letters if letter["marker"] not in poison_sent]
        finals = collections.Counter((r.kind, r.final) for r in self.requests)
        return {
            "requests": {f"{kind} {final}": n for (kind, final), n in sorted(finals.items(), key=str)},
            "attempts": dict(collections.Counter(
                str(a if isinstance(a, int) else a) for r in self.requests for a in r.attempts)),
            "unexpected_answers": collections.Counter(str(u) for r in self.requests for u in r.unexpected),
            "enrolments_accepted": len(accepted), "rows_per_accepted_enrolment": dict(rows),
            "answer_id_differs_from_row": wrong_id, "idempotency_keys_missing": keys_missing,
            "enrolment_statuses": statuses,
            "overbooked_sessions": len(overbooked), "quota_violations": len(quota),
            "events_published": len(published), "events_unpublished": unpublished, "events_lost": len(lost),
            "emails_superseded": len(superseded), "emails_expected": len(expected), "emails_delivered": len(set(by_event) & set(expected)),
            "emails_duplicated": sum(c - 1 for c in by_id.values()),
            "emails_duplicated_same_event_and_recipient": sum(c - 1 for c in by_event.values()),
            "emails_in_doubt_at_kill": in_doubt, "emails_duplicated_otherwise": other_doubles,
            "in_doubt_first_copy_ms_before_kill": self.in_doubt_gaps_ms,
            "emails_missing": len(set(expected) - set(by_event)),
            "emails_unexpected": len(set(by_event) - set(expected)),
            "notification_statuses": notification_statuses,
            "poison_published": len(poison_sent), "poison_parked_with_reason": len(parked),
            "poison_reasons": dict(reasons), "poison_reason_samples": samples, "dead_letters_total": len(letters),
            "dead_letters_not_poison": [{"queue": d["queue"], "reason": d["reason"][:200]} for d in other_letters],
            "phases": self.phases,
            "sigkill_notifications_sent_within_s": [k["sent_within"] for k in self.kills],
            "sigkill_notifications_leased_sent_within_s": [k["leased_within"] for k in self.kills],
        }

    def _classify_duplicates(self, mail: list[dict], doubled: list[str]) -> tuple[int, int]:
        """A duplicate whose first copy the SMTP server accepted in the IN_DOUBT_WINDOW seconds
        before a notifications replica was SIGKILLed is "in doubt at kill": the server said 250,
        the sender died before its record committed (no SMTP client can close that window).
        Any other duplicate is a defect."""
        in_doubt = other = 0
        for message_id in doubled:
            copies = sorted(m["at"] for m in mail if m["message_id"] == message_id)
            first = copies[0]
            gaps = [k["killed_at"] - first for k in self.kills if 0 <= k["killed_at"] - first <= IN_DOUBT_WINDOW]
            if gaps:
                in_doubt += len(copies) - 1
                self.in_doubt_gaps_ms.append(round(min(gaps) * 1000))
            else:
                other += len(copies) - 1
        return in_doubt, other


def _reason_kind(reason: str) -> str:
    reason = reason.lower()
    if "undecodable" in reason or "json" in reason:
        return "undecodable body"
    if "unknown event type" in reason:
        return "unknown event type"
    if "does not match" in reason:
        return "data does not match its schema"
    return reason.split(":")[0][:60] or "?"


def done_conditions(v: dict, short: bool) -> list[tuple[str, bool]]:
    sigterm = [p for p in v["phases"] if p["fault"].startswith("SIGTERM")]
    postgres = [p for p in v["phases"] if p["fault"].startswith("PostgreSQL")]
    return [
        ("0 events lost", v["events_lost"] == 0 and v["events_unpublished"] == 0),
        ("0 e-mails missing", v["emails_missing"] == 0),
        ("0 e-mails doubled (other than in doubt at a SIGKILL)", v["emails_duplicated_otherwise"] == 0
         and v["emails_duplicated_same_event_and_recipient"] == v["emails_duplicated"]),
        ("0 sessions overbooked, 0 quota violations", v["overbooked_sessions"] == 0 and v["quota_violations"] == 0),
        ("exactly one enrolment per accepted request", set(v["rows_per_accepted_enrolment"]) <= {"1"}
         and v["answer_id_differs_from_row"] == 0 and v["idempotency_keys_missing"] == 0),
        ("0 answers other than 2xx, 4xx for bad input or 503 with Retry-After", not v["unexpected_answers"]),
        ("every SIGTERM: no 404, no dropped connection, exit 0",
         all(p["not_found"] == 0 and p["dropped"] == 0 and p.get("exit_code") == 0 for p in sigterm)),
        ("after a SIGKILL of notifications every pending e-mail out within 15 s",
         all(s is not None and s <= 15 for s in v["sigkill_notifications_sent_within_s"])),
        ("a PostgreSQL restart: no duplicate e-mail", all(p["duplicates"] == 0 for p in postgres)),
        ("100/100 poison messages parked with their reason", v["poison_parked_with_reason"] == 100),
        ("quiescence reached after every fault", all(p["quiet_s"] is not None for p in v["phases"])),
    ]


def table(v: dict, conditions) -> str:
    lines = []
    add = lines.append
    add("| fault | requests | answers (attempts) | unexpected | to quiescence | duplicates | notes |")
    add("|---|---:|---|---:|---:|---:|---|")
    for p in v["phases"]:
        answers = ", ".join(f"{k} {n}" for k, n in sorted(p["attempts"].items(), key=lambda kv: str(kv[0])))
        skip = {"fault", "requests", "attempts", "unexpected", "not_found", "dropped", "quiet_s", "duplicates"}
        notes = ", ".join(f"{k} {val}" for k, val in p.items() if k not in skip)
        quiet = "not reached" if p["quiet_s"] is None else f"{p['quiet_s']} s"
        add(f"| {p['fault']} | {p['requests']} | {answers} | {p['unexpected']} | {quiet} | {p['duplicates']} | {notes} |")
    add("")
    add("| measure | value |")
    add("|---|---|")
    rows = [
        ("requests by final answer", ", ".join(f"{k}: {n}" for k, n in v["requests"].items())),
        ("unexpected answers", dict(v["unexpected_answers"]) or 0),
        ("enrolments accepted", v["enrolments_accepted"]),
        ("enrolment rows per accepted request (0 / 1 / 2+)",
         " / ".join(str(v["rows_per_accepted_enrolment"].get(k, 0)) for k in ("0", "1", "2+"))),
        ("answered id differs from the stored row; Idempotency-Key not stored",
         f"{v['answer_id_differs_from_row']}; {v['idempotency_keys_missing']}"),
        ("enrolments by status", v["enrolment_statuses"]),
        ("overbooked sessions", v["overbooked_sessions"]),
        ("quota violations", v["quota_violations"]),
        ("events published by enrollment's outbox / lost (not in notifications' inbox) / unpublished",
         f"{v['events_published']} / {v['events_lost']} / {v['events_unpublished']}"),
        ("older news superseded by newer news about the same enrolment (not sent, by design)",
         v["emails_superseded"]),
        ("e-mails expected / delivered / missing / unexpected",
         f"{v['emails_expected']} / {v['emails_delivered']} / {v['emails_missing']} / {v['emails_unexpected']}"),
        ("e-mails duplicated (same Message-ID) / of them in doubt at a SIGKILL / otherwise",
         f"{v['emails_duplicated']} / {v['emails_in_doubt_at_kill']} / {v['emails_duplicated_otherwise']}"),
        ("e-mails in doubt: first copy accepted this long before the SIGKILL (ms)",
         v["in_doubt_first_copy_ms_before_kill"]),
        ("notifications by status", v["notification_statuses"]),
        ("poison messages published / parked with reason", f"{v['poison_published']} / {v['poison_parked_with_reason']}"),
        ("poison reasons", v["poison_reasons"]),
        *((f"a reason for {kind}", f"`{reason}`") for kind, reason in v["poison_reason_samples"].items()),
        ("dead letters in all (a message through the exchange reaches every bound queue) / not poison",
         f"{v['dead_letters_total']} / {len(v['dead_letters_not_poison'])}"),
        ("SIGKILL of notifications: every pending e-mail out within (s)", v["sigkill_notifications_sent_within_s"]),
        ("  of them those leased (being sent) at the kill (s)", v["sigkill_notifications_leased_sent_within_s"]),
    ]
    for name, value in rows:
        add(f"| {name} | {value} |")
    add("")
    for name, ok in conditions:
        add(f"{'PASS' if ok else 'FAIL'}  {name}")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--short", action="store_true", help="the CI version: fewer sessions, each fault once")
    parser.add_argument("--clients", type=int, default=None, help="concurrent clients")
    parser.add_argument("--pause", type=float, default=None, help="mean pause of a client between requests (s)")
    parser.add_argument("--warmup", type=float, default=None, help="load before and after each fault (s)")
    parser.add_argument("--sessions", type=int, default=None)
    parser.add_argument("--capacity", type=int, default=4, help="seats per session")
    parser.add_argument("--outage", type=float, default=None, help="seconds the broker stays down")
    parser.add_argument("--quiet-timeout", type=float, default=120.0)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs, mail)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--verbose", action="store_true", help="say what quiescence is waiting for")
    args = parser.parse_args(argv)
    defaults = {"clients": 4, "pause": 0.25, "warmup": 1.5, "sessions": 6, "outage": 1.5} if args.short else \
        {"clients": 10, "pause": 0.05, "warmup": 5.0, "sessions": 12, "outage": 3.0}
    for name, value in defaults.items():
        if getattr(args, name) is None:
            setattr(args, name, value)
    random.seed(args.seed)
    if os.geteuid() != 0:
        print("the drill runs as root (RabbitMQ's scripts, runuser -u postgres)", file=sys.stderr)
        return 2

    drill = Drill(args)
    previous = signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    began = time.monotonic()
    try:
        drill.start()
        for name, fault in drill.faults():
            drill.phase(name, fault)
        verdict = drill.verdict()
        verdict["seconds"] = round(time.monotonic() - began, 1)
        verdict["short"] = args.short
        conditions = done_conditions(verdict, args.short)
        verdict["conditions"] = {name: ok for name, ok in conditions}
        print()
        print(table(verdict, conditions))
        print(f"\n{len(drill.requests)} requests in {verdict['seconds']} s; load average {os.getloadavg()}")
        if args.json:
            args.json.write_text(json.dumps(verdict, indent=1, default=str))
        return 0 if all(ok for _, ok in conditions) else 1
    finally:
        drill.close()
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
