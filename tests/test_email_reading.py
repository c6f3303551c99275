"""Reading a mail: the customer's new words without quoted history or signatures (en, es, de,
fr), HTML as text without script or style, attachments listed and never opened, and
automatic mail (auto-replies, bounces, lists) recognised so it is never answered."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from app.channels.email.parsing import Unreadable, parse
from app.channels.email.text import html_to_text, strip_reply


def mail(body: str = "Where is my order?", **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Ann Lee <ann@example.org>")
    message["To"] = "support@brightwave.example"
    message["Subject"] = headers.pop("Subject", "My order")
    message["Message-ID"] = headers.pop("Message_ID", "<m1@example.org>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body)
    return bytes(message)


@pytest.mark.parametrize("quoted", [
    "On Mon, 3 Nov 2026 at 10:02, Brightwave Support <support@brightwave.example> wrote:\n> Old answer\n> more",
    "On Mon, 3 Nov 2026 at 10:02, Brightwave Support\n<support@brightwave.example> wrote:\n> Old answer",
    "El lun, 3 nov 2026 a las 10:02, Soporte <support@brightwave.example> escribió:\n> Respuesta",
    "Am Mo., 3. Nov. 2026 um 10:02 Uhr schrieb Support <support@brightwave.example>:\n> Antwort",
    "Le lun. 3 nov. 2026 à 10:02, Support <support@brightwave.example> a écrit :\n> Réponse",
    "-----Original Message-----\nFrom: Support <support@brightwave.example>\nSent: Monday\n\nOld answer",
    "----- Ursprüngliche Nachricht -----\nVon: Support\nAlte Antwort",
    "________________________________\nFrom: Support <support@brightwave.example>\nOld answer",
    "-- \nAnn Lee\nHead of Things, Example Org\n+1 555 0100",
    "Sent from my iPhone",
    "Enviado desde mi iPhone",
    "Von meinem iPhone gesendet",
    "Envoyé de mon iPhone",
    "Get Outlook for Android",
])
def test_quoted_history_and_signatures_are_cut(quoted):
    assert strip_reply(f"It still has not arrived.\nCan you check?\n\n{quoted}\n") == \
        "It still has not arrived.\nCan you check?"


def test_quote_lines_inside_the_text_are_dropped_and_an_opening_quote_keeps_what_follows():
    assert strip_reply("> you said it ships Monday\nIt did not.\n> and tracking?\nNo tracking either.") == \
        "It did not.\nNo tracking either."
    # the attribution only cuts after the customer's own words (a mail that is just a forward keeps its text)
    assert strip_reply("On Monday I ordered a plug; where is it?") == "On Monday I ordered a plug; where is it?"


def test_html_becomes_text_without_script_style_or_quoted_blocks():
    markup = ("<html><head><style>p{color:red}</style><title>x</title></head><body>"
              "<p>Hello,&nbsp;my <b>invoice</b> is wrong.</p><script>alert('x')</script>"
              "<div>Thanks<br>Ann</div><blockquote>Old answer from support</blockquote></body></html>")
    text = html_to_text(markup)
    assert "alert" not in text and "color" not in text and "<" not in text
    assert strip_reply(text) == "Hello, my invoice is wrong.\n\nThanks\nAnn"  # paragraphs kept apart


def test_an_html_only_mail_is_read_as_text():
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "ann@example.org", "Hi", "<h1@example.org>"
    message.set_content("<p>My <i>plug</i> is broken</p><script>steal()</script>", subtype="html")
    read = parse(bytes(message))
    assert read.text == "My plug is broken"


def test_attachments_are_listed_by_name_type_and_size_and_never_opened():
    message = EmailMessage()
    message["From"], message["Subject"], message["Message-ID"] = "ann@example.org", "Broken", "<a1@example.org>"
    message.set_content("See the photo and the invoice.")
    message.add_attachment(b"\x89PNG" + b"0" * 2044, maintype="image", subtype="png", filename="plug.png")
    message.add_attachment(b"MZ\x90\x00evil", maintype="application", subtype="x-msdownload", filename="run.exe")
    read = parse(bytes(message))
    assert read.text == "See the photo and the invoice."
    assert [a.as_dict() for a in read.attachments] == [
        {"name": "plug.png", "type": "image/png", "size": 2048},
        {"name": "run.exe", "type": "application/x-msdownload", "size": 8}]
    assert read.metadata()["attachments"][1]["name"] == "run.exe"


def test_threading_headers_and_the_reply_to_address_are_read():
    read = parse(mail(In_Reply_To="<r2@brightwave.example>",
                      References="<m0@example.org> <r1@brightwave.example> <r2@brightwave.example>",
                      Reply_To="Ann <ANN.LEE@Example.org>"))
    assert read.sender == "ann.lee@example.org" and read.message_id == "<m1@example.org>"
    assert read.thread_ids == ("<r2@brightwave.example>", "<r1@brightwave.example>", "<m0@example.org>")


@pytest.mark.parametrize(("headers", "reason"), [
    ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted"),
    ({"Auto_Submitted": "auto-generated"}, "Auto-Submitted"),
    ({"Precedence": "bulk"}, "Precedence"),
    ({"Precedence": "junk"}, "Precedence"),
    ({"Precedence": "list"}, "Precedence"),
    ({"X_Autoreply": "yes"}, "X-Autoreply"),
    ({"X_Autorespond": "Out of office"}, "X-Autorespond"),
    ({"List_Id": "<news.example.org>"}, "List-Id"),
    ({"From": "MAILER-DAEMON@mx.example.org"}, "mailer-daemon"),
    ({"From": "postmaster@example.org"}, "postmaster"),
    ({"Return_Path": "<>"}, "Return-Path"),
])
def test_automatic_mail_is_recognised(headers, reason):
    read = parse(mail("I am out of the office until Monday.", **headers))
    assert read.automatic is not None and reason.lower() in read.automatic.lower()


def test_a_delivery_report_is_a_bounce_and_a_person_with_auto_submitted_no_is_not():
    report = EmailMessage()
    report["From"], report["Subject"], report["Message-ID"] = "mx@example.org", "Undelivered", "<b1@example.org>"
    report.set_content("Delivery failed.")
    report.add_attachment("Reporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; x@y\nAction: failed\n",
                          subtype="delivery-status")
    report.replace_header("Content-Type", 'multipart/report; report-type="delivery-status"; '
                          f'boundary="{report.get_boundary()}"')
    assert "delivery" in (parse(bytes(report)).automatic or "")
    assert parse(mail(Auto_Submitted="no")).automatic is None
    assert parse(mail(), envelope_sender="").automatic == "null envelope sender (a bounce)"


@pytest.mark.parametrize(("raw", "reason"), [
    (b"Subject: hello\r\n\r\nno sender at all\r\n", "no sender"),
    (mail(" \n> only a quote\n"), "no text"),
])
def test_a_mail_that_cannot_be_answered_says_why(raw, reason):
    with pytest.raises(Unreadable, match=reason):
        parse(raw)
