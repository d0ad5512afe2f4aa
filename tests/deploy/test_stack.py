"""The compose stack, run here without Docker: every container of the app image becomes a local
process started with exactly the command and environment deploy/docker-compose.yml gives it
(interpolated from a deploy/.env made by deploy/make-env). The broker is the local RabbitMQ
with deploy/rabbitmq/definitions.json imported, so each service runs as its own restricted
user; PostgreSQL is the local server after deploy/postgres/init-databases.sh, so each service
connects as its own role. A real Prometheus runs deploy/prometheus's rules and scrape jobs.

What differs from the containers, and why:
- host names: `rabbitmq`, `postgres` and `mailpit` become 127.0.0.1 (the SMTP server is the test's
  sink); the vhost, users, roles and databases carry a unique prefix so tests never collide;
- ports: every container listens on 0.0.0.0:8000 and :9100 in its own network namespace, so
  local replicas get free ports instead;
- Prometheus finds replicas by DNS in the stack; here the scrape jobs list the same replicas'
  ops addresses statically (everything else in the jobs is kept);
- the local server trusts 127.0.0.1, so the database passwords are carried but not checked.
"""

from __future__ import annotations

import collections
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

import pytest
import yaml

from shared.auth import issue_token
from tests.deploy import compose, dashboard
from tests.deploy.compose import APP_SERVICES, DEPLOY, environment
from tests.service.helpers import create_session, enrol, person
from tests.support import BIN, ProcessLauncher, ServiceProcess, free_port, http, port_open, wait_until

pytestmark = [pytest.mark.e2e, pytest.mark.rabbitmq, pytest.mark.postgres]


class LocalStack:
    """The compose file's app containers as local processes."""

    def __init__(self, services: dict, broker, databases, smtp_sink, log_dir: Path):
        self.services, self.broker, self.databases, self.smtp = services, broker, databases, smtp_sink
        self.log_dir = log_dir
        self.started: list[ServiceProcess] = []

    # -- the container's environment, with only host names, prefixes and ports made local
    def _amqp(self, uri: str) -> str:
        url = urlsplit(uri)
        assert (url.scheme, url.hostname, url.port, url.path) == ("amqp", "rabbitmq", 5672, "/savivalda"), uri
        assert url.password == self.broker.passwords[url.username], f"{url.username}'s password differs from the broker's"
        return self.broker.uri(url.username)

    def _database(self, uri: str) -> str:
        url = urlsplit(uri)
        assert (url.scheme, url.hostname, url.port) == ("postgresql+psycopg2", "postgres", 5432), uri
        database = url.path.lstrip("/")
        assert url.username == database, "each service connects as the role that owns its database"
        role = self.databases.name(url.username)
        return f"postgresql+psycopg2://{role}:{quote(url.password, safe='')}@127.0.0.1:5432/{role}"

    def environment(self, name: str) -> tuple[dict[str, str], int | None, int | None]:
        env = environment(self.services[name])
        http_port = ops_port = None
        for key, value in list(env.items()):
            if key == "SAVIVALDA_AMQP_URI":
                env[key] = self._amqp(value)
            elif key.endswith("_DATABASE_URL"):
                env[key] = self._database(value)
            elif key == "SAVIVALDA_SMTP_URL":
                assert value == "smtp://mailpit:1025"
                env[key] = self.smtp.url
            elif key == "SAVIVALDA_HTTP_ADDRESS":
                assert value == "0.0.0.0:8000"
                http_port = free_port()
                env[key] = f"127.0.0.1:{http_port}"
            elif key == "SAVIVALDA_OPS_ADDRESS":
                assert value == "0.0.0.0:9100"
                ops_port = free_port()
                env[key] = f"127.0.0.1:{ops_port}"
        # Like a container: no SAVIVALDA_* from outside the compose file.
        base = {k: v for k, v in os.environ.items() if not k.startswith("SAVIVALDA_")}
        return {**base, **env}, http_port, ops_port

    def command(self, name: str) -> list[str]:
        command = list(self.services[name].get("entrypoint") or []) + list(self.services[name]["command"])
        assert command[0] == "savivalda", "the image puts savivalda on PATH"
        return [str(BIN / "savivalda"), *command[1:]]

    # -- one-shot jobs and long-running replicas
    def run_job(self, name: str) -> subprocess.CompletedProcess:
        env, _, _ = self.environment(name)
        return subprocess.run(self.command(name), env=env, capture_output=True, text=True, timeout=180,
                              cwd=self.log_dir)

    def start(self, name: str) -> ServiceProcess:
        env, http_port, ops_port = self.environment(name)
        log_path = self.log_dir / f"{name}-{len(self.started)}.log"
        with open(log_path, "wb") as log:
            popen = subprocess.Popen(self.command(name), env=env, stdout=log, stderr=subprocess.STDOUT,
                                     cwd=self.log_dir)
        replica = ServiceProcess((name,), popen, http_port, ops_port, log_path)
        self.started.append(replica)
        return replica

    def stop_all(self) -> None:
        running = [replica for replica in self.started if replica.popen.poll() is None]
        for replica in running:  # all at once, as `docker compose down` does
            replica.popen.send_signal(signal.SIGTERM)
        for replica in running:
            try:
                replica.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                replica.kill()


class LocalPrometheus:
    """deploy/prometheus/prometheus.yml with its DNS discovery replaced by the local replicas."""

    def __init__(self, binary: str, replicas: dict[str, list[ServiceProcess]], work: Path):
        config = yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text())
        work.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        config["global"].update(scrape_interval="1s", evaluation_interval="1s")
        config["rule_files"] = [str(DEPLOY / "prometheus" / rules) for rules in config["rule_files"]]
        for job in config["scrape_configs"]:
            if job["job_name"] == "prometheus":
                job["static_configs"] = [{"targets": [f"127.0.0.1:{self.port}"]}]
                continue
            (discovery,) = job.pop("dns_sd_configs")
            (service,) = discovery["names"]
            assert discovery["port"] == 9100
            job["static_configs"] = [{"targets": [f"127.0.0.1:{r.ops_port}" for r in replicas[service]]}]
        (work / "prometheus.yml").write_text(yaml.safe_dump(config))
        self.log = open(work / "prometheus.log", "wb")
        self.popen = subprocess.Popen(
            [binary, f"--config.file={work / 'prometheus.yml'}", f"--storage.tsdb.path={work / 'data'}",
             f"--web.listen-address=127.0.0.1:{self.port}"], stdout=self.log, stderr=subprocess.STDOUT, cwd=work)
        self.url = f"http://127.0.0.1:{self.port}"

    def wait_ready(self) -> None:
        def ready():
            assert self.popen.poll() is None, "prometheus exited"
            return port_open("127.0.0.1", self.port, 0.2) and http("GET", f"{self.url}/-/ready").status == 200

        wait_until(ready, timeout=30, interval=0.2, message="prometheus ready")

    def query(self, expr: str) -> dict:
        reply = http("GET", f"{self.url}/api/v1/query?{urlencode({'query': expr})}")
        assert reply.status == 200 and reply.json["status"] == "success", (expr, reply.body)
        return reply.json["data"]

    def vector(self, expr: str) -> list[dict]:
        return self.query(expr)["result"]

    def stop(self) -> None:
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.popen.kill()
        self.log.close()


@pytest.fixture
def local_stack(stack_env, broker_stack, database_stack, smtp_sink, tmp_path):
    stack = LocalStack(compose.load(stack_env)["services"], broker_stack, database_stack, smtp_sink, tmp_path)
    yield stack
    stack.stop_all()


def exported_metrics(scrapes: list[str]) -> tuple[set[str], dict[str, set[str]]]:
    """Names the processes export (declared families included) and the labels seen per name."""
    from prometheus_client.parser import text_string_to_metric_families

    names, labels = set(), collections.defaultdict(set)
    for text in scrapes:
        for family in text_string_to_metric_families(text):
            names.add(family.name)
            if family.type == "counter":
                names.add(family.name + "_total")
            if family.type == "histogram":
                names |= {family.name + suffix for suffix in ("_bucket", "_sum", "_count")}
            for sample in family.samples:
                names.add(sample.name)
                labels[sample.name] |= set(sample.labels)
    return names, labels


def test_the_compose_stack_runs_scales_and_is_scraped(local_stack, stack_env, broker_stack, smtp_sink,
                                                       prometheus_binary, tmp_path):
    started = time.monotonic()
    # 1. The one-shot migrate job, which the services wait for (service_completed_successfully).
    migrate = local_stack.run_job("migrate")
    assert migrate.returncode == 0, migrate.stderr
    assert "declared broker queues and exchanges" in migrate.stdout

    # 2. The four services, each under its own broker user and database role; notifications
    #    scaled to two replicas (`docker compose up --scale notifications=2`).
    replicas = {name: [local_stack.start(name)] for name in APP_SERVICES}
    replicas["notifications"].append(local_stack.start("notifications"))
    for replica in local_stack.started:
        ProcessLauncher.wait_ready(replica, timeout=90)

    prometheus = LocalPrometheus(prometheus_binary, replicas, tmp_path / "prometheus")
    try:
        prometheus.wait_ready()

        # 3. The flow: enrolments become e-mails, each sent once by one of the two replicas.
        enrollment = replicas["enrollment"][0]
        staff = issue_token(stack_env["SAVIVALDA_AUTH_SECRET"], subject="deploy-test", role="staff")
        _, session_id = create_session(enrollment.base_url, staff, capacity=1)
        people = [person(n) for n in range(1, 4)]
        for body in people:
            reply = enrol(enrollment.base_url, staff, session_id, body)
            assert reply.status == 201, reply.body
        refused = http("POST", f"{enrollment.base_url}/enrollment/courses", {}, token=staff)
        assert refused.status == 422  # a client error, for the error panels
        # A malformed event from outside: notifications parks it (dead letter), for the DLQ panels.
        from kombu import Connection, Exchange

        with Connection(broker_stack.uri("operator"), transport_options={"confirm_publish": True}) as connection:
            connection.Producer().publish(b'{"specversion": "1.0"}', exchange=Exchange("enrollment.events", "topic"),
                                          routing_key="enrollment_confirmed", content_type="application/json",
                                          declare=[], mandatory=True)

        def received():
            return collections.Counter(m["To"].addresses[0].addr_spec for m in smtp_sink.messages())

        addresses = {p["email"] for p in people}
        wait_until(lambda: addresses <= set(received()), timeout=60, message="an e-mail per enrolment")
        time.sleep(0.5)  # long enough for a duplicate to show up, were there one
        assert all(received()[address] == 1 for address in addresses), received()
        wait_until(lambda: sum(r.metric("savivalda_dead_letters") for r in replicas["notifications"]) >= 1,
                   timeout=30, message="the malformed event parked")

        # 4. Prometheus scrapes both notifications replicas and every other service: it ends up
        #    with what the processes themselves report.
        def consumed_by_notifications() -> float:
            return sum(r.metric("savivalda_events_consumed_total", outcome="applied") for r in replicas["notifications"])

        assert consumed_by_notifications() >= len(people)

        def scraped_after_the_flow():
            applied = prometheus.vector(
                'sum(savivalda_events_consumed_total{job="notifications", outcome="applied"})')
            dead = prometheus.vector('max(savivalda_dead_letters{job="notifications"})')
            return (applied and float(applied[0]["value"][1]) == consumed_by_notifications()
                    and dead and float(dead[0]["value"][1]) >= 1)

        wait_until(scraped_after_the_flow, timeout=30, interval=0.5, message="prometheus to see the flow")
        expected = {(name, f"127.0.0.1:{r.ops_port}") for name, rs in replicas.items() for r in rs}

        def every_replica_up():
            up = {(r["metric"]["job"], r["metric"]["instance"]): r["value"][1] for r in prometheus.vector("up")}
            return expected <= set(up) and all(up[target] == "1" for target in expected)

        wait_until(every_replica_up, timeout=30, interval=0.5, message="every replica scraped")
        instances = {r["metric"]["instance"] for r in prometheus.vector(
            'savivalda_build_info{job="notifications"}')}
        assert instances == {f"127.0.0.1:{r.ops_port}" for r in replicas["notifications"]}

        # 5. The alert rules load and evaluate against the real series without errors, and
        #    nothing is down.
        rules = http("GET", f"{prometheus.url}/api/v1/rules").json["data"]["groups"]
        evaluated = [rule for group in rules for rule in group["rules"]]
        assert evaluated and all(rule["health"] == "ok" for rule in evaluated), [
            (rule["name"], rule.get("lastError")) for rule in evaluated if rule["health"] != "ok"]
        # (Before the first scrape of a service its ServiceDown is pending; it clears once scraped.)
        wait_until(lambda: prometheus.vector('ALERTS{alertname=~"SavivaldaServiceDown|SavivaldaReplicaDown"}') == [],
                   timeout=15, interval=0.5, message="no service-down alert")

        # 6. The dashboard: only metrics the services export, labels they carry, queries Prometheus
        #    accepts; the service variable lists the four services.
        names, labels = exported_metrics([replica.metrics() for replica in local_stack.started])
        for query in dashboard.queries():
            unknown = query.metrics - names - dashboard.PROMETHEUS_OWN
            assert not unknown, f"panel {query.panel!r} uses metrics no service exports: {unknown}"
            # Labels can be checked where the flow produced samples (a declared family without
            # samples, e.g. no retry happened, shows no label names).
            sampled = [labels[m] for m in query.metrics - dashboard.PROMETHEUS_OWN if labels.get(m)]
            if sampled:
                wrong = (query.grouping_labels | query.matcher_labels) - set().union(*sampled) - dashboard.ADDED_LABELS
                assert not wrong, f"panel {query.panel!r} uses labels its metrics lack: {wrong}"
            prometheus.query(query.for_prometheus())
        variable = http("GET", f"{prometheus.url}/api/v1/label/service/values?"
                               + urlencode({"match[]": "savivalda_outbox_backlog"})).json["data"]
        assert sorted(variable) == sorted(APP_SERVICES)
        # The panels the flow feeds show it (rates need a few scrapes: wait for them).
        fed = {"Replicas answering", "Requests per second", "Errors per second (4xx, 5xx)", "Latency (p50, p95)",
               "Handler runs per second", "Events published per second", "Events consumed per second",
               "Retried and dead-lettered per second", "Dead-letter queue depth", "Outbox backlog",
               "Enrolments per hour, by outcome", "Notifications sent and failed per hour",
               "Stored notifications by status", "Grant applications by status", "Partner introductions by status",
               "Partner profiles", "Enrolments by status", "Waitlist length"}

        def blank_panels():
            with_data = {q.panel for q in dashboard.queries() if prometheus.vector(q.for_prometheus())}
            return fed - with_data

        try:
            wait_until(lambda: not blank_panels(), timeout=20, interval=1, message="panels to show the flow")
        except AssertionError:
            pytest.fail(f"panels still blank after the flow: {sorted(blank_panels())}")
    finally:
        prometheus.stop()

    # 7. The image's HEALTHCHECK against a replica, before and after it stops (SIGTERM: exit 0).
    replica = replicas["notifications"][1]
    check = [sys.executable, str(DEPLOY / "healthcheck.py")]
    ops = {"SAVIVALDA_OPS_ADDRESS": f"127.0.0.1:{replica.ops_port}"}
    assert subprocess.run(check, env=ops, capture_output=True, timeout=30).returncode == 0
    assert replica.terminate(timeout=30) == 0
    assert subprocess.run(check, env=ops, capture_output=True, timeout=30).returncode == 1
    print(f"stack test took {time.monotonic() - started:.1f}s")
