"""The e-mail bytes built from a template (delivery.EmailBuilder, what the mailers send) say what the
`email` package's message (delivery.build_email) says: parsed back, the same headers with the same
values in the same order and the same parts with the same text, for ASCII and Lithuanian names and
subjects, long ones that must be folded, names that must be quoted, line breaks smuggled into
headers, long body lines (quoted-printable or base64), trailing spaces and lines starting with a dot
or "From ".

Two places where the `email` package did not say what was meant are checked against the intended
values instead: folding a long Lithuanian subject, it dropped a space between two words
("stiprinimasir") and spaces into a long Lithuanian name; it read text that looks like an encoded
word ("=?utf-8?q?...?=") in a subject as one; and `formataddr` turned a name containing "<x@y.lt>" into that address
(build_email now sets an `Address`)."""

import email
from email import policy

import pytest

from services.notifications.delivery import EmailBuilder, Outgoing, build_email, one_line
from services.notifications.rendering import Rendered

SENDER = "Savivalda <noreply@savivalda.lt>"
LONG_LT = "Savivaldybių gebėjimų stiprinimas ir žaliosios pertvarkos kvietimas Nr. 2 (ąčęėįšųūž) " * 3
NAMES = ["Ona", "Rūta Žąsinaitė-Petrauskienė", 'Jonas "Džonas", Jr.', "O'Brien (Vilnius)", "Ona\r\nBcc: x@y.lt",
         "A" * 120, "Ž" * 90, "", "Prenumeratorius 17", "Tab\tVardas", "ąčę, šųū <x@y.lt>"]
SUBJECTS = ["Short subject", "Naujas kvietimas: Savivaldybių gebėjimų stiprinimas (iki 2027-01-09)", LONG_LT,
            "An ASCII subject long enough that it has to be folded onto a second line somewhere around here ok",
            "Tema\r\nBcc: x@y.lt", "=?utf-8?q?looks_encoded?= but is not"]
TEXTS = ["Sveiki, Ona,\n\nTrumpas tekstas.\n", "Hello,\n\nshort ASCII text.\n",
         "Sveiki,\n" + "labai ilga eilutė " * 20 + "\n.taškas\nFrom here\ntarpas gale   \n",
         "https://savivalda.lt/notifications/unsubscribe?token=" + "a" * 200 + "\n", "ąčęėįšųūž" * 40 + "\n",
         "line one\r\nline two\rline three\n"]
HTML = ["<p>Sveiki ąčę</p>\n", "<p>" + "ilga eilutė " * 30 + "</p>\n", "<p>ascii</p>\n"]


def parsed(data: bytes):
    return email.message_from_bytes(data, policy=policy.default)


def described(message) -> dict:
    headers = [(name, str(value)) for name, value in message.items()
               if name not in ("Date", "Content-Type")]
    parts = [(part.get_content_type(), part.get_content_charset(), part.get_content())
             for part in message.iter_parts()]
    return {"headers": headers, "type": message.get_content_type(), "parts": parts,
            "to": [(a.display_name, a.addr_spec) for a in message["To"].addresses]}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("subject", SUBJECTS)
def test_headers_say_the_same(name, subject):
    outgoing = Outgoing(to_name=name, to_address="ona@kaunas.lt", message_id="<abc@savivalda.lt>",
                        rendered=Rendered("t", "lt", subject, "Tekstas\n", "<p>Tekstas</p>\n"),
                        event_id="11111111-2222-3333-4444-555555555555", event_type="grants.call_published",
                        unsubscribe_url="https://savivalda.lt/notifications/unsubscribe?token=x.y-z")
    built = EmailBuilder(SENDER).build(outgoing)
    ours, theirs = described(parsed(built)), described(parsed(bytes(build_email(outgoing, SENDER))))
    assert ours["to"] == [(one_line(name), "ona@kaunas.lt")]
    assert parsed(built)["Subject"] == one_line(subject)
    assert [h for h, _ in ours["headers"]] == [h for h, _ in theirs["headers"]]
    assert [h for h in ours["headers"] if h[0] not in ("To", "Subject")] == \
           [h for h in theirs["headers"] if h[0] not in ("To", "Subject")]
    assert ours["parts"] == theirs["parts"]
    if len(one_line(subject)) < 70 and len(name) < 40 and "=?" not in subject:
        assert ours == theirs  # where the email package says it right: the very same
    head = built.split(b"\n\n", 1)[0]
    assert b"\nBcc:" not in head and b"\r" not in head
    assert max(len(line) for line in head.split(b"\n")) <= (78 if name.isascii() and len(name) < 60 else 998)
    assert parsed(built)["Date"].datetime is not None


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("html", HTML)
def test_parts_say_the_same(text, html):
    outgoing = Outgoing(to_name="Rūta", to_address="ruta@kaunas.lt", message_id="<m@x>",
                        rendered=Rendered("t", "en", "Subject", text, html), event_id="e", event_type="x")
    built = EmailBuilder(SENDER).build(outgoing)
    expected = parsed(bytes(build_email(outgoing, SENDER)))
    assert described(parsed(built)) == described(expected)
    assert "List-Unsubscribe" not in parsed(built)
    assert max(len(line) for line in built.split(b"\n")) <= 78  # every line of every part
    assert built.endswith(b"--\n") and b"\r" not in built
