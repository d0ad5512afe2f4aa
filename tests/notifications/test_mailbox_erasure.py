"""Forgetting a person in the mailbox folder (services/notifications/mailbox.py): their own e-mails
go, an e-mail to someone else that names them is rewritten without them, found also where the
text is encoded (quoted-printable, base64, RFC 2047), and nothing else changes."""

import email
from email import policy
from email.message import EmailMessage

from services.notifications.mailbox import file_name, forget_in_mailbox

NAME, ADDRESS = "Ona Unikalaitė", "ona.unikalaite@kaunas.lt"


def write(folder, message_id, to, subject, text, html=None, cte=None):
    message = EmailMessage()
    message["Message-ID"], message["To"], message["From"], message["Subject"] = message_id, to, "centras@lsa.lt", subject
    message.set_content(text, cte=cte) if cte else message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    (folder / file_name(message_id)).write_bytes(bytes(message))


def read(folder, message_id):
    return email.message_from_bytes((folder / file_name(message_id)).read_bytes(), policy=policy.default)


def test_her_e_mails_go_and_mentions_of_her_are_scrubbed_from_the_others(tmp_path):
    write(tmp_path, "<hers@notifications.savivalda>", f"{NAME} <{ADDRESS}>", "Registracija patvirtinta", f"Sveiki, {NAME}")
    write(tmp_path, "<coordinator@notifications.savivalda>", "Rasa <rasa@kaunas.lt>", f"Paraiška: {NAME}",
          f"Kontaktinis asmuo: {NAME}, {ADDRESS.upper()}.\nOnaitė lieka.", html=f"<p>{NAME} &lt;{ADDRESS}&gt;</p>",
          cte="base64")
    write(tmp_path, "<other@notifications.savivalda>", "Tomas <tomas@kaunas.lt>", "Kita", "Ona Unikalaitėlė ne ji")
    untouched = (tmp_path / file_name("<other@notifications.savivalda>")).read_bytes()

    counts = forget_in_mailbox(tmp_path, ["<hers@notifications.savivalda>", "<never-written@x>"], [ADDRESS, NAME])

    assert counts == {"mailbox_deleted": 1, "mailbox_scrubbed": 1}
    assert not (tmp_path / file_name("<hers@notifications.savivalda>")).exists()
    coordinator = read(tmp_path, "<coordinator@notifications.savivalda>")
    assert coordinator["Subject"] == "Paraiška: [erased]" and coordinator["To"] == "Rasa <rasa@kaunas.lt>"
    plain = coordinator.get_body(("plain",)).get_content()
    assert plain == "Kontaktinis asmuo: [erased], [erased].\nOnaitė lieka.\n"
    assert "Unikalait" not in coordinator.get_body(("html",)).get_content()
    assert b"unikalait" not in (tmp_path / file_name("<coordinator@notifications.savivalda>")).read_bytes().lower()
    assert (tmp_path / file_name("<other@notifications.savivalda>")).read_bytes() == untouched  # a look-alike stays


def test_an_address_header_naming_her_stays_a_valid_address(tmp_path):
    write(tmp_path, "<cc@notifications.savivalda>", f"{NAME} <{ADDRESS}>", "Kopija", "Tekstas")
    assert forget_in_mailbox(tmp_path, [], [ADDRESS, NAME]) == {"mailbox_deleted": 0, "mailbox_scrubbed": 1}
    assert read(tmp_path, "<cc@notifications.savivalda>")["To"] == "erased@erased.invalid"
    assert forget_in_mailbox(tmp_path / "absent", ["<x@y>"], [ADDRESS]) == {"mailbox_deleted": 0,
                                                                             "mailbox_scrubbed": 0}
