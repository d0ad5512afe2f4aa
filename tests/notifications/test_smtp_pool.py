"""SMTP connections kept between batches (outbound.SmtpPool behind delivery.SmtpMailer), against
the real aiosmtpd server: reused, checked with NOOP after a pause, replaced when the server
closed them, closed when idle too long; every e-mail arrives once."""

import subprocess
import sys
from pathlib import Path

from services.notifications.delivery import Outgoing, SmtpMailer
from services.notifications.rendering import Rendered
from tests.support import wait_until

SENDER = "Savivalda <noreply@savivalda.lt>"


def outgoing(n: int) -> Outgoing:
    rendered = Rendered(template="bench", language="lt", subject=f"Laiškas {n}", text=f"Tekstas {n}",
                        html=f"<p>Tekstas {n}</p>")
    return Outgoing(to_name=f"Asmuo {n}", to_address=f"asmuo{n}@savivaldybe.lt", message_id=f"<pool-{n}@savivalda.lt>",
                    rendered=rendered, event_id=f"event-{n}", event_type="test")


def restart(sink) -> None:
    """The SMTP server restarts on the same port: every connection to it is closed. (It numbers
    its files from 1 again, so it writes into a folder of its own inside the first.)"""
    sink.popen.terminate()
    sink.popen.wait(timeout=10)
    folder = sink.folder / f"restart{len(list(sink.folder.glob('restart*')))}"
    sink.popen = subprocess.Popen([sys.executable, str(Path(__file__).parents[1] / "support" / "smtp_sink.py"),
                                   str(sink.port), str(folder)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert sink.popen.stdout.readline().strip() == b"ready"


def received(sink) -> list[str]:
    """The subjects of every e-mail the server (and its restarts) received, sorted."""
    import email
    from email import policy

    return sorted(str(email.message_from_bytes(p.read_bytes(), policy=policy.default)["Subject"])
                  for p in sink.folder.rglob("*.eml"))


def test_batches_reuse_one_connection(smtp_sink):
    mailer = SmtpMailer(smtp_sink.url, SENDER)
    for batch in range(3):
        results = mailer.send_many([outgoing(batch * 2), outgoing(batch * 2 + 1)])
        assert all(r.ok for r in results)
    pool = mailer.pools[0]
    assert pool.opened == 1 and pool.idle == 1
    wait_until(lambda: len(received(smtp_sink)) == 6)
    assert received(smtp_sink) == sorted(f"Laiškas {n}" for n in range(6))


def test_a_connection_the_server_closed_is_replaced_and_the_mail_sent_once(smtp_sink):
    mailer = SmtpMailer(smtp_sink.url, SENDER)
    assert mailer.send_many([outgoing(1)])[0].ok
    restart(smtp_sink)  # the idle connection is dead; no pause, so no NOOP: the send finds out
    assert mailer.send_many([outgoing(2)])[0].ok
    assert mailer.pools[0].opened == 2
    wait_until(lambda: len(received(smtp_sink)) == 2)
    assert received(smtp_sink) == ["Laiškas 1", "Laiškas 2"]


def test_after_a_pause_the_connection_is_checked_with_noop(smtp_sink):
    mailer = SmtpMailer(smtp_sink.url, SENDER)
    pool = mailer.pools[0]
    pool.check_after = 0.0  # every reuse is checked
    assert mailer.send_many([outgoing(1)])[0].ok
    assert mailer.send_many([outgoing(2)])[0].ok
    assert pool.opened == 1  # NOOP answered 250: reused
    restart(smtp_sink)
    assert mailer.send_many([outgoing(3)])[0].ok
    assert pool.opened == 2  # NOOP failed: replaced before sending
    wait_until(lambda: len(received(smtp_sink)) == 3)
    assert received(smtp_sink) == ["Laiškas 1", "Laiškas 2", "Laiškas 3"]


def test_connections_idle_too_long_are_closed_and_the_idle_ones_bounded(smtp_sink):
    now = [0.0]
    mailer = SmtpMailer(smtp_sink.url, SENDER)
    pool = mailer.pools[0]
    pool._clock = lambda: now[0]
    assert mailer.send_many([outgoing(1)])[0].ok
    now[0] = pool.max_idle_seconds + 1
    assert mailer.send_many([outgoing(2)])[0].ok
    assert pool.opened == 2 and pool.idle == 1
    clients = [pool.take() for _ in range(pool.max_idle + 2)]
    for client in clients:
        pool.give_back(client)
    assert pool.idle == pool.max_idle
    pool.close_all()
    assert pool.idle == 0
