"""Browser tests: Debian's chromium (/usr/bin/chromium, bin/install-chromium) driven by Playwright
against `savivalda run` started as a user starts it, reading the e-mails it writes into its mailbox.

Fixtures (every test under tests/browser is marked `browser`):

    running_system          `savivalda run` in a subprocess on free ports with its own data folder:
                            .base_url, .token(role=..., subject=...), .emails(to=...),
                            .wait_for_email(to, containing=..., count=...), .link_in_email(to, pattern)
    open_page(viewport)     a fresh browser context (no cookies, no cache) and page on a "phone" or
                            "desktop" viewport; JavaScript is off unless asked for (javascript=True),
                            since every page must work without it
    page                    a page parametrised over both viewports (each test runs twice)
    screenshot(page, name)  a full-page PNG kept under test-artifacts/screenshots/ (CI keeps it)

Waiting: tests/conftest.py runs the process under eventlet. There, `page.expect_navigation()`
around a form submitted with Enter did not return in tests/browser/test_enrolment_page.py, not even
at its timeout; waiting in the driver works: `locator.wait_for()`, or any action or query on a
locator (they wait for their element with the context's 15 s timeout), e.g. after a form:
`page.keyboard.press("Enter"); page.locator("#confirmation").wait_for()`. With JavaScript off,
`locator.evaluate(...)` did not return either: use selectors (`button:focus`) or javascript=True.

Playwright never downloads a browser here: it launches /usr/bin/chromium (`executable_path`) with
a new, empty profile of its own (a temporary user data dir it removes afterwards). When chromium
or Playwright is missing the tests skip, and fail under CI=true like every service-dependent test.
"""

from __future__ import annotations

import email
import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from tests.conftest import _unavailable
from tests.support import BIN, ROOT, free_port, http, port_open, wait_until

CHROMIUM = Path(os.environ.get("SAVIVALDA_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
VIEWPORTS = {
    # A small phone (CSS pixels) with touch, and an ordinary laptop screen.
    "phone": {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 1},
    "desktop": {"viewport": {"width": 1280, "height": 800}, "device_scale_factor": 1},
}
HERE = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(pytest.mark.browser)


# ---------------------------------------------------------------- the browser

def _stop_playwright(manager, playwright) -> None:
    """Stops Playwright's driver under eventlet (tests/conftest.py monkey-patches the process).

    Playwright's sync API runs its asyncio loop in a greenlet of its own; eventlet's green os.read
    waits in eventlet's hub, and the hub makes itself the parent of every greenlet that waits in
    it. When the loop's greenlet ends at `stop()`, control therefore passes to the hub instead of
    back to the caller, which would wait for ever. A green thread brings the caller back once that
    greenlet has ended; it is killed at once if `stop()` returns by itself."""
    import eventlet
    import greenlet

    caller = greenlet.getcurrent()
    fiber = getattr(manager, "_dispatcher_fiber", None)

    def rejoin():
        while fiber is not None and not fiber.dead:
            eventlet.sleep(0.01)
        caller.switch()

    watcher = eventlet.spawn(rejoin) if fiber is not None else None
    try:
        playwright.stop()
    finally:
        if watcher is not None:
            watcher.kill()


@pytest.fixture(scope="session")
def chromium():
    """Debian's chromium, launched once per test session by Playwright."""
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        _unavailable("chromium", f"{CHROMIUM} is missing (bin/install-chromium installs Debian's package)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable("Playwright", f"{error} (bin/bootstrap installs requirements/test.lock)")
    os.environ.setdefault("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
    manager = sync_playwright()
    playwright = manager.start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS,
                                             timeout=60_000)
    except Exception as error:
        _stop_playwright(manager, playwright)
        _unavailable("chromium", f"Playwright could not launch {CHROMIUM}: {error}")
    try:
        yield browser
    finally:
        try:
            browser.close()
        finally:
            _stop_playwright(manager, playwright)


@pytest.fixture
def open_page(chromium, request):
    """open_page("phone" | "desktop", javascript=False, locale="lt-LT") -> a page in a fresh context."""
    contexts = []

    def open_(viewport: str = "desktop", *, javascript: bool = False, locale: str = "lt-LT"):
        context = chromium.new_context(**VIEWPORTS[viewport], java_script_enabled=javascript, locale=locale)
        context.set_default_timeout(15_000)
        contexts.append(context)
        page = context.new_page()
        page.viewport_name = viewport  # for screenshot names
        return page

    yield open_
    for context in contexts:
        context.close()


@pytest.fixture(params=sorted(VIEWPORTS))
def page(open_page, request):
    """A page on a phone, then on a desktop (the test runs once for each)."""
    return open_page(request.param)


@pytest.fixture
def screenshot(request):
    """screenshot(page, "name") saves test-artifacts/screenshots/<test>--<viewport>--<name>.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    test = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.originalname).strip("-")
    saved = []

    def take(page, name: str) -> Path:
        viewport = getattr(page, "viewport_name", "page")
        path = SCREENSHOTS / f"{test}--{viewport}--{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=True)
        saved.append(path)
        return path

    take.saved = saved
    return take


# ---------------------------------------------------------------- the system under test

@dataclass
class Mail:
    path: Path
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"] or "")

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content() if part is not None else ""

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content() if part is not None else ""

    def links(self) -> list[str]:
        found = re.findall(r"https?://[^\s<>\"')]+", self.text + "\n" + self.html)
        return list(dict.fromkeys(link.rstrip(".,;") for link in found))


def _dying_with_this_process(command: list[str]) -> list[str]:
    """`command` run so that it gets SIGTERM when the test process dies (pytest-timeout ends it with
    os._exit, and no fixture teardown runs then): no `savivalda run` outlives its test. setpriv
    (util-linux) sets the parent-death signal and execs the command; without it, the command as is."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *command] if setpriv else command


class RunningSystem:
    """`savivalda --data-dir <folder> run` as a subprocess: SQLite files, the in-memory broker and
    the mailbox folder of its own, HTTP and ops on free ports."""

    def __init__(self, data_dir: Path, log_path: Path, extra_env: dict | None = None):
        self.data_dir, self.log_path = data_dir, log_path
        self.http_port, self.ops_port = free_port(), free_port()
        env = {**os.environ, "SAVIVALDA_RETRY_DELAYS": "0.2,0.5", "SAVIVALDA_RELAY_INTERVAL": "0.1",
               **(extra_env or {})}
        for name in ("SAVIVALDA_AMQP_URI", "SAVIVALDA_PUBLIC_URL", "SAVIVALDA_SMTP_URL"):
            if name not in (extra_env or {}):
                env.pop(name, None)
        self._log = open(log_path, "w")
        self.popen = subprocess.Popen(_dying_with_this_process(
            [str(BIN / "savivalda"), "--data-dir", str(data_dir), "run", "--http", f"127.0.0.1:{self.http_port}",
             "--ops", f"127.0.0.1:{self.ops_port}"]), stdout=self._log, stderr=subprocess.STDOUT, env=env)
        wait_until(self._ready, timeout=90, interval=0.2, message="`savivalda run` to be ready")

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def ops_url(self) -> str:
        return f"http://127.0.0.1:{self.ops_port}"

    @property
    def mailbox(self) -> Path:
        return self.data_dir / "mailbox"

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def _ready(self) -> bool:
        if self.popen.poll() is not None:
            raise AssertionError(f"`savivalda run` exited with {self.popen.returncode}:\n{self.output()}")
        return "export TOKEN=" in self.output() and port_open("127.0.0.1", self.ops_port, 0.2) and http(
            "GET", f"{self.ops_url}/health/ready").status == 200

    def token(self, role: str = "staff", subject: str = "browser-tester", **kwargs) -> str:
        from shared.auth import issue_token
        from shared.config import embedded_secret

        return issue_token(embedded_secret(self.data_dir), subject=subject, role=role, **kwargs)

    def emails(self, to: str | None = None) -> list[Mail]:
        """The e-mails in the mailbox folder (to one address if given), oldest first."""
        if not self.mailbox.is_dir():
            return []
        mails = []
        for path in sorted(self.mailbox.glob("*.eml"), key=lambda p: (p.stat().st_mtime_ns, p.name)):
            mail = Mail(path, email.message_from_bytes(path.read_bytes(), policy=policy.default))
            if to is None or to.lower() in mail.to.lower():
                mails.append(mail)
        return mails

    def wait_for_email(self, to: str, *, containing: str | None = None, count: int = 1,
                       timeout: float = 30) -> Mail:
        """The newest e-mail to `to` once at least `count` of them (with `containing` in the subject
        or text, if given) are in the mailbox."""

        def arrived():
            mails = [mail for mail in self.emails(to)
                     if containing is None or containing in mail.subject or containing in mail.text]
            return mails[-1] if len(mails) >= count else None

        return wait_until(arrived, timeout=timeout, interval=0.1,
                          message=f"{count} e-mail(s) to {to}" + (f" with {containing!r}" if containing else ""))

    def link_in_email(self, to: str, pattern: str = r"/", *, containing: str | None = None, count: int = 1,
                      timeout: float = 30) -> str:
        """The first link matching the regular expression `pattern` in the newest e-mail to `to`."""
        mail = self.wait_for_email(to, containing=containing, count=count, timeout=timeout)
        for link in mail.links():
            if re.search(pattern, link):
                return link
        raise AssertionError(f"no link matching {pattern!r} in {mail.subject!r} to {to}:\n{mail.text}")

    def stop(self) -> int:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        self._log.close()
        return self.popen.returncode


@pytest.fixture
def running_system(tmp_path, request):
    """`savivalda run` for one test; its log is kept beside the screenshots when the test fails."""
    system = RunningSystem(tmp_path / "data", tmp_path / "savivalda-run.log")
    yield system
    code = system.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(system.log_path, SCREENSHOTS / f"{request.node.name}--savivalda-run.log")
    assert code == 0, f"`savivalda run` stopped with {code}:\n{system.output()[-4000:]}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if call.when == "call":
        item.rep_call = report
    return report
